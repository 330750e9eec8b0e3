// DELETE ME: placeholder
