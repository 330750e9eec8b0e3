import Chapter1WAL
import Chapter2Memtable
import Foundation

/// Chapter 3's tables: a list of the published tables, newest first, and
/// the flush that publishes one by a rename.
///
/// There is no manifest yet: the list is what the directory held at open,
/// plus what flushes added since. The list is guarded by the memtables'
/// lock (`Memtables.withLock`): a flush's `publish` step adds to it there,
/// and a read takes it there.
public final class TableList: EngineTables, @unchecked Sendable {
  /// How a flush writes its table.
  public struct Settings: Sendable {
    public var directory: String
    public var table: TableOptions
    /// A deliberate bug, for the crash test that must catch it: retire the
    /// logs (durably) before the table's name is durable.
    public var retireLogsBeforePublishing: Bool
  }

  private let settings: Settings
  private let fileSystem: any FileSystem
  private let tracer: Tracer
  private let fileNumbers: FileNumbers
  /// Published tables, newest first. Guarded by the memtables' lock.
  private var tables: [TableReader]

  /// The tables recovery found, and the next free file number.
  public init(
    tables: [TableReader], nextFileNumber: UInt64, settings: Settings, fileSystem: any FileSystem, tracer: Tracer
  ) {
    self.tables = tables
    self.fileNumbers = FileNumbers(next: nextFileNumber)
    self.settings = settings
    self.fileSystem = fileSystem
    self.tracer = tracer
  }

  private var directory: String { settings.directory }

  /// Published tables, newest first. REQUIRES: the memtables' lock.
  public var published: [TableReader] { tables }

  public func newFileNumber() -> UInt64 { fileNumbers.take() }

  // MARK: Reads

  public func beginPointRead() -> [TableReader] { tables }

  public func candidates(for key: Bytes, in read: [TableReader]) -> [TableReader] { read }

  public func get(_ key: Bytes, at sequence: SequenceNumber, in table: TableReader) throws -> LookupResult {
    try table.get(key, snapshot: sequence).result
  }

  public func endPointRead(_ read: [TableReader]) {}

  public func beginScan(holder: String) -> (iterators: [any InternalIterator], read: Void) {
    (tables.map { $0.makeIterator() }, ())
  }

  public func endScan(_ read: Void) {}

  // MARK: Flush

  /// The flush itself, called by `Memtables`' flush loop with a frozen
  /// memtable: write the table (steps 2 to 5, below); then, as the frozen
  /// memtable is dropped, add the table to the list readers consult; then
  /// retire the logs (step 6).
  public func flush(_ frozen: Memtables.Frozen) throws -> Memtables.FlushSteps {
    let number = fileNumbers.take()
    if settings.retireLogsBeforePublishing {
      try retireLogs(frozen.logNumbers, savedIn: TableFileNames.temporary(number))
      try fileSystem.syncDirectory(directory)
    }
    let table = try writeTable(frozen.memtable, number: number)
    return Memtables.FlushSteps(
      publish: { self.tables.insert(table, at: 0) },
      afterwards: {
        if !self.settings.retireLogsBeforePublishing {
          try self.retireLogs(frozen.logNumbers, savedIn: table.name)
        }
      })
  }

  // snippet: flush-table
  /// Steps 2 to 5 of a flush (step 1, the freeze, is `Memtables`'): write
  /// the table under a temporary name, fsync it, rename it, fsync the
  /// directory.
  private func writeTable(_ memtable: Memtable, number: UInt64) throws -> TableReader {
    let temporary = TableFileNames.temporary(number)
    let name = TableFileNames.table(number)
    let file = try fileSystem.openWritable(joinPath(directory, temporary), mode: .createNew)
    defer { try? file.close() }
    let builder = TableBuilder(file: file, name: temporary, options: settings.table, tracer: tracer)
    var entries = memtable.list.makeIterator()
    entries.seekToFirst()
    while entries.isValid {
      try builder.add(entries.key, value: entries.value)
      entries.next()
    }
    let properties = try builder.finish()
    try file.sync(.full)
    tracer(
      .fs, "fsync", temporary, "\(Format.plural(properties.entryCount, "entry", "entries")), \(file.size) B durable",
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

  /// Step 6: the table is durable, so the logs that fed it can go.
  private func retireLogs(_ numbers: [UInt64], savedIn table: String) throws {
    for number in numbers {
      let name = LogFormat.fileName(number: number)
      try fileSystem.removeFile(joinPath(directory, name))
      tracer(
        .wal, "retire", name, "its records are all in \(table)",
        why: "only now is the log unneeded; had it gone before the table was durable, a crash could lose writes")
    }
  }
}
