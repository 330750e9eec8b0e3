import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Foundation

/// How a version's tables are opened, consulted and written: the seam a
/// later chapter fills.
///
/// A `Version` names tables by their metadata; it does not hold them open.
/// Whoever reads a table asks the access for its reader, and whoever
/// writes one asks it for the block a table carries beside its data.
/// Chapter 4's `OpenTables` opens each table once and keeps it open for as
/// long as the database lives, writing no meta block. Chapter 5's access
/// keeps at most a fixed number open (a table cache), reads blocks through
/// a block cache, writes a bloom filter into each table, and answers a
/// lookup from the filter when it can.
public protocol TableAccess: AnyObject, Sendable {
  /// An open reader for `table`, opening (and verifying) it if needed.
  ///
  /// - Throws: `TableError` if the table cannot be read or is damaged.
  func reader(for table: TableMetadata) throws -> TableReader

  /// Looks `key` up in one table, at `sequence`.
  func get(_ key: Bytes, at sequence: SequenceNumber, in table: TableMetadata) throws -> LookupResult

  /// The block a new table carries beside its data, if any (chapter 5: a
  /// filter).
  func makeMetaBlock() -> (any TableMetaBlockBuilder)?

  /// The table has left the disk: drop whatever is kept for it.
  func forget(_ table: UInt64)
}

extension TableAccess {
  public func get(_ key: Bytes, at sequence: SequenceNumber, in table: TableMetadata) throws -> LookupResult {
    try reader(for: table).get(key, snapshot: sequence).result
  }

  public func makeMetaBlock() -> (any TableMetaBlockBuilder)? { nil }
}

/// Chapter 4's table access: every table is opened once, when the version
/// that adds it is built (at recovery, or by the flush that wrote it), and
/// stays open until it leaves the disk. One file descriptor per table: the
/// limit chapter 5's table cache lifts.
public final class OpenTables: TableAccess, @unchecked Sendable {
  private let directory: String
  private let fileSystem: any FileSystem
  private let tracer: Tracer
  private let lock = NSLock()
  private var readers: [UInt64: TableReader] = [:]

  public init(directory: String, fileSystem: any FileSystem, tracer: Tracer) {
    self.directory = directory
    self.fileSystem = fileSystem
    self.tracer = tracer
  }

  public func reader(for table: TableMetadata) throws -> TableReader {
    if let reader = lock.withLock({ readers[table.number] }) { return reader }
    let reader = try TableReader.open(
      path: joinPath(directory, table.name), name: table.name, fileSystem: fileSystem, tracer: tracer)
    return lock.withLock {
      if let raced = readers[table.number] { return raced }
      readers[table.number] = reader
      return reader
    }
  }

  public func forget(_ table: UInt64) { _ = lock.withLock { readers.removeValue(forKey: table) } }
}
