import Chapter1WAL
import Chapter2Memtable

/// A `Database` built on an `Engine`: the store's operations are the
/// engine's.
///
/// Chapters 3 and 4 conform their `Database` to it and so get `write`,
/// `get`, `scan`, snapshots and flushing without writing them again; each
/// keeps only its recovery, its `EngineTables`, and its `close`.
public protocol EngineDatabase: SnapshotStore {
  /// The tables part this database supplies.
  associatedtype Tables: EngineTables
  /// The engine the database's operations run on.
  var engine: Engine<Tables> { get }
}

extension EngineDatabase {
  @discardableResult
  public func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    try engine.write(batch, options: options)
  }

  public func get(_ key: Bytes) throws -> Bytes? { try engine.get(key, atSequence: engine.lastSequence) }

  public func get(_ key: Bytes, at snapshot: SnapshotList.Snapshot) throws -> Bytes? {
    try engine.get(key, atSequence: snapshot.sequence)
  }

  public func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] {
    try engine.scan(from: from, to: to, atSequence: engine.lastSequence)
  }

  public func scan(from: Bytes?, to: Bytes?, at snapshot: SnapshotList.Snapshot) throws -> [KeyValuePair] {
    try engine.scan(from: from, to: to, atSequence: snapshot.sequence)
  }

  public func snapshot() -> SnapshotList.Snapshot { engine.snapshot() }

  @discardableResult
  public func release(_ snapshot: SnapshotList.Snapshot) -> Bool { engine.release(snapshot) }

  public func snapshot(id: Int) -> SnapshotList.Snapshot? { engine.snapshot(id: id) }

  /// Live snapshots.
  public var snapshots: SnapshotList { engine.snapshots }

  /// Freezes the active memtable (if it holds anything) and flushes it now.
  public func flush() throws { try engine.flush() }

  /// The sequence number of the newest applied operation.
  public var lastSequence: SequenceNumber { engine.lastSequence }

  /// The active memtable and, while a flush runs, the frozen one.
  public var memtables: (active: Memtable, immutable: Memtable?) { engine.memtables.current }

  /// The log being written.
  public var logStatus: LogWriter.Status { engine.memtables.logStatus }

  /// Waits until no flush is running and none is pending (tests, the shell,
  /// and `close`).
  public func waitForFlush() { try? engine.waitForFlush() }
}
