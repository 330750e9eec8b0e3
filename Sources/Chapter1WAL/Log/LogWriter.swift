/// Appending records to a log file.
///
/// `LogWriter` frames payloads (see `LogFormat`), appends them to the file and
/// syncs it when asked. Only one thread may write at a time (the commit
/// queue's leader); any thread may read `status` meanwhile.
public final class LogWriter: Sendable {
  /// The file's name, for traces and errors.
  public let name: String
  /// The log number, from the file name.
  public let number: UInt64
  /// Used by one writing thread at a time (see the type's comment).
  private nonisolated(unsafe) let file: any WritableFile
  private let maxRecordSize: Int
  private let counters: Locked<Status>

  /// Sizes and counts, as of the last completed append or sync.
  public struct Status: Sendable, Equatable {
    /// The file's name.
    public var name: String
    /// Bytes in the file, synced or not.
    public var size: Int
    /// Bytes known to be durable: the size at the last successful sync.
    public var syncedSize: Int
    /// Records in the file: those found at open plus those appended.
    public var records: Int
    /// Groups written by `commit` (one append each).
    public var groups = 0
    /// Batches written by `commit`.
    public var batches = 0
    /// Successful syncs.
    public var syncs = 0
  }

  /// Wraps a file open for appending whose first `existingRecords` records
  /// (all its bytes) are already durable.
  public init(file: any WritableFile, name: String, number: UInt64, existingRecords: Int = 0, maxRecordSize: Int) {
    self.file = file
    self.name = name
    self.number = number
    self.maxRecordSize = maxRecordSize
    self.counters = Locked(Status(name: name, size: file.size, syncedSize: file.size, records: existingRecords))
  }

  /// A consistent copy of the sizes and counts.
  public var status: Status { counters.withLock { $0 } }

  // snippet: log-append
  /// Frames each payload as a record and appends them all in one write.
  ///
  /// - Returns: the offset of each record.
  /// - Throws: `LogWriter.Error.recordTooLarge` before writing anything if a
  ///   payload is over the limit; a `FileSystemError` if the write fails.
  public func append(_ payloads: [Bytes]) throws -> [Int] {
    var buffer = Bytes()
    buffer.reserveCapacity(payloads.reduce(0) { $0 + LogFormat.recordSize(payloadLength: $1.count) })
    var offsets: [Int] = []
    let start = status.size
    for payload in payloads {
      guard payload.count <= maxRecordSize else {
        throw Error.recordTooLarge(size: payload.count, limit: maxRecordSize)
      }
      offsets.append(start + buffer.count)
      LogFormat.frame(payload, into: &buffer)
    }
    try file.append(buffer)
    counters.withLock {
      $0.size += buffer.count
      $0.records += payloads.count
    }
    return offsets
  }

  /// Makes every appended record durable (`fdatasync`).
  public func sync() throws {
    try file.sync(.data)
    counters.withLock {
      $0.syncedSize = $0.size
      $0.syncs += 1
    }
  }
  // end snippet

  // snippet: log-commit
  /// Writes a group of committed batches: one append for all of them, then
  /// one sync if any of them asked for it. This is `CommitQueue`'s persist
  /// step for an engine whose log is this file.
  public func commit(_ group: [CommitQueue.Commit], tracer: Tracer) throws {
    let payloads = group.map { $0.batch.encoded(sequence: $0.firstSequence) }
    let offsets = try append(payloads)
    for (index, commit) in group.enumerated() {
      tracer(
        .wal, "append", Format.batch(commit.batch, from: commit.firstSequence),
        "→ \(name) @ \(offsets[index])  (\(LogFormat.recordSize(payloadLength: payloads[index].count)) B)",
        why: "the log is written first: once the record is durable the write survives a crash")
    }
    counters.withLock {
      $0.groups += 1
      $0.batches += group.count
    }
    guard group.contains(where: \.sync) else { return }
    try sync()
    tracer(
      .wal, "fsync", name,
      "durable through seq \(group.last!.lastSequence)"
        + (group.count > 1 ? " (\(group.count) batches, one fdatasync)" : ""),
      why: "fdatasync returns only when the bytes are on stable storage; only now may the write be acknowledged")
  }
  // end snippet

  /// Creates the empty log `number` in `directory` and makes its name durable
  /// (a directory sync: syncing a file does not make its name durable).
  public static func create(
    number: UInt64, in directory: String, fileSystem: any FileSystem, maxRecordSize: Int, tracer: Tracer
  ) throws -> LogWriter {
    let name = LogFormat.fileName(number: number)
    let file = try fileSystem.openWritable(joinPath(directory, name), mode: .createNew)
    tracer(.wal, "create", name, why: "a new, empty log receives every write from now on")
    try fileSystem.syncDirectory(directory)
    tracer(
      .fs, "dirsync", "database directory", "\(name) is now a durable name",
      why: "syncing a file does not make its name durable; without this a power cut could lose the whole log")
    return LogWriter(file: file, name: name, number: number, maxRecordSize: maxRecordSize)
  }

  /// Opens log `number` in `directory` to append after its `records` records
  /// (recovery has just read them, and cut any torn tail). `name` is for a
  /// file in the log format that is not a write-ahead log (a manifest).
  public static func resume(
    number: UInt64, records: Int, in directory: String, fileSystem: any FileSystem, maxRecordSize: Int,
    name: String? = nil
  ) throws -> LogWriter {
    let name = name ?? LogFormat.fileName(number: number)
    let file = try fileSystem.openWritable(joinPath(directory, name), mode: .append)
    return LogWriter(file: file, name: name, number: number, existingRecords: records, maxRecordSize: maxRecordSize)
  }

  /// Closes the file without syncing it.
  public func close() throws {
    try file.close()
  }

  /// What can go wrong before any byte is written.
  public enum Error: Swift.Error, Equatable, CustomStringConvertible {
    case recordTooLarge(size: Int, limit: Int)

    public var description: String {
      switch self {
      case .recordTooLarge(let size, let limit):
        "a batch of \(size) encoded bytes exceeds the \(limit)-byte record limit"
      }
    }
  }
}
