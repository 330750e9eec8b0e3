import Chapter1WAL
import Chapter2Memtable

/// The part of an engine that owns its tables: where a read finds them, how
/// one is consulted, and what a flush does with a frozen memtable.
///
/// `Engine` is the same for every chapter from here on (the write path, the
/// memtables and their flush loop, the read loop, scans, snapshots, close);
/// this protocol is what a chapter supplies around it. Chapter 3's
/// `TableList` keeps a plain list of tables published by a rename; chapter
/// 4's keeps versions recorded in a manifest. Chapter 5 replaces
/// `get(_:at:in:)` (a bloom filter first, the table through a cache);
/// chapter 6's compaction changes the tables behind `beginPointRead` and
/// `beginScan`, as a flush does.
public protocol EngineTables: AnyObject, Sendable {
  /// One table as a read sees it.
  associatedtype Table
  /// What a point read holds while it consults the tables: chapter 3's
  /// list; chapter 4's version, held by a count, not a named pin.
  associatedtype PointRead
  /// What a scan holds until it is done: nothing in chapter 3; a pinned
  /// version in chapter 4.
  associatedtype ScanRead

  /// A number for a new file (a log or a table); never the same twice.
  func newFileNumber() -> UInt64

  /// Takes the tables a point read consults. REQUIRES: the memtables' lock
  /// (the engine calls it inside `Memtables.readable`), so that a flush
  /// cannot publish in between. Paired with `endPointRead`.
  func beginPointRead() -> PointRead
  /// The tables of `read` that may hold `key`, in the order to consult
  /// them (newest data first).
  func candidates(for key: Bytes, in read: PointRead) -> [Table]
  /// Looks `key` up in one table, at `sequence`.
  func get(_ key: Bytes, at sequence: SequenceNumber, in table: Table) throws -> LookupResult
  /// Ends a read that `beginPointRead` started.
  func endPointRead(_ read: PointRead)

  /// Takes an iterator over each table a scan reads, and what holds them,
  /// for `holder` (`a scan`, `iterator 3`). REQUIRES: the memtables' lock.
  /// Paired with `endScan`.
  func beginScan(holder: String) -> (iterators: [any InternalIterator], read: ScanRead)
  /// Ends a scan that `beginScan` started.
  func endScan(_ read: ScanRead)

  /// Writes `frozen` out as a table and returns the steps that publish it
  /// and retire its logs. Called by the flush loop, with no lock held.
  func flush(_ frozen: Memtables.Frozen) throws -> Memtables.FlushSteps
}
