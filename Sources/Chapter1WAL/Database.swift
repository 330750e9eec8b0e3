/// Chapter 1's engine: a write-ahead log in front of an in-memory map.
///
/// Every write goes to the log first and is acknowledged only once the log
/// holds it as durably as the caller asked (synced, by default). Only then is
/// it applied to the map that serves reads. After a crash, `open` rebuilds
/// the map by replaying the log: that is the whole durability story of this
/// chapter, and every later chapter keeps it.
///
/// The engine is three parts, and later chapters reuse two of them as they
/// are:
///
/// - `LogRecovery` replays the log at open (torn tails cut, corruption
///   refused);
/// - `CommitQueue` runs group commit, with `LogWriter.commit` as the step
///   that makes a group durable;
/// - `OrderedMap` holds the data. This is the part chapter 2 replaces, with a
///   memtable.
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

  /// The directory holding the database's files.
  public let directory: String
  public let options: Options
  public let recovery: RecoveryReport
  private let tracer: Tracer
  /// The lock and format record held while the database is open.
  private let claim: DatabaseDirectory
  /// Written only by the commit queue's leader, one at a time.
  private let log: LogWriter
  private let commits: CommitQueue
  /// Guarded by the commit queue's lock.
  private var map: OrderedMap
  private var isClosed = false

  private init(
    claim: DatabaseDirectory, options: Options, tracer: Tracer, log: LogWriter, map: OrderedMap,
    sequence: SequenceNumber, recovery: RecoveryReport
  ) {
    self.claim = claim
    self.directory = claim.path
    self.options = options
    self.tracer = tracer
    self.log = log
    self.map = map
    self.commits = CommitQueue(
      lastSequence: sequence, maxGroupBytes: options.maxGroupBytes, maxRecordSize: options.maxRecordSize)
    self.recovery = recovery
  }

  // MARK: Opening and recovery

  /// Opens the database in `directory`, replaying its logs in order.
  ///
  /// - Throws: `DirectoryError` if another process has the database open or
  ///   a later chapter wrote it; `LogCorruption` naming the file and offset
  ///   if a log is damaged anywhere but in its torn tail; a
  ///   `FileSystemError` if the files cannot be read or created.
  public static func open(
    directory: String, fileSystem: any FileSystem, options: Options = .init(), tracer: Tracer = .disabled
  ) throws -> Database {
    let claim = try DatabaseDirectory.claim(
      directory, for: 1, fileSystem: fileSystem, create: options.createIfMissing, tracer: tracer)
    let logNumbers = try fileSystem.listDirectory(directory).compactMap(LogFormat.number(fromFileName:)).sorted()
    var map = OrderedMap()
    let recovered = try LogSet.recover(
      logs: logNumbers, in: directory, fileSystem: fileSystem, after: 0, maxRecordSize: options.maxRecordSize,
      tracer: tracer, newLogNumber: { 1 }
    ) { batch, _ in apply(batch, to: &map) }
    let log = recovered.writer
    let sequence = recovered.lastSequence
    let report = RecoveryReport(
      logs: recovered.logs, records: recovered.records, operations: recovered.operations,
      truncatedBytes: recovered.truncatedBytes)
    tracer(
      .db, "open", Format.plural(map.count, "key"), "last seq \(sequence), appending to \(log.name)",
      why: "the log is the source of truth; the map in memory is rebuilt from it on every open")
    return Database(
      claim: claim, options: options, tracer: tracer, log: log, map: map, sequence: sequence, recovery: report)
  }

  // MARK: Writing

  /// Applies `batch` atomically, after it is as durable as `options` asks.
  ///
  /// - Throws: `LogWriter.Error.recordTooLarge` (nothing written) if the
  ///   batch is over the record limit; the file system's error if the log
  ///   could not be written or synced (and from then on
  ///   `CommitError.writesFailed` until the database is reopened).
  public func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    return try commits.commit(batch, sync: options.sync) { group in
      try log.commit(group, tracer: tracer)
    } apply: { commit in
      Self.apply(commit.batch, to: &map)
      tracer(
        .db, "apply", Format.batch(commit.batch, from: commit.firstSequence),
        "\(Format.plural(map.count, "key")) in memory",
        why: "the map serves reads; it is only updated after the log has the batch")
    }
  }

  private static func apply(_ batch: WriteBatch, to map: inout OrderedMap) {
    for operation in batch.operations {
      switch operation {
      case .put(let key, let value): map.set(key, value)
      case .delete(let key): map.remove(key)
      }
    }
  }

  // MARK: Reading

  public func get(_ key: Bytes) throws -> Bytes? {
    try commits.withLock {
      if isClosed { throw CommitError.closed }
      return map[key]
    }
  }

  public func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] {
    try commits.withLock {
      if isClosed { throw CommitError.closed }
      return map.range(from: from, to: to)
    }
  }

  /// An iterator over a sorted copy of every live entry, made now.
  ///
  /// - Throws: `CommitError.closed` after `close`.
  public func makeIterator() throws -> SortedCopyIterator {
    SortedCopyIterator(try scan())
  }

  // MARK: Inspection

  /// The sequence number of the newest applied operation.
  public var lastSequence: SequenceNumber { commits.lastSequence }

  /// The number of live keys.
  public var liveKeyCount: Int { commits.withLock { map.count } }

  /// The log being written: its name, sizes and counts.
  public var logStatus: LogWriter.Status { log.status }

  /// Counters since open.
  public var stats: Stats {
    let status = log.status
    return Stats(batches: status.batches, groups: status.groups, syncs: status.syncs)
  }

  /// Writers waiting in the commit queue, the leader included (for tests).
  var queuedWrites: Int { commits.queuedWrites }

  /// Closes the log and lets the directory go. Later calls fail with
  /// `CommitError.closed`.
  public func close() throws {
    commits.close()
    defer { claim.release() }
    try commits.withLock {
      guard !isClosed else { return }
      isClosed = true
      try log.close()
    }
  }
}
