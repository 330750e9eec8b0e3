import Foundation

/// Chapter 1's engine: a write-ahead log in front of an in-memory map.
///
/// Every write goes to the log first and is acknowledged only once the log
/// holds it as durably as the caller asked (synced, by default). Only then is
/// it applied to the map that serves reads. After a crash, `open` rebuilds
/// the map by replaying the log: that is the whole durability story of this
/// chapter, and every later chapter keeps it.
///
/// ## Threads and group commit
///
/// Any number of threads may call `write` at once. They queue up; the thread
/// at the head of the queue becomes the *leader*, takes the batches queued
/// behind it, writes them to the log in one append, syncs once, applies them
/// all to the map, and wakes the others with their results. One `fdatasync`
/// then serves every batch in the group: with 16 writers the disk sees far
/// fewer syncs than writes. The lock protects the queue and the map; the
/// leader releases it during the I/O, so reads are never blocked by a sync.
///
/// ## When a write fails
///
/// If appending or syncing the log fails, nobody knows what reached the disk
/// (a failed `fsync` may even have dropped dirty pages). The database then
/// refuses every further write with the original error, until it is closed
/// and reopened, at which point recovery finds out what the log really holds.
public final class Database: KeyValueStore, @unchecked Sendable {
  /// Settings fixed at open.
  public struct Options: Sendable {
    /// The largest encoded batch a record may carry.
    public var maxRecordSize = LogFormat.defaultMaxRecordSize
    /// Create the directory and a first log if there is none.
    public var createIfMissing = true
    /// A leader stops adding batches to its group past this many bytes.
    public var maxGroupBytes = 1 << 20

    public init() {}
  }

  /// Counters since open.
  public struct Stats: Sendable, Equatable {
    /// Batches written to the log.
    public var batches = 0
    /// Groups written (one append each); `batches / groups` is the mean group size.
    public var groups = 0
    /// `fdatasync` calls on the log.
    public var syncs = 0
    /// Bytes appended to the log.
    public var logBytes = 0
  }

  /// What recovery found when the database was opened.
  public struct RecoveryReport: Sendable, Equatable {
    /// Log files replayed, oldest first.
    public var logs: [String] = []
    /// Records (batches) replayed.
    public var records = 0
    /// Operations applied.
    public var operations = 0
    /// Bytes cut from torn tails.
    public var truncatedBytes = 0
  }

  /// The current log: name, size, and how much of it is known durable.
  public struct LogStatus: Sendable, Equatable {
    public var fileName: String
    public var size: Int
    public var syncedSize: Int
    public var records: Int
  }

  /// The directory holding the database's files.
  public let directory: String
  public let options: Options
  public let recovery: RecoveryReport
  private let fileSystem: any FileSystem
  private let tracer: Tracer
  private let log: LogWriter

  /// Guards everything below, and is the condition writers wait on.
  private let lock = NSCondition()
  private var map = OrderedMap()
  private var sequence: SequenceNumber
  private var queue: [PendingWrite] = []
  private var failure: (any Error)?
  private var isClosed = false
  private var counters = Stats()

  private init(
    directory: String, fileSystem: any FileSystem, options: Options, tracer: Tracer,
    log: LogWriter, map: OrderedMap, sequence: SequenceNumber, recovery: RecoveryReport
  ) {
    self.directory = directory
    self.fileSystem = fileSystem
    self.options = options
    self.tracer = tracer
    self.log = log
    self.map = map
    self.sequence = sequence
    self.recovery = recovery
  }

  // MARK: Opening and recovery

  /// Opens the database in `directory`, replaying its log.
  ///
  /// - Throws: `LogCorruption` naming the file and offset if a log is damaged
  ///   anywhere but in its torn tail; a `FileSystemError` if the files cannot
  ///   be read or created.
  public static func open(
    directory: String, fileSystem: any FileSystem, options: Options = .init(), tracer: Tracer = .disabled
  ) throws -> Database {
    let existed = fileSystem.fileExists(directory)
    if !existed {
      guard options.createIfMissing else {
        throw FileSystemError(.notFound, operation: "open database", path: directory)
      }
      try fileSystem.createDirectory(directory)
      // The new directory's own name lives in its parent.
      try fileSystem.syncDirectory(splitPath(directory).directory)
    }
    let logNumbers = try fileSystem.listDirectory(directory).compactMap(LogFormat.number(fromFileName:)).sorted()

    var state = ReplayState()
    for number in logNumbers {
      try replay(
        log: LogFormat.fileName(number: number), in: directory, fileSystem: fileSystem, options: options,
        tracer: tracer, into: &state)
    }

    let writer: LogWriter
    if let last = logNumbers.last {
      let name = LogFormat.fileName(number: last)
      let file = try fileSystem.openWritable(joinPath(directory, name), mode: .append)
      writer = LogWriter(
        file: file, name: name, number: last, existingRecords: state.lastLogRecords,
        maxRecordSize: options.maxRecordSize)
    } else {
      writer = try createLog(number: 1, in: directory, fileSystem: fileSystem, options: options, tracer: tracer)
    }
    tracer(
      .db, "open", plural(state.map.count, "key"), "last seq \(state.sequence), appending to \(writer.name)",
      why: "the log is the source of truth; the map in memory is rebuilt from it on every open")
    return Database(
      directory: directory, fileSystem: fileSystem, options: options, tracer: tracer, log: writer,
      map: state.map, sequence: state.sequence, recovery: state.report)
  }

  /// What replay builds up across log files.
  private struct ReplayState {
    var map = OrderedMap()
    var sequence: SequenceNumber = 0
    var report = RecoveryReport()
    var lastLogRecords = 0
  }

  // snippet: recovery-replay
  /// Replays one log file into `state`, cutting off a torn tail.
  private static func replay(
    log name: String, in directory: String, fileSystem: any FileSystem, options: Options, tracer: Tracer,
    into state: inout ReplayState
  ) throws {
    let path = joinPath(directory, name)
    var reader = LogReader(bytes: try fileSystem.readFile(path), maxRecordSize: options.maxRecordSize)
    let firstSequence = state.sequence + 1
    var records = 0
    replaying: while true {
      switch reader.next() {
      case .record(let record):
        let (sequence, batch): (SequenceNumber, WriteBatch)
        do {
          (sequence, batch) = try WriteBatch.decode(Array(reader.bytes[record.payloadRange]))
        } catch {
          throw LogCorruption(file: name, offset: record.offset, reason: "payload is not a valid batch: \(error)")
        }
        guard sequence == state.sequence + 1 else {
          throw LogCorruption(
            file: name, offset: record.offset,
            reason: "batch starts at sequence \(sequence), expected \(state.sequence + 1)")
        }
        apply(batch, to: &state.map)
        state.sequence += SequenceNumber(batch.count)
        state.report.operations += batch.count
        records += 1
      case .end:
        break replaying
      case .tornTail(let offset, let reason):
        let dropped = reader.bytes.count - offset
        try fileSystem.truncateFile(path, to: offset)
        let file = try fileSystem.openWritable(path, mode: .append)
        defer { try? file.close() }
        try file.sync(.data)
        state.report.truncatedBytes += dropped
        tracer(
          .wal, "truncate", "\(name) @ \(offset)", "torn tail: \(reason); dropped \(dropped) B",
          why: "a record cut short by a crash was never acknowledged, so it is safe to drop")
        break replaying
      case .corrupt(let offset, let reason, _):
        throw LogCorruption(file: name, offset: offset, reason: reason)
      }
    }
    state.report.logs.append(name)
    state.report.records += records
    state.lastLogRecords = records
    tracer(
      .wal, "replay", name,
      records == 0 ? "no records" : "\(plural(records, "record")), seq \(firstSequence)..\(state.sequence)",
      why: "every record in the log is a batch that may have been acknowledged; all are reapplied in order")
  }
  // end snippet

  /// Creates an empty log and makes its name durable.
  private static func createLog(
    number: UInt64, in directory: String, fileSystem: any FileSystem, options: Options, tracer: Tracer
  ) throws -> LogWriter {
    let name = LogFormat.fileName(number: number)
    let file = try fileSystem.openWritable(joinPath(directory, name), mode: .createNew)
    tracer(.wal, "create", name, why: "a new, empty log receives every write from now on")
    try fileSystem.syncDirectory(directory)
    tracer(
      .fs, "dirsync", "database directory", "\(name) is now a durable name",
      why: "syncing a file does not make its name durable; without this a power cut could lose the whole log")
    return LogWriter(file: file, name: name, number: number, maxRecordSize: options.maxRecordSize)
  }

  // MARK: Writing

  /// A write waiting in the queue, and, once done, its result.
  private final class PendingWrite {
    let batch: WriteBatch
    let sync: Bool
    var firstSequence: SequenceNumber = 0
    var result: Result<SequenceNumber, any Error>?

    init(batch: WriteBatch, sync: Bool) {
      self.batch = batch
      self.sync = sync
    }
  }

  // snippet: group-commit
  /// Applies `batch` atomically, after it is as durable as `options` asks.
  public func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    let encodedSize = batch.encodedSize
    guard encodedSize <= self.options.maxRecordSize else {
      throw LogWriter.Error.recordTooLarge(size: encodedSize, limit: self.options.maxRecordSize)
    }
    let me = PendingWrite(batch: batch, sync: options.sync)
    lock.lock()
    defer { lock.unlock() }
    try checkWritable()
    queue.append(me)
    // Wait until a leader has written our batch, or we are at the head.
    while me.result == nil && queue.first !== me { lock.wait() }
    if let result = me.result { return try result.get() }

    // We lead: take the batches queued behind us, up to a size limit. A
    // batch that wants a sync does not ride with a leader that will not sync.
    var group = [me]
    var groupBytes = encodedSize
    for next in queue.dropFirst() {
      if groupBytes >= self.options.maxGroupBytes || (next.sync && !me.sync) { break }
      group.append(next)
      groupBytes += next.batch.encodedSize
    }
    var nextSequence = sequence + 1
    for write in group {
      write.firstSequence = nextSequence
      nextSequence += SequenceNumber(write.batch.count)
    }

    // The I/O happens without the lock, so readers carry on meanwhile.
    lock.unlock()
    let outcome = Result { try writeToLog(group) }
    lock.lock()

    switch outcome {
    case .success:
      for write in group {
        Self.apply(write.batch, to: &map)
        write.result = .success(write.firstSequence + SequenceNumber(write.batch.count) - 1)
      }
      sequence = nextSequence - 1
      traceApply(group)
    case .failure(let error):
      failure = error
      for write in group { write.result = .failure(error) }
    }
    queue.removeFirst(group.count)
    lock.broadcast()
    return try me.result!.get()
  }

  /// Appends the group's records in one write, then syncs once if any
  /// batch in it asked for a sync. Called by the leader, without the lock.
  private func writeToLog(_ group: [PendingWrite]) throws {
    let payloads = group.map { $0.batch.encoded(sequence: $0.firstSequence) }
    let offsets = try log.append(payloads)
    for (index, write) in group.enumerated() {
      tracer(
        .wal, "append", describe(write.batch, from: write.firstSequence),
        "→ \(log.name) @ \(offsets[index])  (\(LogFormat.recordSize(payloadLength: payloads[index].count)) B)",
        why: "the log is written first: once the record is durable the write survives a crash")
    }
    let wantsSync = group.contains { $0.sync }
    if wantsSync {
      try log.sync()
      let last = group.last!.firstSequence + SequenceNumber(group.last!.batch.count) - 1
      tracer(
        .wal, "fsync", log.name,
        "durable through seq \(last)" + (group.count > 1 ? " (\(group.count) batches, one fdatasync)" : ""),
        why: "fdatasync returns only when the bytes are on stable storage; only now may the write be acknowledged")
    }
    counters.groups += 1
    counters.batches += group.count
    counters.logBytes += log.size - (offsets.first ?? log.size)
    if wantsSync { counters.syncs += 1 }
  }
  // end snippet

  private func checkWritable() throws {
    if isClosed { throw DatabaseError.closed }
    if let failure { throw DatabaseError.writesFailed(underlying: "\(failure)") }
  }

  private static func apply(_ batch: WriteBatch, to map: inout OrderedMap) {
    for operation in batch.operations {
      switch operation {
      case .put(let key, let value): map.set(key, value)
      case .delete(let key): map.remove(key)
      }
    }
  }

  private func traceApply(_ group: [PendingWrite]) {
    guard tracer.isEnabled else { return }
    for write in group {
      tracer(
        .db, "apply", describe(write.batch, from: write.firstSequence), "\(plural(map.count, "key")) in memory",
        why: "the map serves reads; it is only updated after the log has the batch")
    }
  }

  private func describe(_ batch: WriteBatch, from first: SequenceNumber) -> String {
    if batch.count == 1 {
      switch batch.operations[0] {
      case .put(let key, _): return "seq \(first) PUT \(printable(key))"
      case .delete(let key): return "seq \(first) DEL \(printable(key))"
      }
    }
    let puts = batch.operations.filter { if case .put = $0 { true } else { false } }.count
    return "seq \(first)..\(first + SequenceNumber(batch.count) - 1) BATCH \(puts) PUT, \(batch.count - puts) DEL"
  }

  // MARK: Reading

  public func get(_ key: Bytes) throws -> Bytes? {
    lock.lock()
    defer { lock.unlock() }
    if isClosed { throw DatabaseError.closed }
    return map[key]
  }

  public func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] {
    lock.lock()
    defer { lock.unlock() }
    if isClosed { throw DatabaseError.closed }
    return map.range(from: from, to: to)
  }

  // MARK: Inspection

  /// The sequence number of the newest applied operation.
  public var lastSequence: SequenceNumber {
    lock.lock()
    defer { lock.unlock() }
    return sequence
  }

  /// The number of live keys.
  public var liveKeyCount: Int {
    lock.lock()
    defer { lock.unlock() }
    return map.count
  }

  /// The log being written.
  public var logStatus: LogStatus {
    lock.lock()
    defer { lock.unlock() }
    return LogStatus(fileName: log.name, size: log.size, syncedSize: log.syncedSize, records: log.records)
  }

  /// Writes waiting in the commit queue, the leader included (for tests).
  var queuedWrites: Int {
    lock.lock()
    defer { lock.unlock() }
    return queue.count
  }

  /// Counters since open.
  public var stats: Stats {
    lock.lock()
    defer { lock.unlock() }
    return counters
  }

  /// Closes the log. Later calls fail with `DatabaseError.closed`.
  public func close() throws {
    lock.lock()
    defer { lock.unlock() }
    guard !isClosed else { return }
    isClosed = true
    try log.close()
  }
}

/// Errors from the database itself (file and log errors pass through).
public enum DatabaseError: Error, Equatable, CustomStringConvertible {
  /// The database was closed.
  case closed
  /// An earlier write could not be made durable; no write is accepted until
  /// the database is reopened.
  case writesFailed(underlying: String)

  public var description: String {
    switch self {
    case .closed: "the database is closed"
    case .writesFailed(let underlying):
      "writes are refused after an earlier write failed (\(underlying)); reopen the database to recover"
    }
  }
}
