import Chapter1WAL
import Chapter2Memtable
import Synchronization

/// The skeleton of an engine with a log, memtables and tables: the parts
/// that stay the same from chapter 3 on.
///
/// - **Writes** go through chapter 1's `CommitQueue`, with `Memtables`'
///   persist step (make room, append to the active log) and apply step
///   (insert into the memtable the log fed).
/// - **Flushes** are `Memtables`' loop (freeze, stall, flush), with the
///   flush itself the tables' (`EngineTables.flush`).
/// - **Point reads** consult the memtables newest first, then the tables a
///   read takes from `EngineTables`, and stop at the first version found.
/// - **Scans** merge every memtable and table (`DatabaseIterator`).
/// - **Snapshots** are sequence numbers in a `SnapshotList`.
/// - **Failed background work** is recorded once, in `background`: writes
///   fail with it until the engine is reopened.
///
/// A chapter's `Database` recovers its files, makes an `Engine` with what
/// recovery found and its own `EngineTables`, and conforms to
/// `EngineDatabase`, which forwards `KeyValueStore` and `SnapshotStore` to
/// the engine. These are the seams on purpose: what a table list is and
/// what a flush publishes (chapter 4: a manifest edit), how one table is
/// consulted (chapter 5: a filter and a cache), background work that
/// reports to `background` (chapter 6: compaction), and `close`'s extra
/// steps.
public final class Engine<Tables: EngineTables>: @unchecked Sendable {
  /// What recovery hands the engine: the memtable rebuilt from the logs, the
  /// log to append to, the logs the memtable's records are in, and the last
  /// sequence number recovered.
  public struct Recovered {
    /// The directory's lock and format record, held until `close`.
    public var claim: DatabaseDirectory
    public var memtable: Memtable
    public var log: LogWriter
    public var logNumbers: [UInt64]
    public var lastSequence: SequenceNumber

    public init(
      claim: DatabaseDirectory, memtable: Memtable, log: LogWriter, logNumbers: [UInt64],
      lastSequence: SequenceNumber
    ) {
      self.claim = claim
      self.memtable = memtable
      self.log = log
      self.logNumbers = logNumbers
      self.lastSequence = lastSequence
    }
  }

  /// The owner's tables and flush.
  public let tables: Tables
  /// Live snapshots.
  public let snapshots = SnapshotList()
  /// The first failure of background work.
  public let background: BackgroundError
  /// The active and frozen memtables, and the flush loop.
  public let memtables: Memtables
  private let commits: CommitQueue
  private let claim: DatabaseDirectory
  private let isClosed = Atomic(false)

  /// An engine over what recovery found in `directory`.
  public init(
    directory: String, fileSystem: any FileSystem, settings: Memtables.Settings, maxGroupBytes: Int, tracer: Tracer,
    recovered: Recovered, tables: Tables
  ) {
    self.tables = tables
    self.claim = recovered.claim
    let background = BackgroundError(directory: directory, tracer: tracer)
    self.background = background
    self.memtables = Memtables(
      directory: directory, fileSystem: fileSystem, settings: settings, tracer: tracer, active: recovered.memtable,
      activeLog: recovered.log, activeLogNumbers: recovered.logNumbers, background: background,
      newFileNumber: { tables.newFileNumber() }, flusher: { frozen in try tables.flush(frozen) })
    self.commits = CommitQueue(
      lastSequence: recovered.lastSequence, maxGroupBytes: maxGroupBytes, maxRecordSize: settings.maxRecordSize)
  }

  // MARK: Writing

  /// Commits `batch` through the commit queue into the active log and
  /// memtable.
  public func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    try commits.commit(batch, sync: options.sync, persist: memtables.persist, apply: memtables.apply)
  }

  /// Freezes the active memtable (if it holds anything) and flushes it now,
  /// in the commit queue's order, so no leader is writing meanwhile.
  public func flush() throws {
    try commits.barrier { try memtables.flushNow() }
  }

  /// Runs `body` alone in the commit queue's order: no leader writes
  /// meanwhile (chapter 4's merge runs this way).
  public func barrier<T>(_ body: () throws -> T) throws -> T {
    try commits.barrier(body)
  }

  /// Records that background work (`what`) failed: from now on writes are
  /// refused, and anyone waiting on a flush sees the error.
  public func fail(_ error: any Error, _ what: String) {
    background.record(error, what) { memtables.wakeAfterFailure() }
  }

  // MARK: Reading

  // snippet: database-get
  /// The value of `key` at `sequence`: the memtables newest first, then the
  /// tables the owner names, stopping at the first version found (a value
  /// or a tombstone).
  public func get(_ key: Bytes, atSequence sequence: SequenceNumber) throws -> Bytes? {
    try checkOpen()
    let (memtables, read) = memtables.readable { tables.beginPointRead() }
    defer { tables.endPointRead(read) }
    for memtable in memtables {
      switch memtable.get(key, snapshot: sequence) {
      case .found(let value): return value
      case .deleted: return nil
      case .notFound: continue
      }
    }
    for table in tables.candidates(for: key, in: read) {
      switch try tables.get(key, at: sequence, in: table) {
      case .found(let value): return value
      case .deleted: return nil
      case .notFound: continue
      }
    }
    return nil
  }
  // end snippet

  /// The live entries with `from <= key < to` at `sequence`, in key order.
  ///
  /// - Throws: `CommitError.closed` after `close`; a table's error.
  public func scan(from: Bytes?, to: Bytes?, atSequence sequence: SequenceNumber) throws -> [KeyValuePair] {
    try checkOpen()
    var (iterator, read) = makeIterator(atSequence: sequence, holder: "a scan")
    defer { tables.endScan(read) }
    if let from { try iterator.seek(from) } else { try iterator.seekToFirst() }
    var result: [KeyValuePair] = []
    while iterator.isValid {
      if let to, compareBytes(iterator.key, to) >= 0 { break }
      result.append(KeyValuePair(key: iterator.key, value: iterator.value))
      try iterator.next()
    }
    return result
  }

  /// A merged iterator over every memtable and table at `sequence`, and
  /// what holds its tables; pass `read` to `tables.endScan` when done.
  public func makeIterator(
    atSequence sequence: SequenceNumber, holder: String
  ) -> (iterator: DatabaseIterator, read: Tables.ScanRead) {
    let (memtables, scan) = memtables.readable { tables.beginScan(holder: holder) }
    let sources: [any InternalIterator] = memtables.map { $0.list.makeIterator() } + scan.iterators
    return (DatabaseIterator(merging: sources, snapshot: sequence), scan.read)
  }

  /// Reads, like writes, are refused once the engine is closed.
  private func checkOpen() throws {
    if isClosed.load(ordering: .acquiring) { throw CommitError.closed }
  }

  // MARK: Snapshots

  /// Takes a snapshot at the last published sequence number.
  public func snapshot() -> SnapshotList.Snapshot { snapshots.acquire(at: commits.lastSequence) }

  /// Releases a snapshot; `false` if it was not live.
  public func release(_ snapshot: SnapshotList.Snapshot) -> Bool { snapshots.release(snapshot) }

  /// The live snapshot with this id.
  public func snapshot(id: Int) -> SnapshotList.Snapshot? { snapshots.snapshot(id: id) }

  // MARK: Inspection

  /// The sequence number of the newest applied operation.
  public var lastSequence: SequenceNumber { commits.lastSequence }

  /// Waits until no flush is running and none is pending; throws the
  /// failure if background work failed.
  public func waitForFlush() throws { try memtables.waitForFlush() }

  /// Waits for a running flush, refuses later writes, closes the log, then
  /// runs `andThen` (chapter 4 closes its manifest). Idempotent.
  public func close(andThen extra: () throws -> Void = {}) throws {
    try? memtables.waitForFlush()
    commits.close()
    guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
    defer { claim.release() }
    try memtables.closeLog()
    try extra()
  }
}
