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
public final class Database: SnapshotStore, @unchecked Sendable {
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
  }

  public let directory: String
  public let options: Options
  public let snapshots = SnapshotList()
  private let fileSystem: any FileSystem
  private let tracer: Tracer
  private let commits: CommitQueue

  /// The active and frozen memtables, and the flush loop; its lock also
  /// guards `tables` and `isClosed`.
  private let writeBuffer: Memtables
  /// Hands out file numbers: logs and tables share one counter.
  private let fileNumbers: FileNumbers
  /// Published tables, newest first.
  private var tables: [TableReader]
  private var isClosed = false

  private init(
    directory: String, fileSystem: any FileSystem, options: Options, tracer: Tracer, active: Memtable,
    activeLog: LogWriter, activeLogNumbers: [UInt64], tables: [TableReader], nextFileNumber: UInt64,
    sequence: SequenceNumber
  ) {
    self.directory = directory
    self.fileSystem = fileSystem
    self.options = options
    self.tracer = tracer
    self.tables = tables
    let fileNumbers = FileNumbers(next: nextFileNumber)
    self.fileNumbers = fileNumbers
    self.writeBuffer = Memtables(
      directory: directory, fileSystem: fileSystem,
      settings: .init(
        memtableSize: options.memtableSize, maxRecordSize: options.maxRecordSize, skipListSeed: options.skipListSeed,
        backgroundFlush: options.backgroundFlush),
      tracer: tracer, active: active, activeLog: activeLog, activeLogNumbers: activeLogNumbers,
      newFileNumber: { fileNumbers.take() })
    self.commits = CommitQueue(
      lastSequence: sequence, maxGroupBytes: options.maxGroupBytes, maxRecordSize: options.maxRecordSize)
    writeBuffer.flusher = { [unowned self] frozen in try flush(frozen) }
  }

  // MARK: Opening and recovery

  /// Opens the database: the published tables, then the logs replayed into a
  /// memtable, skipping what the tables already hold.
  public static func open(
    directory: String, fileSystem: any FileSystem, options: Options = .init(), tracer: Tracer = .disabled
  ) throws -> Database {
    try fileSystem.prepareDatabaseDirectory(directory, create: options.createIfMissing)
    let names = try fileSystem.listDirectory(directory)
    var highestNumber: UInt64 = 0

    // snippet: recovery-tables
    // A table still under its temporary name was never published: its flush
    // did not finish, and its log is still here. It goes.
    for name in names where TableFileNames.isTemporary(name) {
      try fileSystem.removeFile(joinPath(directory, name))
      tracer(
        .sstable, "remove", name, "never published",
        why: "a crash interrupted its flush before the rename; the log still holds its writes")
    }

    var tables: [TableReader] = []
    for number in names.compactMap(TableFileNames.tableNumber).sorted(by: >) {
      let name = TableFileNames.table(number)
      tables.append(
        try TableReader.open(path: joinPath(directory, name), name: name, fileSystem: fileSystem, tracer: tracer))
      highestNumber = max(highestNumber, number)
    }
    let inTables = tables.map(\.properties.largestSequence).max() ?? 0

    let memtable = Memtable(seed: options.skipListSeed)
    let logNumbers = names.compactMap(LogFormat.number(fromFileName:)).sorted()
    var sequence = inTables
    var previous: SequenceNumber?
    var lastLogRecords = 0
    for number in logNumbers {
      let replayed = try LogRecovery.replay(
        log: LogFormat.fileName(number: number), in: directory, fileSystem: fileSystem, after: previous,
        maxRecordSize: options.maxRecordSize, tracer: tracer
      ) { batch, first in
        // Records already flushed to a table are skipped: a log is retired
        // only after its table is durable, but a crash can come in between.
        guard first + SequenceNumber(batch.count) - 1 > inTables else { return }
        memtable.insert(batch, from: first)
      }
      if replayed.records > 0 { previous = replayed.lastSequence }
      sequence = max(sequence, replayed.lastSequence)
      lastLogRecords = replayed.records
      highestNumber = max(highestNumber, number)
    }

    // end snippet

    var nextFileNumber = highestNumber + 1
    let log: LogWriter
    var activeLogNumbers = logNumbers
    if let last = logNumbers.last {
      log = try LogWriter.resume(
        number: last, records: lastLogRecords, in: directory, fileSystem: fileSystem,
        maxRecordSize: options.maxRecordSize)
    } else {
      log = try LogWriter.create(
        number: nextFileNumber, in: directory, fileSystem: fileSystem, maxRecordSize: options.maxRecordSize,
        tracer: tracer)
      activeLogNumbers = [nextFileNumber]
      nextFileNumber += 1
    }
    tracer(
      .db, "open", "\(plural(tables.count, "table")), \(plural(memtable.count, "entry", "entries")) in memory",
      "last seq \(sequence), appending to \(log.name)",
      why: "tables hold what was flushed; the log replays what was not")
    return Database(
      directory: directory, fileSystem: fileSystem, options: options, tracer: tracer, active: memtable,
      activeLog: log, activeLogNumbers: activeLogNumbers, tables: tables, nextFileNumber: nextFileNumber,
      sequence: sequence)
  }

  // MARK: Writing

  public func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    try commits.commit(batch, sync: options.sync, persist: writeBuffer.persist, apply: writeBuffer.apply)
  }

  /// The flush itself, called by `Memtables`' flush loop with a frozen
  /// memtable: write the table (steps 1 to 4, below); then, as the frozen
  /// memtable is dropped, add the table to the list readers consult; then
  /// retire the logs (step 5).
  private func flush(_ frozen: Memtables.Frozen) throws -> (publish: () -> Void, afterwards: () throws -> Void) {
    let number = fileNumbers.take()
    if options.retireLogsBeforePublishing {
      try retireLogs(frozen.logNumbers, savedIn: TableFileNames.temporary(number))
      try fileSystem.syncDirectory(directory)
    }
    let table = try writeTable(frozen.memtable, number: number)
    return (
      { self.tables.insert(table, at: 0) },
      {
        if !self.options.retireLogsBeforePublishing {
          try self.retireLogs(frozen.logNumbers, savedIn: table.name)
        }
      }
    )
  }

  // snippet: flush-table
  /// Steps 1 to 4 of a flush: build, fsync, rename, fsync the directory.
  private func writeTable(_ memtable: Memtable, number: UInt64) throws -> TableReader {
    let temporary = TableFileNames.temporary(number)
    let name = TableFileNames.table(number)
    let file = try fileSystem.openWritable(joinPath(directory, temporary), mode: .createNew)
    defer { try? file.close() }
    let builder = TableBuilder(file: file, name: temporary, options: options.table, tracer: tracer)
    var entries = memtable.list.makeIterator()
    entries.seekToFirst()
    while entries.isValid {
      try builder.add(entries.key, value: entries.value)
      entries.next()
    }
    let properties = try builder.finish()
    try file.sync(.full)
    tracer(
      .fs, "fsync", temporary, "\(plural(properties.entryCount, "entry", "entries")), \(file.size) B durable",
      why: "the table's bytes must be on disk before any name points at them")
    try fileSystem.rename(joinPath(directory, temporary), to: joinPath(directory, name))
    tracer(.fs, "rename", "\(temporary) → \(name)", why: "publishing under the final name is atomic")
    try fileSystem.syncDirectory(directory)
    tracer(
      .fs, "dirsync", "database directory", "\(name) is now a durable name",
      why: "until the rename is durable, a power cut could bring back a directory without the table")
    return try TableReader.open(path: joinPath(directory, name), name: name, fileSystem: fileSystem, tracer: tracer)
  }
  // end snippet

  /// Step 5: the table is durable, so the logs that fed it can go.
  private func retireLogs(_ numbers: [UInt64], savedIn table: String) throws {
    for number in numbers {
      let name = LogFormat.fileName(number: number)
      try fileSystem.removeFile(joinPath(directory, name))
      tracer(
        .wal, "retire", name, "its records are all in \(table)",
        why: "only now is the log unneeded; had it gone before the table was durable, a crash could lose writes")
    }
  }

  /// Freezes the active memtable (if it holds anything) and flushes it now,
  /// in the commit queue's order, so no leader is writing meanwhile.
  public func flush() throws {
    try commits.barrier { try writeBuffer.flushNow() }
  }

  // MARK: Reading

  /// The memtables and tables a read consults, newest first.
  private func sources() -> (memtables: [Memtable], tables: [TableReader]) {
    writeBuffer.lock.lock()
    defer { writeBuffer.lock.unlock() }
    return (writeBuffer.readableLocked, tables)
  }

  public func get(_ key: Bytes) throws -> Bytes? { try get(key, atSequence: commits.lastSequence) }

  public func get(_ key: Bytes, at snapshot: SnapshotList.Snapshot) throws -> Bytes? {
    try get(key, atSequence: snapshot.sequence)
  }

  // snippet: database-get
  private func get(_ key: Bytes, atSequence sequence: SequenceNumber) throws -> Bytes? {
    let (memtables, tables) = sources()
    for memtable in memtables {
      switch memtable.get(key, snapshot: sequence) {
      case .found(let value): return value
      case .deleted: return nil
      case .notFound: continue
      }
    }
    for table in tables {
      switch try table.get(key, snapshot: sequence).result {
      case .found(let value): return value
      case .deleted: return nil
      case .notFound: continue
      }
    }
    return nil
  }
  // end snippet

  public func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] {
    try scan(from: from, to: to, atSequence: commits.lastSequence)
  }

  public func scan(from: Bytes?, to: Bytes?, at snapshot: SnapshotList.Snapshot) throws -> [KeyValuePair] {
    try scan(from: from, to: to, atSequence: snapshot.sequence)
  }

  private func scan(from: Bytes?, to: Bytes?, atSequence sequence: SequenceNumber) throws -> [KeyValuePair] {
    var iterator = try makeIterator(atSequence: sequence)
    if let from { try iterator.seek(from) } else { try iterator.seekToFirst() }
    var result: [KeyValuePair] = []
    while iterator.isValid {
      if let to, compareBytes(iterator.key, to) >= 0 { break }
      result.append(KeyValuePair(key: iterator.key, value: iterator.value))
      try iterator.next()
    }
    return result
  }

  /// A merged iterator over every memtable and table, at a sequence number.
  public func makeIterator(atSequence sequence: SequenceNumber) throws -> DatabaseIterator {
    let (memtables, tables) = sources()
    var iterators: [any InternalIterator] = memtables.map { $0.list.makeIterator() }
    iterators += tables.map { $0.makeIterator() }
    return DatabaseIterator(merging: iterators, snapshot: sequence)
  }

  // MARK: Snapshots

  public func snapshot() -> SnapshotList.Snapshot { snapshots.acquire(at: commits.lastSequence) }

  @discardableResult
  public func release(_ snapshot: SnapshotList.Snapshot) -> Bool { snapshots.release(snapshot) }

  public func snapshot(id: Int) -> SnapshotList.Snapshot? { snapshots.snapshot(id: id) }

  // MARK: Inspection

  public var lastSequence: SequenceNumber { commits.lastSequence }

  /// Published tables, newest first.
  public var tableReaders: [TableReader] {
    writeBuffer.lock.lock()
    defer { writeBuffer.lock.unlock() }
    return tables
  }

  /// The active memtable and, while a flush runs, the frozen one.
  public var memtables: (active: Memtable, immutable: Memtable?) { writeBuffer.current }

  /// The log being written.
  public var logStatus: (name: String, status: LogWriter.Status) { writeBuffer.logStatus }

  /// Waits until no flush is running and none is pending (tests, the shell,
  /// and `close`).
  public func waitForFlush() { try? writeBuffer.waitForFlush() }

  /// Waits for a running flush, then closes the log.
  public func close() throws {
    waitForFlush()
    commits.close()
    writeBuffer.lock.lock()
    defer { writeBuffer.lock.unlock() }
    guard !isClosed else { return }
    isClosed = true
    try writeBuffer.activeLog.close()
  }
}
