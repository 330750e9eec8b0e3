import Chapter1WAL

/// A file system that forwards every call to another and lets a test hook in
/// where it needs to: hold up a sync (to line writers up behind it, or to keep
/// a flush busy), or skip directory syncs (the bug a crash test must catch).
public final class HookedFileSystem: FileSystem, @unchecked Sendable {
  public let base: any FileSystem
  /// Runs before every file sync, with the file's path; it may block.
  private let beforeSync: @Sendable (String) -> Void
  /// Whether directory syncs are silently dropped.
  private let skipsDirectorySyncs: Bool

  public init(
    wrapping base: any FileSystem, skipsDirectorySyncs: Bool = false,
    beforeSync: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.base = base
    self.skipsDirectorySyncs = skipsDirectorySyncs
    self.beforeSync = beforeSync
  }

  public func createDirectory(_ path: String) throws(FileSystemError) { try base.createDirectory(path) }
  public func fileExists(_ path: String) -> Bool { base.fileExists(path) }
  public func listDirectory(_ path: String) throws(FileSystemError) -> [String] { try base.listDirectory(path) }
  public func fileSize(_ path: String) throws(FileSystemError) -> Int { try base.fileSize(path) }
  public func openReadable(_ path: String) throws(FileSystemError) -> any ReadableFile {
    try base.openReadable(path)
  }
  public func rename(_ from: String, to: String) throws(FileSystemError) { try base.rename(from, to: to) }
  public func removeFile(_ path: String) throws(FileSystemError) { try base.removeFile(path) }
  public func lock(_ path: String) throws(FileSystemError) -> any FileLock { try base.lock(path) }
  public func truncateFile(_ path: String, to size: Int) throws(FileSystemError) {
    try base.truncateFile(path, to: size)
  }
  public func syncDirectory(_ path: String) throws(FileSystemError) {
    if !skipsDirectorySyncs { try base.syncDirectory(path) }
  }
  public func openWritable(_ path: String, mode: OpenMode) throws(FileSystemError) -> any WritableFile {
    Hooked(file: try base.openWritable(path, mode: mode), beforeSync: beforeSync)
  }

  private final class Hooked: WritableFile {
    let file: any WritableFile
    let beforeSync: @Sendable (String) -> Void

    init(file: any WritableFile, beforeSync: @escaping @Sendable (String) -> Void) {
      self.file = file
      self.beforeSync = beforeSync
    }

    var path: String { file.path }
    var size: Int { file.size }
    func append(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) { try file.append(bytes) }
    func close() throws(FileSystemError) { try file.close() }
    func sync(_ kind: SyncKind) throws(FileSystemError) {
      beforeSync(path)
      try file.sync(kind)
    }
  }
}
