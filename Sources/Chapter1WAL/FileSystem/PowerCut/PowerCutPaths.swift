// Path helpers for `PowerCutFileSystem`.

/// A path's directory (without a trailing `/`) and name.
func locate(_ path: String) -> (directory: String, name: String) {
  let (directory, name) = splitPath(normalizeDirectory(path))
  return (normalizeDirectory(directory), name)
}

/// The path the model uses for `path`.
func canonical(_ path: String) -> String {
  let (directory, name) = locate(path)
  return joinPath(directory, name)
}

/// Drops trailing `/`s, except from the root itself.
func normalizeDirectory(_ path: String) -> String {
  var path = path
  while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
  return path
}
