import Synchronization

/// A file system that lives in memory, for fast tests.
///
/// It keeps the semantics of the disk where the engine can tell the
/// difference: `.createNew` fails on an existing file, `.append` needs one,
/// `rename` replaces its target, removing a missing file is `.notFound`, a
/// file can only be created in a directory that exists, and an open writable
/// handle keeps writing to its file after the file is renamed (a handle
/// belongs to the file, not to the name, as with a POSIX inode).
///
/// It has no notion of durability: every write is "on disk" as soon as it is
/// made, and syncs do nothing. Wrap it in a `PowerCutFileSystem` to model what
/// a power cut would lose.
///
/// Paths are compared as strings; the only normalization is that a trailing
/// `/` is dropped. `""`, `"."` and `"/"` are directories from the start.
///
/// All state sits behind one mutex, so the file system and its readable files
/// may be shared between threads.
public final class MemoryFileSystem: FileSystem {
  private struct State {
    /// Every file, by path.
    var files: [String: MemoryInode] = [:]
    /// Every directory, by path.
    var directories: Set<String> = ["", ".", "/"]
    /// Paths with a lock held on them.
    var locked: Set<String> = []
  }

  private let state = Locked(State())

  public init() {}

  public func createDirectory(_ path: String) throws(FileSystemError) {
    let path = normalize(path)
    try state.withLock { state throws(FileSystemError) in
      var prefix = path.hasPrefix("/") ? "/" : ""
      for component in path.split(separator: "/", omittingEmptySubsequences: true) {
        prefix = joinPath(prefix, String(component))
        guard state.files[prefix] == nil else {
          throw FileSystemError(.alreadyExists, operation: "mkdir", path: prefix, message: "a file is in the way")
        }
        state.directories.insert(prefix)
      }
    }
  }

  public func fileExists(_ path: String) -> Bool {
    let path = normalize(path)
    return state.withLock { $0.files[path] != nil || $0.directories.contains(path) }
  }

  public func listDirectory(_ path: String) throws(FileSystemError) -> [String] {
    let path = normalize(path)
    return try state.withLock { state throws(FileSystemError) in
      guard state.directories.contains(path) else {
        throw FileSystemError(.notFound, operation: "opendir", path: path)
      }
      return state.files.keys.filter { splitPath($0).directory == path }.map { splitPath($0).name }.sorted()
    }
  }

  public func fileSize(_ path: String) throws(FileSystemError) -> Int {
    let path = normalize(path)
    return try state.withLock { state throws(FileSystemError) in
      guard let inode = state.files[path] else { throw FileSystemError(.notFound, operation: "stat", path: path) }
      return inode.bytes.count
    }
  }

  public func openWritable(_ path: String, mode: OpenMode) throws(FileSystemError) -> any WritableFile {
    let path = normalize(path)
    let inode = try state.withLock { state throws(FileSystemError) -> MemoryInode in
      if let existing = state.files[path] {
        switch mode {
        case .createNew: throw FileSystemError(.alreadyExists, operation: "open", path: path)
        case .truncate: existing.bytes.removeAll()
        case .append: break
        }
        return existing
      }
      guard mode != .append else { throw FileSystemError(.notFound, operation: "open", path: path) }
      try Self.requireParent(of: path, in: state, operation: "open")
      let created = MemoryInode()
      state.files[path] = created
      return created
    }
    return MemoryWritableFile(fileSystem: self, inode: inode, path: path)
  }

  public func openReadable(_ path: String) throws(FileSystemError) -> any ReadableFile {
    let path = normalize(path)
    let bytes = try state.withLock { state throws(FileSystemError) -> Bytes in
      guard let inode = state.files[path] else { throw FileSystemError(.notFound, operation: "open", path: path) }
      return inode.bytes
    }
    return MemoryReadableFile(path: path, bytes: bytes)
  }

  public func rename(_ from: String, to: String) throws(FileSystemError) {
    let from = normalize(from)
    let to = normalize(to)
    try state.withLock { state throws(FileSystemError) in
      guard let inode = state.files[from] else { throw FileSystemError(.notFound, operation: "rename", path: from) }
      try Self.requireParent(of: to, in: state, operation: "rename")
      guard !state.directories.contains(to) else {
        throw FileSystemError(.alreadyExists, operation: "rename", path: to, message: "a directory is in the way")
      }
      state.files[from] = nil
      state.files[to] = inode
    }
  }

  public func removeFile(_ path: String) throws(FileSystemError) {
    let path = normalize(path)
    try state.withLock { state throws(FileSystemError) in
      guard state.files.removeValue(forKey: path) != nil else {
        throw FileSystemError(.notFound, operation: "unlink", path: path)
      }
    }
  }

  public func truncateFile(_ path: String, to size: Int) throws(FileSystemError) {
    precondition(size >= 0, "REQUIRES: size >= 0")
    let path = normalize(path)
    try state.withLock { state throws(FileSystemError) in
      guard let inode = state.files[path] else { throw FileSystemError(.notFound, operation: "truncate", path: path) }
      if size < inode.bytes.count {
        inode.bytes.removeLast(inode.bytes.count - size)
      } else {
        inode.bytes.append(contentsOf: repeatElement(0, count: size - inode.bytes.count))
      }
    }
  }

  public func syncDirectory(_ path: String) throws(FileSystemError) {
    let path = normalize(path)
    try state.withLock { state throws(FileSystemError) in
      guard state.directories.contains(path) else { throw FileSystemError(.notFound, operation: "open", path: path) }
    }
  }

  /// Creates the file if it is missing, then holds the path as locked.
  public func lock(_ path: String) throws(FileSystemError) -> any FileLock {
    if !fileExists(path) { try writeFile(path, [], sync: false) }
    let path = normalize(path)
    try state.withLock { state throws(FileSystemError) in
      guard state.locked.insert(path).inserted else {
        throw FileSystemError(.locked(pid: nil), operation: "lock", path: path)
      }
    }
    return MemoryFileLock { [weak self] in self?.state.withLock { _ = $0.locked.remove(path) } }
  }

  /// Runs `body` on the bytes of `inode` under the file system's lock.
  fileprivate func withBytes<R>(of inode: MemoryInode, _ body: (inout Bytes) -> R) -> R {
    state.withLock { _ in body(&inode.bytes) }
  }

  private static func requireParent(of path: String, in state: State, operation: String) throws(FileSystemError) {
    let directory = splitPath(path).directory
    guard state.directories.contains(directory) else {
      throw FileSystemError(.notFound, operation: operation, path: path, message: "no directory \(directory)")
    }
  }
}

/// A file's bytes, shared by its name and every handle open on it.
///
/// A class so that a handle keeps writing to the same file after a rename,
/// as a POSIX file descriptor does. It is `@unchecked Sendable` because its
/// one mutable field is only touched under the owning `MemoryFileSystem`'s
/// mutex.
private final class MemoryInode: @unchecked Sendable {
  var bytes: Bytes = []
}

/// A handle for appending to a `MemoryFileSystem` file.
private final class MemoryWritableFile: WritableFile {
  let path: String
  private let fileSystem: MemoryFileSystem
  private let inode: MemoryInode
  private var isClosed = false

  init(fileSystem: MemoryFileSystem, inode: MemoryInode, path: String) {
    self.fileSystem = fileSystem
    self.inode = inode
    self.path = path
  }

  var size: Int { fileSystem.withBytes(of: inode) { $0.count } }

  func append(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
    guard !isClosed else { throw FileSystemError(.closed, operation: "write", path: path) }
    fileSystem.withBytes(of: inode) { $0.append(contentsOf: bytes) }
  }

  func sync(_ kind: SyncKind) throws(FileSystemError) {
    guard !isClosed else { throw FileSystemError(.closed, operation: "sync", path: path) }
  }

  func close() throws(FileSystemError) {
    isClosed = true
  }
}

/// A `MemoryFileSystem` file open for reading.
///
/// It holds the file's bytes as they were when it was opened (an array is a
/// copy-on-write value, so this costs nothing until the file changes). A
/// reader of the disk would also see bytes appended later; the engine only
/// reads files that no one is appending to, so the difference never shows.
private final class MemoryReadableFile: ReadableFile {
  let path: String
  private let bytes: Bytes
  private let isClosed = Atomic<Bool>(false)

  init(path: String, bytes: Bytes) {
    self.path = path
    self.bytes = bytes
  }

  var size: Int { bytes.count }

  func read(at offset: Int, count: Int) throws(FileSystemError) -> Bytes {
    precondition(offset >= 0 && count >= 0, "REQUIRES: offset >= 0 && count >= 0")
    guard !isClosed.load(ordering: .relaxed) else { throw FileSystemError(.closed, operation: "pread", path: path) }
    guard offset < bytes.count else { return [] }
    return Array(bytes[offset..<min(bytes.count, offset + count)])
  }

  func close() throws(FileSystemError) {
    isClosed.store(true, ordering: .relaxed)
  }
}

/// Drops a trailing `/`, except from the root itself.
private func normalize(_ path: String) -> String {
  var path = path
  while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
  return path
}

/// A lock on a `MemoryFileSystem` path, released once.
private final class MemoryFileLock: FileLock {
  private let unlock: Locked<(@Sendable () -> Void)?>

  init(unlock: @escaping @Sendable () -> Void) { self.unlock = Locked(unlock) }

  func release() { unlock.withLock { $0.take() }?() }

  deinit { release() }
}
