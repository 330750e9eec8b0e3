/// The seam between the engine and the disk.
///
/// Every byte the engine reads or writes goes through a `FileSystem`. There
/// are three implementations:
///
/// - `DiskFileSystem` calls POSIX directly (`open`, `write`, `fdatasync`,
///   `fsync` on a directory, `rename`, `ftruncate`).
/// - `MemoryFileSystem` keeps files in memory, for fast tests.
/// - `PowerCutFileSystem` wraps either of them and remembers what is
///   *durable*: which bytes have been synced and which directory entries
///   have been made permanent by a directory sync. Its `crash()` throws away
///   exactly what a power cut may throw away. It also injects faults: fail
///   the Nth sync, tear a write, flip a bit on read.
///
/// The durability rules it models are POSIX's, read strictly:
///
/// 1. `write` puts bytes in the page cache. They survive the process dying,
///    but not the machine losing power.
/// 2. `fsync`/`fdatasync` on a file makes its bytes durable, but not its
///    *name*: a new file's directory entry lives in the directory.
/// 3. `fsync` on the directory makes its entries durable: files created,
///    renamed or removed in it since the last directory sync.
///
/// The seam also carries the one thing that is not about bytes: a lock on a
/// file (`flock` on disk), which a database takes on its `LOCK` file at open
/// so that a second process gets a clear error instead of a second writer.
///
/// Paths are plain strings joined with `/`. The engine always works inside one
/// database directory and names files relative to it in its trace, so traces
/// never show absolute paths.
// snippet: filesystem-protocol
public protocol FileSystem: AnyObject, Sendable {
  /// Creates the directory and any missing parents; succeeds if it exists.
  func createDirectory(_ path: String) throws(FileSystemError)

  /// Whether a file (or directory) exists at `path`.
  func fileExists(_ path: String) -> Bool

  /// The names (not paths) of the files in a directory, sorted.
  func listDirectory(_ path: String) throws(FileSystemError) -> [String]

  /// The size of a file in bytes.
  func fileSize(_ path: String) throws(FileSystemError) -> Int

  /// Opens a file for appending.
  ///
  /// - Parameters:
  ///   - path: the file.
  ///   - mode: `.createNew` fails if the file exists; `.truncate` creates it or
  ///     empties it; `.append` opens an existing file and writes at its end.
  func openWritable(_ path: String, mode: OpenMode) throws(FileSystemError) -> any WritableFile

  /// Opens an existing file for reading at arbitrary offsets.
  func openReadable(_ path: String) throws(FileSystemError) -> any ReadableFile

  /// Atomically replaces `to` with `from` (POSIX `rename`). Not durable until
  /// the directory is synced.
  func rename(_ from: String, to: String) throws(FileSystemError)

  /// Removes a file. Not durable until the directory is synced.
  func removeFile(_ path: String) throws(FileSystemError)

  /// Cuts a file to `size` bytes. Not durable until the file is synced.
  func truncateFile(_ path: String, to size: Int) throws(FileSystemError)

  /// Makes the directory's entries durable (`fsync` on the directory).
  func syncDirectory(_ path: String) throws(FileSystemError)

  /// Takes an exclusive lock on the file at `path` (created if missing),
  /// held until the returned lock is released or the process ends.
  ///
  /// - Throws: `FileSystemError` with code `.locked` if another holder has
  ///   it (with its pid when the file says).
  func lock(_ path: String) throws(FileSystemError) -> any FileLock
}
// end snippet

/// A lock taken with `FileSystem.lock`.
public protocol FileLock: AnyObject, Sendable {
  /// Lets the lock go (idempotent).
  func release()
}

/// How `openWritable` treats an existing file.
public enum OpenMode: Sendable {
  /// Create the file; fail with `.alreadyExists` if it is there.
  case createNew
  /// Create the file, or empty it if it exists.
  case truncate
  /// Open an existing file and write after its last byte.
  case append
}

/// Which sync system call to make.
public enum SyncKind: Sendable {
  /// `fdatasync`: the data and whatever metadata is needed to read it back
  /// (the size), but not timestamps. Enough for an append-only log.
  case data
  /// `fsync`: data and all metadata.
  case full
}

/// A file open for appending. Used by one thread at a time.
public protocol WritableFile: AnyObject {
  /// The path it was opened with.
  var path: String { get }
  /// Bytes in the file, counting those not yet synced.
  var size: Int { get }
  /// Appends bytes at the end of the file.
  func append(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError)
  /// Makes every byte appended so far durable.
  func sync(_ kind: SyncKind) throws(FileSystemError)
  /// Closes the file. Does not sync.
  func close() throws(FileSystemError)
}

extension WritableFile {
  /// Appends bytes at the end of the file.
  public func append(_ bytes: Bytes) throws(FileSystemError) {
    // `withUnsafeBytes` rethrows untyped errors, so carry the typed one out.
    var failure: FileSystemError?
    bytes.withUnsafeBytes { buffer in
      do throws(FileSystemError) { try append(buffer) } catch { failure = error }
    }
    if let failure { throw failure }
  }
}

/// A file open for reading at arbitrary offsets. Safe to share between threads.
public protocol ReadableFile: AnyObject, Sendable {
  var path: String { get }
  /// The file's size when it was opened.
  var size: Int { get }
  /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
  func read(at offset: Int, count: Int) throws(FileSystemError) -> Bytes
  func close() throws(FileSystemError)
}

extension FileSystem {
  /// Reads a whole file.
  public func readFile(_ path: String) throws(FileSystemError) -> Bytes {
    let file = try openReadable(path)
    defer { try? file.close() }
    return try file.read(at: 0, count: file.size)
  }

  /// Writes a whole file (replacing it), optionally syncing it.
  public func writeFile(_ path: String, _ bytes: Bytes, sync: Bool) throws(FileSystemError) {
    let file = try openWritable(path, mode: .truncate)
    defer { try? file.close() }
    try file.append(bytes)
    if sync { try file.sync(.data) }
  }
}

extension FileSystem {
  /// Makes sure a database directory exists: creates it (and makes its name
  /// durable by syncing its parent) if it is missing and `create` allows.
  ///
  /// - Throws: `.notFound` if it is missing and `create` is false.
  public func prepareDatabaseDirectory(_ directory: String, create: Bool) throws(FileSystemError) {
    guard !fileExists(directory) else { return }
    guard create else { throw FileSystemError(.notFound, operation: "open database", path: directory) }
    try createDirectory(directory)
    // The new directory's own name lives in its parent.
    try syncDirectory(splitPath(directory).directory)
  }
}

/// Joins a directory and a file name.
public func joinPath(_ directory: String, _ name: String) -> String {
  if directory.isEmpty { return name }
  return directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

/// Splits a path into its directory and file name: `"a/b/c"` → `("a/b", "c")`.
public func splitPath(_ path: String) -> (directory: String, name: String) {
  guard let slash = path.lastIndex(of: "/") else { return ("", path) }
  let directory = String(path[..<slash])
  return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
}

/// A failed file-system call: what, on which path, and why.
public struct FileSystemError: Error, Equatable, CustomStringConvertible {
  public enum Code: Equatable, Sendable {
    /// The file does not exist.
    case notFound
    /// The file exists and `.createNew` was asked for.
    case alreadyExists
    /// The operating system refused; the errno is kept.
    case system(errno: Int32)
    /// A fault injected by `PowerCutFileSystem` on purpose.
    case injected
    /// The simulated machine has lost power: nothing more reaches the disk.
    case poweredOff
    /// The file was closed, or belonged to a machine that has since crashed.
    case closed
    /// Another process (or another open database) holds the lock; its pid
    /// if it wrote one.
    case locked(pid: Int32?)
    /// The path names a directory, a FIFO, a device...: not a file to read.
    case notARegularFile
  }

  public var code: Code
  /// The operation that failed, e.g. `"fdatasync"`.
  public var operation: String
  public var path: String
  public var message: String

  public init(_ code: Code, operation: String, path: String, message: String = "") {
    self.code = code
    self.operation = operation
    self.path = path
    self.message = message
  }

  public var description: String {
    let reason: String
    switch code {
    case .notFound: reason = "no such file"
    case .alreadyExists: reason = "file exists"
    case .system(let errno): reason = message.isEmpty ? "errno \(errno)" : "\(message) (errno \(errno))"
    case .injected: reason = message.isEmpty ? "injected fault" : "injected fault: \(message)"
    case .poweredOff: reason = "the machine is powered off"
    case .closed: reason = "file is closed"
    case .locked(let pid): reason = "locked by another process" + (pid.map { " (pid \($0))" } ?? "")
    case .notARegularFile: reason = "not a regular file: " + message
    }
    return "\(operation) \(path): \(reason)"
  }
}
