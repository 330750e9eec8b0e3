import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The real disk, through POSIX system calls.
///
/// Each method is one or two system calls, with nothing cached: what the engine
/// asks for is what the kernel is told. The calls that matter for durability
/// are spelled out where they happen:
///
/// - files are opened with `O_APPEND`, so every write lands at the end even if
///   someone else moved the file offset, and with `O_CLOEXEC`, so a child
///   process never inherits them;
/// - `sync(.data)` is `fdatasync` (the bytes and the size, not the
///   timestamps: enough for an append-only log), `sync(.full)` is `fsync`;
/// - `syncDirectory` opens the directory itself and calls `fsync` on it,
///   which is the only way POSIX offers to make a new, renamed or removed
///   *name* durable.
///
/// Errors keep their `errno`: `ENOENT` becomes `.notFound`, `EEXIST`
/// becomes `.alreadyExists`, anything else `.system(errno:)` with the
/// `strerror` text as the message.
public final class DiskFileSystem: FileSystem {
  public init() {}

  public func createDirectory(_ path: String) throws(FileSystemError) {
    // `mkdir -p`: create each prefix in turn; one that exists is fine.
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/", omittingEmptySubsequences: true) {
      prefix = joinPath(prefix, String(component))
      if mkdir(prefix, 0o755) != 0 {
        let code = errno
        guard code == EEXIST, isDirectory(prefix) else {
          throw systemError(code, "mkdir", prefix)
        }
      }
    }
  }

  public func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
  }

  public func listDirectory(_ path: String) throws(FileSystemError) -> [String] {
    let directoryPath = path.isEmpty ? "." : path
    guard let directory = opendir(directoryPath) else {
      throw systemError(errno, "opendir", path)
    }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
        tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
          String(cString: $0)
        }
      }
      if name == "." || name == ".." { continue }
      // Files only: the engine keeps no subdirectories inside its own, and a
      // listing that mixed them in would have to say which is which.
      switch Int32(entry.pointee.d_type) {
      case Int32(DT_REG): names.append(name)
      case Int32(DT_UNKNOWN): if isRegularFile(joinPath(directoryPath, name)) { names.append(name) }
      default: continue
      }
    }
    return names.sorted()
  }

  public func fileSize(_ path: String) throws(FileSystemError) -> Int {
    var info = stat()
    guard stat(path, &info) == 0 else { throw systemError(errno, "stat", path) }
    return Int(info.st_size)
  }

  public func openWritable(_ path: String, mode: OpenMode) throws(FileSystemError) -> any WritableFile {
    var flags = O_WRONLY | O_APPEND | O_CLOEXEC
    switch mode {
    case .createNew: flags |= O_CREAT | O_EXCL
    case .truncate: flags |= O_CREAT | O_TRUNC
    case .append: break
    }
    let fd = open(path, flags, 0o644)
    guard fd >= 0 else { throw systemError(errno, "open", path) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let error = systemError(errno, "fstat", path)
      _ = posixClose(fd)
      throw error
    }
    return DiskWritableFile(fd: fd, path: path, size: Int(info.st_size))
  }

  /// Opens a regular file for reading. Anything else is refused with what
  /// it is: a FIFO would block `open` until a writer came (so it is opened
  /// non-blocking, and checked before any read), a device or `/proc` file
  /// has no size to trust, and a directory no bytes.
  public func openReadable(_ path: String) throws(FileSystemError) -> any ReadableFile {
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { throw systemError(errno, "open", path) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let error = systemError(errno, "fstat", path)
      _ = posixClose(fd)
      throw error
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      _ = posixClose(fd)
      throw FileSystemError(
        .notARegularFile, operation: "open", path: path, message: Self.kind(of: info.st_mode & S_IFMT))
    }
    // A file the system gives no size but that has bytes (`/proc/...`)
    // would read as empty: refuse it rather than report an empty file.
    var probe: UInt8 = 0
    if info.st_size == 0 && pread(fd, &probe, 1, 0) == 1 {
      _ = posixClose(fd)
      throw FileSystemError(
        .notARegularFile, operation: "open", path: path,
        message: "its size is not reported (a /proc or /sys file?), so it cannot be read as a database file")
    }
    return DiskReadableFile(fd: fd, path: path, size: Int(info.st_size))
  }

  /// What a file that is not a regular one is, in words.
  private static func kind(of type: mode_t) -> String {
    switch type {
    case S_IFDIR: "a directory"
    case S_IFIFO: "a FIFO (named pipe)"
    case S_IFCHR: "a character device"
    case S_IFBLK: "a block device"
    case S_IFSOCK: "a socket"
    default: "not a regular file"
    }
  }

  public func rename(_ from: String, to: String) throws(FileSystemError) {
    guard posixRename(from, to) == 0 else { throw systemError(errno, "rename", from, to: to) }
  }

  public func removeFile(_ path: String) throws(FileSystemError) {
    guard unlink(path) == 0 else { throw systemError(errno, "unlink", path) }
  }

  public func truncateFile(_ path: String, to size: Int) throws(FileSystemError) {
    precondition(size >= 0, "REQUIRES: size >= 0")
    guard truncate(path, off_t(size)) == 0 else { throw systemError(errno, "truncate", path) }
  }

  public func syncDirectory(_ path: String) throws(FileSystemError) {
    // A directory is a file whose content is its table of names. Opening it
    // read-only and calling fsync on it writes that table out: this is what
    // makes a created, renamed or removed name survive a power cut.
    let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw systemError(errno, "open", path) }
    defer { _ = posixClose(fd) }
    guard retryingInterrupts({ fsync(fd) }) == 0 else { throw systemError(errno, "fsync", path) }
  }

  /// `flock(LOCK_EX | LOCK_NB)` on the file, which then holds the holder's
  /// pid (for the error a second opener gets). The kernel drops the lock
  /// when the process dies, however it dies.
  ///
  /// A lock just released can stay held for a moment by a child process
  /// that another thread is starting: between its `fork` and its `exec`,
  /// the child shares the descriptor (close-on-exec closes it only at the
  /// `exec`). So a refused lock is tried again for half a second before it
  /// counts as held by someone else.
  public func lock(_ path: String) throws(FileSystemError) -> any FileLock {
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw systemError(errno, "open", path) }
    var locked = flock(fd, LOCK_EX | LOCK_NB) == 0
    for _ in 0..<50 where !locked && errno == EWOULDBLOCK {
      usleep(10_000)
      locked = flock(fd, LOCK_EX | LOCK_NB) == 0
    }
    guard locked else {
      let code = errno
      var buffer = [UInt8](repeating: 0, count: 32)
      let count = pread(fd, &buffer, buffer.count, 0)
      _ = posixClose(fd)
      guard code == EWOULDBLOCK else { throw systemError(code, "flock", path) }
      let text = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
      throw FileSystemError(.locked(pid: Int32(text.trimmingWhitespace)), operation: "lock", path: path)
    }
    let pid = ProcessIdentity.lockContents
    _ = ftruncate(fd, 0)
    _ = pwrite(fd, pid, pid.count, 0)
    return DiskFileLock(descriptor: fd)
  }

  private func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  private func isRegularFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
  }
}

/// A file descriptor open for appending.
///
/// It tracks its own size (the size at open plus every byte written since)
/// rather than asking the kernel each time. The descriptor is closed on
/// `close()` or, if the owner forgot, when the object goes away.
final class DiskWritableFile: WritableFile {
  let path: String
  private(set) var size: Int
  private var fd: Int32

  init(fd: Int32, path: String, size: Int) {
    self.fd = fd
    self.path = path
    self.size = size
  }

  deinit {
    if fd >= 0 { _ = posixClose(fd) }
  }

  func append(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
    guard fd >= 0 else { throw FileSystemError(.closed, operation: "write", path: path) }
    guard let start = bytes.baseAddress, !bytes.isEmpty else { return }
    // `write` may write fewer bytes than asked (a signal, a full pipe, a
    // quota): keep going from where it stopped until every byte is out.
    var written = 0
    while written < bytes.count {
      let n = posixWrite(fd, start + written, bytes.count - written)
      if n < 0 {
        if errno == EINTR { continue }
        throw systemError(errno, "write", path)
      }
      if n == 0 {
        throw FileSystemError(.system(errno: EIO), operation: "write", path: path, message: "write made no progress")
      }
      written += n
      size += n
    }
  }

  func sync(_ kind: SyncKind) throws(FileSystemError) {
    guard fd >= 0 else { throw FileSystemError(.closed, operation: "sync", path: path) }
    let fd = self.fd
    switch kind {
    case .data:
      guard retryingInterrupts({ posixDataSync(fd) }) == 0 else { throw systemError(errno, "fdatasync", path) }
    case .full:
      guard retryingInterrupts({ fsync(fd) }) == 0 else { throw systemError(errno, "fsync", path) }
    }
  }

  func close() throws(FileSystemError) {
    guard fd >= 0 else { return }
    let result = posixClose(fd)
    // On Linux the descriptor is gone even when close reports an error (and
    // even on EINTR), so it must never be closed a second time.
    fd = -1
    if result != 0 && errno != EINTR { throw systemError(errno, "close", path) }
  }
}

/// A file descriptor open for reading with `pread`.
///
/// `pread` takes its offset as an argument and does not move a shared file
/// position, so any number of threads may read through one descriptor at
/// once; that is why this class can be `Sendable` with no lock. Closing while
/// another thread reads is the caller's bug, as with any descriptor.
final class DiskReadableFile: ReadableFile {
  let path: String
  let size: Int
  private let fd: Int32
  private let isClosed = Atomic<Bool>(false)

  init(fd: Int32, path: String, size: Int) {
    self.fd = fd
    self.path = path
    self.size = size
  }

  deinit {
    if !isClosed.load(ordering: .acquiring) { _ = posixClose(fd) }
  }

  func read(at offset: Int, count: Int) throws(FileSystemError) -> Bytes {
    precondition(offset >= 0 && count >= 0, "REQUIRES: offset >= 0 && count >= 0")
    guard !isClosed.load(ordering: .acquiring) else { throw FileSystemError(.closed, operation: "pread", path: path) }
    var failure: Int32 = 0
    let bytes = Bytes(unsafeUninitializedCapacity: count) { buffer, initialized in
      // Like `write`, `pread` may return fewer bytes than asked: loop until
      // the buffer is full or the file ends (a return of 0).
      while initialized < count {
        let n = pread(fd, buffer.baseAddress! + initialized, count - initialized, off_t(offset + initialized))
        if n < 0 {
          if errno == EINTR { continue }
          failure = errno
          return
        }
        if n == 0 { return }
        initialized += n
      }
    }
    if failure != 0 { throw systemError(failure, "pread", path) }
    return bytes
  }

  func close() throws(FileSystemError) {
    guard isClosed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
      return
    }
    if posixClose(fd) != 0 && errno != EINTR { throw systemError(errno, "close", path) }
  }
}

// The classes above have members named `close`, `read` and `rename`, which
// hide the C functions of the same name inside them; these file-scope
// wrappers reach the C functions.

private func posixClose(_ fd: Int32) -> Int32 { close(fd) }

private func posixRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }

private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }

private func posixDataSync(_ fd: Int32) -> Int32 {
  #if os(Linux)
    return fdatasync(fd)
  #else
    return fsync(fd)
  #endif
}

/// Calls `body` again while it fails with `EINTR` (a signal arrived first).
private func retryingInterrupts(_ body: () -> Int32) -> Int32 {
  while true {
    let result = body()
    if result == 0 || errno != EINTR { return result }
  }
}

/// The error for a failed system call, from its `errno`.
private func systemError(
  _ code: Int32, _ operation: String, _ path: String, to target: String? = nil
) -> FileSystemError {
  let message = String(cString: strerror(code))
  let subject = target.map { "\(path) → \($0)" } ?? path
  switch code {
  case ENOENT: return FileSystemError(.notFound, operation: operation, path: subject, message: message)
  case EEXIST: return FileSystemError(.alreadyExists, operation: operation, path: subject, message: message)
  default: return FileSystemError(.system(errno: code), operation: operation, path: subject, message: message)
  }
}

/// A held `flock`: closing the descriptor releases it.
private final class DiskFileLock: FileLock, @unchecked Sendable {
  private let descriptor = Locked<Int32?>(nil)

  init(descriptor: Int32) { self.descriptor.withLock { $0 = descriptor } }

  func release() {
    guard let fd = descriptor.withLock({ $0.take() }) else { return }
    _ = posixClose(fd)
  }

  deinit { release() }
}

extension String {
  fileprivate var trimmingWhitespace: String {
    String(unicodeScalars.filter { !$0.properties.isWhitespace })
  }
}

/// This process's id, for `LOCK` files.
enum ProcessIdentity {
  static var pid: Int32 { getpid() }

  /// What a `LOCK` file holds: the pid, right-aligned in ten digits and a
  /// newline, so the file's size is the same whoever holds it (the shell's
  /// sessions list it, and must read the same from run to run).
  static var lockContents: Bytes {
    let digits = String(pid)
    return Array((String(repeating: " ", count: max(0, 10 - digits.count)) + digits + "\n").utf8)
  }
}
