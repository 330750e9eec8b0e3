import Chapter1WAL
import Chapter2Memtable
import Foundation

/// Chapter 3's engine: the log, a memtable, and sorted tables on disk.
///
/// Chapter 2's memtable grows without bound and is rebuilt from the whole log
/// at every open. This engine caps it: when the memtable passes
/// `memtableSize`, it is *frozen* (it becomes the immutable memtable, read
/// but never written), writes switch to a new, empty memtable and a new log,
/// and a background thread writes the frozen memtable out as a table. Once
/// the table is durable, the logs that fed the frozen memtable are retired.
///
/// The order of a flush is the point of the chapter; each step must be
/// durable before the next begins:
///
/// 1. write the table under a temporary name (`000007.sst.tmp`);
/// 2. `fsync` the table;
/// 3. rename it to its published name (`000007.sst`);
/// 4. `fsync` the directory, so that the name is durable;
/// 5. only then remove the old logs.
///
/// Reads look in the active memtable, then the immutable one, then the
/// tables newest first, and stop at the first version they find (a value or
/// a tombstone). Scans merge all of them.
///
/// There is no manifest yet: at open, the set of tables is whatever
/// published `.sst` names the directory holds, and log records already in a
/// table (sequence numbers at or below the newest table's) are skipped.
///
/// The engine is built to be composed. Everything but recovery and the
/// table list is an `Engine` (`Engine/Engine.swift`): the write path, the
/// memtables and their flush loop, the read loop, scans, snapshots and
/// close. This `Database` supplies `TableList` (the tables and the flush by
/// rename) and its recovery. Chapter 4 composes the same `Engine` with a
/// manifest instead of a list; chapter 5 replaces how one table is
/// consulted (`EngineTables.get(_:at:in:)`); chapter 6's compaction runs
/// beside the flush and reports its failures to `Engine.background`.
public final class Database: EngineDatabase, @unchecked Sendable {
  /// Settings fixed at open.
  public struct Options: Sendable {
    public var maxRecordSize = LogFormat.defaultMaxRecordSize
    public var createIfMissing = true
    public var maxGroupBytes = 1 << 20
    public var skipListSeed = SkipList.defaultSeed
    /// A memtable using more arena bytes than this is frozen and flushed.
    public var memtableSize = 4 << 20
    /// How tables are built.
    public var table = TableOptions()
    /// Flush on a background thread (`true`), or inline in the write that
    /// fills the memtable (`false`: deterministic, for the shell's notebooks).
    public var backgroundFlush = true
    /// A deliberate bug, for the crash test that must catch it: retire the
    /// logs (durably) before the table's name is durable.
    var retireLogsBeforePublishing = false

    public init() {}

    /// The memtables' part of these settings.
    public var memtables: Memtables.Settings {
      .init(
        memtableSize: memtableSize, maxRecordSize: maxRecordSize, skipListSeed: skipListSeed,
        backgroundFlush: backgroundFlush)
    }
  }

  public let directory: String
  public let options: Options
  /// The write path, memtables, reads and snapshots, over this chapter's
  /// table list.
  public let engine: Engine<TableList>

  private init(
    directory: String, fileSystem: any FileSystem, options: Options, tracer: Tracer,
    recovered: Engine<TableList>.Recovered, tables: [TableReader], nextFileNumber: UInt64
  ) {
    self.directory = directory
    self.options = options
    let list = TableList(
      tables: tables, nextFileNumber: nextFileNumber,
      settings: .init(
        directory: directory, table: options.table, retireLogsBeforePublishing: options.retireLogsBeforePublishing),
      fileSystem: fileSystem, tracer: tracer)
    self.engine = Engine(
      directory: directory, fileSystem: fileSystem, settings: options.memtables, maxGroupBytes: options.maxGroupBytes,
      tracer: tracer, recovered: recovered, tables: list)
  }

  // MARK: Opening and recovery

  /// Opens the database: the published tables, then the logs replayed into a
  /// memtable, skipping what the tables already hold.
  public static func open(
    directory: String, fileSystem: any FileSystem, options: Options = .init(), tracer: Tracer = .disabled
  ) throws -> Database {
    let claim = try DatabaseDirectory.claim(
      directory, for: 3, fileSystem: fileSystem, create: options.createIfMissing, tracer: tracer)
    let names = try fileSystem.listDirectory(directory)
    let recovery = Recovery(directory: directory, fileSystem: fileSystem, options: options, tracer: tracer)
    try recovery.removeUnpublishedTables(names)
    let tables = try recovery.openTables(names)
    let logNumbers = names.compactMap(LogFormat.number(fromFileName:)).sorted()
    var nextFileNumber = (names.compactMap(TableFileNames.tableNumber) + logNumbers).max().map { $0 + 1 } ?? 1
    let (memtable, logs) = try recovery.replayLogs(logNumbers, skippingThrough: tables) {
      defer { nextFileNumber += 1 }
      return nextFileNumber
    }
    let sequence = max(logs.lastSequence, tables.map(\.properties.largestSequence).max() ?? 0)
    tracer(
      .db, "open",
      "\(Format.plural(tables.count, "table")), \(Format.plural(memtable.count, "entry", "entries")) in memory",
      "last seq \(sequence), appending to \(logs.writer.name)",
      why: "tables hold what was flushed; the log replays what was not")
    return Database(
      directory: directory, fileSystem: fileSystem, options: options, tracer: tracer,
      recovered: .init(
        claim: claim, memtable: memtable, log: logs.writer, logNumbers: logs.numbers, lastSequence: sequence),
      tables: tables, nextFileNumber: nextFileNumber)
  }

  /// The phases of `open`, in order.
  private struct Recovery {
    let directory: String
    let fileSystem: any FileSystem
    let options: Options
    let tracer: Tracer

    // snippet: recovery-tables
    /// A table still under its temporary name was never published: its
    /// flush did not finish, and its log is still here. It goes.
    func removeUnpublishedTables(_ names: [String]) throws {
      for name in names where TableFileNames.isTemporary(name) {
        try fileSystem.removeFile(joinPath(directory, name))
        tracer(
          .sstable, "remove", name, "never published",
          why: "a crash interrupted its flush before the rename; the log still holds its writes")
      }
    }

    /// Opens every published table, newest first.
    func openTables(_ names: [String]) throws -> [TableReader] {
      try names.compactMap(TableFileNames.tableNumber).sorted(by: >).map { number in
        let name = TableFileNames.table(number)
        return try TableReader.open(
          path: joinPath(directory, name), name: name, fileSystem: fileSystem, tracer: tracer)
      }
    }

    /// Replays the logs into a new memtable, skipping records `tables`
    /// already hold, and opens the log to append to.
    func replayLogs(
      _ numbers: [UInt64], skippingThrough tables: [TableReader], newLogNumber: () -> UInt64
    ) throws -> (Memtable, LogSet.Recovered) {
      try LogReplay.memtable(
        from: numbers, in: directory, fileSystem: fileSystem, seed: options.skipListSeed,
        maxRecordSize: options.maxRecordSize,
        skippingThrough: tables.map(\.properties.largestSequence).max() ?? 0, tracer: tracer,
        newLogNumber: newLogNumber)
    }
    // end snippet
  }

  // MARK: Reading

  /// A merged iterator over every memtable and table, as they are now (or
  /// at `snapshot`).
  public func makeIterator(at snapshot: SnapshotList.Snapshot? = nil) -> DatabaseIterator {
    engine.makeIterator(atSequence: snapshot?.sequence ?? engine.lastSequence, holder: "an iterator").iterator
  }

  // MARK: Inspection

  /// Published tables, newest first.
  public var tableReaders: [TableReader] { engine.memtables.withLock { engine.tables.published } }

  /// Waits for a running flush, then closes the log.
  public func close() throws { try engine.close() }
}
