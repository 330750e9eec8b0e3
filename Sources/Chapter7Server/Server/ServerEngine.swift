import Chapter1WAL
import Chapter3SSTable
import Chapter4Manifest
import Chapter5BloomFilter
import Chapter6Compaction
import NIOCore
import Synchronization

/// What the server needs from an engine: chapter 1's writes and reads, and
/// a scan that stops after a page (never the whole database in one reply).
public protocol ServerEngine: AnyObject, Sendable {
  func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber
  func get(_ key: Bytes) throws -> Bytes?
  /// Up to `limit` entries with keys from `start` up to (not including)
  /// `end`, and the key the next page starts at.
  func scanPage(from start: Bytes, to end: Bytes?, limit: Int) throws -> ScanPage
  func close() throws
  /// Answers an EXTENSION request: the reply's status and payload.
  ///
  /// This is the seam a later layer replaces the engine through, to carry
  /// requests this chapter knows nothing of over its frames, limits and
  /// deadlines. It is called on the connection's event loop and must not
  /// block there: an answer that takes time (one that waits for other
  /// machines, say) completes the future later, and holds no thread
  /// meanwhile. The server applies the request's deadline as for any
  /// other. The default refuses every code with `bad request`.
  func handleExtension(code: UInt8, body: Bytes, on loop: any EventLoop) -> EventLoopFuture<(Frame.Status, Bytes)>
}

extension ServerEngine {
  public func handleExtension(code: UInt8, body: Bytes, on loop: any EventLoop) -> EventLoopFuture<
    (Frame.Status, Bytes)
  > {
    loop.makeSucceededFuture((.badRequest, Array("this server has no extension \(code)".utf8)))
  }
}

extension Chapter6Compaction.Database: ServerEngine {
  public func scanPage(from start: Bytes, to end: Bytes?, limit: Int) throws -> ScanPage {
    let iterator = makeIterator()
    try iterator.seek(start)
    var entries: [KeyValuePair] = []
    while iterator.isValid, entries.count < limit {
      if let end, !iterator.key.lexicographicallyPrecedes(end) { return ScanPage(entries: entries, resumeKey: nil) }
      entries.append(KeyValuePair(key: iterator.key, value: iterator.value))
      try iterator.next()
    }
    guard iterator.isValid, end.map({ iterator.key.lexicographicallyPrecedes($0) }) ?? true else {
      return ScanPage(entries: entries, resumeKey: nil)
    }
    return ScanPage(entries: entries, resumeKey: iterator.key)
  }
}

/// The reply status for an engine's error: damaged data is `corruption`,
/// anything else `internal`.
func status(for error: any Error) -> Frame.Status {
  switch error {
  case is LogCorruption, is Chapter1WAL.DecodingError, is BlockCorruption, is BlockTrailer.Problem, is TableError,
    is ManifestError:
    .corruption
  default: .internal
  }
}

/// A file system that counts the syncs of log files on their way to the
/// file system below: the figure behind "writes per fsync".
public final class SyncCountingFileSystem: FileSystem {
  private let base: any FileSystem
  private let count = Atomic<Int>(0)

  public init(_ base: any FileSystem) { self.base = base }

  /// Log syncs so far.
  public var logSyncs: Int { count.load(ordering: .relaxed) }

  public func createDirectory(_ path: String) throws(FileSystemError) { try base.createDirectory(path) }
  public func fileExists(_ path: String) -> Bool { base.fileExists(path) }
  public func listDirectory(_ path: String) throws(FileSystemError) -> [String] { try base.listDirectory(path) }
  public func fileSize(_ path: String) throws(FileSystemError) -> Int { try base.fileSize(path) }
  public func openWritable(_ path: String, mode: OpenMode) throws(FileSystemError) -> any WritableFile {
    let file = try base.openWritable(path, mode: mode)
    return path.hasSuffix(".log") ? CountingFile(file, count: self) : file
  }
  public func openReadable(_ path: String) throws(FileSystemError) -> any ReadableFile { try base.openReadable(path) }
  public func rename(_ from: String, to: String) throws(FileSystemError) { try base.rename(from, to: to) }
  public func removeFile(_ path: String) throws(FileSystemError) { try base.removeFile(path) }
  public func truncateFile(_ path: String, to size: Int) throws(FileSystemError) {
    try base.truncateFile(path, to: size)
  }
  public func syncDirectory(_ path: String) throws(FileSystemError) { try base.syncDirectory(path) }
  public func lock(_ path: String) throws(FileSystemError) -> any FileLock { try base.lock(path) }

  fileprivate func counted() { count.add(1, ordering: .relaxed) }

  private final class CountingFile: WritableFile {
    let file: any WritableFile
    let owner: SyncCountingFileSystem
    init(_ file: any WritableFile, count owner: SyncCountingFileSystem) {
      self.file = file
      self.owner = owner
    }
    var path: String { file.path }
    var size: Int { file.size }
    func append(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) { try file.append(bytes) }
    func sync(_ kind: SyncKind) throws(FileSystemError) {
      owner.counted()
      try file.sync(kind)
    }
    func close() throws(FileSystemError) { try file.close() }
  }
}
