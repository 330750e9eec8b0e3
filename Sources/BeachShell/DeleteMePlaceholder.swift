// DELETE ME: placeholder so the package resolves while the shell is written.
