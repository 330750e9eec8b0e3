import Chapter1WAL
import Synchronization

/// Chapter 2's engine: the write-ahead log in front of a memtable.
///
/// Chapter 1's engine kept one value per key in a dictionary. This one keeps
/// every *version*: each write adds entries to a skip list, keyed by user
/// key and sequence number, and a delete adds a tombstone. That costs memory
/// (chapter 6 will reclaim it) and buys three things:
///
/// - **Snapshots.** A read at sequence number `s` ignores every entry newer
///   than `s`, so a snapshot is just a number.
/// - **Readers that never wait.** The skip list allows one writer and any
///   number of concurrent readers without a lock. A read takes the last
///   published sequence number as its snapshot, so a batch that is only half
///   inserted is invisible: its sequence numbers are not published yet.
/// - **Sorted order, always.** Scans walk the list; nothing is re-sorted.
///
/// What it does not change is durability. The log, its recovery and group
/// commit are chapter 1's, reused as they are: `LogRecovery` replays each log
/// into the memtable with the original sequence numbers, `CommitQueue` runs
/// group commit, and its `apply` step inserts into the memtable.
public final class Database: SnapshotStore, @unchecked Sendable {
  /// Settings fixed at open.
  public struct Options: Sendable {
    /// The largest encoded batch a record may carry.
    public var maxRecordSize = LogFormat.defaultMaxRecordSize
    /// Create the directory and a first log if there is none.
    public var createIfMissing = true
    /// A leader stops adding batches to its group past this many bytes.
    public var maxGroupBytes = 1 << 20
    /// Seeds the skip list's tower heights, so that two runs build the same
    /// list (and the shell draws the same towers).
    public var skipListSeed = SkipList.defaultSeed

    public init() {}
  }

  /// The directory holding the database's files.
  public let directory: String
  public let options: Options
  /// Every version of every key written since the database was created.
  public let memtable: Memtable
  /// Live snapshots.
  public let snapshots = SnapshotList()
  private let tracer: Tracer
  /// The lock and format record held while the database is open.
  private let claim: DatabaseDirectory
  private let log: LogWriter
  private let commits: CommitQueue
  private let isClosed = Atomic(false)

  private init(
    claim: DatabaseDirectory, options: Options, tracer: Tracer, log: LogWriter, memtable: Memtable,
    sequence: SequenceNumber
  ) {
    self.claim = claim
    self.directory = claim.path
    self.options = options
    self.tracer = tracer
    self.log = log
    self.memtable = memtable
    self.commits = CommitQueue(
      lastSequence: sequence, maxGroupBytes: options.maxGroupBytes, maxRecordSize: options.maxRecordSize)
  }

  // MARK: Opening and recovery

  /// Opens the database in `directory`, replaying its logs into a new
  /// memtable with the sequence numbers they were written with.
  ///
  /// - Throws: `DirectoryError` if another process has the database open or
  ///   a later chapter wrote it; `LogCorruption` naming the file and offset
  ///   if a log is damaged anywhere but in its torn tail; a
  ///   `FileSystemError` if the files cannot be read or created.
  public static func open(
    directory: String, fileSystem: any FileSystem, options: Options = .init(), tracer: Tracer = .disabled
  ) throws -> Database {
    let claim = try DatabaseDirectory.claim(
      directory, for: 2, fileSystem: fileSystem, create: options.createIfMissing, tracer: tracer)
    let logNumbers = try fileSystem.listDirectory(directory).compactMap(LogFormat.number(fromFileName:)).sorted()
    let memtable = Memtable(seed: options.skipListSeed)

    // snippet: memtable-recovery
    let recovered = try LogSet.recover(
      logs: logNumbers, in: directory, fileSystem: fileSystem, after: 0, maxRecordSize: options.maxRecordSize,
      tracer: tracer, newLogNumber: { 1 }
    ) { batch, first in
      memtable.insert(batch, from: first)
    }
    // end snippet
    let log = recovered.writer
    let sequence = recovered.lastSequence
    tracer(
      .db, "open", Format.plural(memtable.count, "entry", "entries"), "last seq \(sequence), appending to \(log.name)",
      why: "the memtable is rebuilt from the log, every version with the sequence number it was written with")
    return Database(
      claim: claim, options: options, tracer: tracer, log: log, memtable: memtable, sequence: sequence)
  }

  // MARK: Writing

  // snippet: memtable-write
  /// Applies `batch` atomically, after it is as durable as `options` asks.
  ///
  /// Readers never see half of it: its operations are inserted one by one,
  /// but their sequence numbers are published (`CommitQueue.lastSequence`)
  /// only after the last one, and every read filters by that number.
  public func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    return try commits.commit(batch, sync: options.sync) { group in
      try log.commit(group, tracer: tracer)
    } apply: { commit in
      memtable.insert(
        commit.batch, from: commit.firstSequence, tracer: tracer,
        capacity: "\(Format.size(memtable.arenaCapacity)) arena", explained: true)
    }
  }
  // end snippet

  // MARK: Reading

  // snippet: memtable-read
  /// The newest value of `key`: a read at the last published sequence number.
  public func get(_ key: Bytes) throws -> Bytes? {
    try get(key, atSequence: commits.lastSequence)
  }

  public func get(_ key: Bytes, at snapshot: SnapshotList.Snapshot) throws -> Bytes? {
    try get(key, atSequence: snapshot.sequence)
  }

  private func get(_ key: Bytes, atSequence sequence: SequenceNumber) throws -> Bytes? {
    if isClosed.load(ordering: .relaxed) { throw CommitError.closed }
    switch memtable.get(key, snapshot: sequence) {
    case .found(let value): return value
    case .deleted, .notFound: return nil
    }
  }
  // end snippet

  public func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] {
    try scan(from: from, to: to, atSequence: commits.lastSequence)
  }

  public func scan(from: Bytes?, to: Bytes?, at snapshot: SnapshotList.Snapshot) throws -> [KeyValuePair] {
    try scan(from: from, to: to, atSequence: snapshot.sequence)
  }

  private func scan(from: Bytes?, to: Bytes?, atSequence sequence: SequenceNumber) throws -> [KeyValuePair] {
    if isClosed.load(ordering: .relaxed) { throw CommitError.closed }
    var iterator = memtable.makeIterator(snapshot: sequence)
    if let from { iterator.seek(from) } else { iterator.seekToFirst() }
    var result: [KeyValuePair] = []
    while iterator.isValid {
      if let to, compareBytes(iterator.key, to) >= 0 { break }
      result.append(KeyValuePair(key: iterator.key, value: iterator.value))
      iterator.next()
    }
    return result
  }

  /// An iterator over the user view at `snapshot` (the present if `nil`): it
  /// keeps seeing that view however many writes follow.
  public func makeIterator(at snapshot: SnapshotList.Snapshot? = nil) -> MemtableIterator {
    memtable.makeIterator(snapshot: snapshot?.sequence ?? commits.lastSequence)
  }

  // MARK: Snapshots

  public func snapshot() -> SnapshotList.Snapshot {
    let snapshot = snapshots.acquire(at: commits.lastSequence)
    tracer(
      .memtable, "snapshot", "id \(snapshot.id)", "at seq \(snapshot.sequence)",
      why: "a snapshot is only a sequence number: reads at it ignore every newer entry")
    return snapshot
  }

  @discardableResult
  public func release(_ snapshot: SnapshotList.Snapshot) -> Bool {
    let released = snapshots.release(snapshot)
    if released {
      tracer(
        .memtable, "release", "id \(snapshot.id)",
        snapshots.oldest.map { "oldest live snapshot now at seq \($0)" } ?? "no live snapshots",
        why: "versions only this snapshot could see may be dropped once compaction exists (chapter 6)")
    }
    return released
  }

  public func snapshot(id: Int) -> SnapshotList.Snapshot? { snapshots.snapshot(id: id) }

  // MARK: Inspection

  /// The sequence number of the newest applied operation.
  public var lastSequence: SequenceNumber { commits.lastSequence }

  /// The log being written: name, sizes, record count.
  public var logStatus: LogWriter.Status { log.status }

  /// Writers waiting in the commit queue, the leader included (for tests).
  var queuedWrites: Int { commits.queuedWrites }

  /// Closes the log and lets the directory go. Later writes fail with
  /// `CommitError.closed`.
  public func close() throws {
    guard !isClosed.exchange(true, ordering: .relaxed) else { return }
    commits.close()
    defer { claim.release() }
    try commits.withLock { try log.close() }
  }
}

extension TraceComponent {
  /// The memtable: inserts, snapshots.
  public static let memtable: TraceComponent = "memtable"
}
