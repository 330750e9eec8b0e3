import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Foundation

/// Chapter 4's tables, for chapter 3's `Engine`: the current `Version`,
/// read with a pin, and the flush that records its table in the manifest.
///
/// The engine is chapter 3's, unchanged; this type is what the chapter
/// replaces: where a read finds its tables (a version, pinned for as long
/// as the read lasts) and what a flush publishes (a `VersionEdit`, durable
/// in the manifest before it takes effect).
public final class VersionedTables: EngineTables, @unchecked Sendable {
  /// How tables are written.
  public struct Settings: Sendable {
    public var directory: String
    public var table: TableOptions
    /// A deliberate bug, for the crash test that must catch it: record a
    /// table in the manifest without first making it durable.
    public var recordBeforeTableIsDurable: Bool
  }

  /// The versions, the manifest and the file counter.
  public let versions: VersionSet
  /// How tables are opened, consulted and written.
  public var access: any TableAccess { versions.access }
  private let settings: Settings
  private let fileSystem: any FileSystem
  private let tracer: Tracer

  public init(versions: VersionSet, settings: Settings, fileSystem: any FileSystem, tracer: Tracer) {
    self.versions = versions
    self.settings = settings
    self.fileSystem = fileSystem
    self.tracer = tracer
  }

  private var directory: String { settings.directory }

  public func newFileNumber() -> UInt64 { versions.newFileNumber() }

  // MARK: Reads

  // snippet: read-sources
  /// A point read pins the current version only for a moment: a count
  /// rather than a named pin (no allocation). The engine takes it under
  /// the lock a flush takes to drop the frozen memtable, which it does only
  /// once its table is in the current version: a reader may see the data
  /// in both, never in neither.
  public func beginPointRead() -> Version { versions.beginRead() }

  public func candidates(for key: Bytes, in version: Version) -> [TableFile] { version.candidates(for: key) }

  public func endPointRead(_ version: Version) { versions.endRead(version) }

  /// A scan pins the current version by name, for as long as it runs. It
  /// merges one iterator per level 0 table, and one per deeper level: a
  /// sorted run is walked table by table (`LevelIterator`).
  public func beginScan(holder: String) -> (iterators: [any InternalIterator], read: VersionSet.Pin) {
    let pin = versions.pin(holder)
    let levels = pin.version.levels
    let deeper = levels.dropFirst().filter { !$0.isEmpty }.map { LevelIterator($0) as any InternalIterator }
    return (levels[0].map(TableFile.makeIterator) + deeper, pin)
  }
  // end snippet

  public func get(_ key: Bytes, at sequence: SequenceNumber, in table: TableFile) throws -> LookupResult {
    try table.access.get(key, at: sequence, in: table.metadata)
  }

  public func endScan(_ pin: VersionSet.Pin) { pin.release() }

  // MARK: Flush

  // snippet: flush-with-manifest
  /// The flush itself, called by chapter 3's flush loop (`Memtables`) with
  /// a frozen memtable: write the table, durably; record it in the
  /// manifest, which makes it current; and, once the frozen memtable is
  /// dropped, retire the logs the edit says are no longer needed.
  public func flush(_ frozen: Memtables.Frozen) throws -> Memtables.FlushSteps {
    let table = try writeTable(frozen.memtable)
    var edit = VersionEdit()
    edit.added = [(0, table.file.metadata)]
    edit.logNumber = frozen.successorLog
    edit.lastSequence = table.properties.largestSequence
    try versions.apply(edit, added: [table.file])
    return .init(afterwards: { try self.retireLogs(frozen.logNumbers, recoveryStartsAt: frozen.successorLog) })
  }
  // end snippet

  /// Writes a table from `entries` under a fresh number, makes it durable
  /// (file and name), and opens it.
  private func writeTable(_ memtable: Memtable) throws -> (file: TableFile, properties: TableProperties) {
    var entries = memtable.list.makeIterator()
    entries.seekToFirst()
    return try writeTable { builder in
      while entries.isValid {
        try builder.add(entries.key, value: entries.value)
        entries.next()
      }
    }
  }

  // snippet: write-table-durably
  /// Writes a table with what `fill` adds, under a fresh number, makes it
  /// durable (file and name), and opens it (through the table access, which
  /// also supplies its meta block).
  public func writeTable(_ fill: (TableBuilder) throws -> Void) throws -> (file: TableFile, properties: TableProperties)
  {
    let number = versions.newFileNumber()
    let name = TableFileNames.table(number)
    let file = try fileSystem.openWritable(joinPath(directory, name), mode: .createNew)
    defer { try? file.close() }
    let builder = TableBuilder(
      file: file, name: name, options: settings.table, tracer: tracer, metaBlock: access.makeMetaBlock())
    try fill(builder)
    let properties = try builder.finish()
    if !settings.recordBeforeTableIsDurable {
      try file.sync(.full)
      try fileSystem.syncDirectory(directory)
      tracer(
        .fs, "fsync", name, "\(file.size) B and its name durable (file, then directory)",
        why: "the manifest is about to name this table; it must be on disk before any edit points at it")
    }
    let metadata = TableMetadata(
      number: number, fileSize: UInt64(file.size), entryCount: UInt64(properties.entryCount),
      smallest: properties.smallestKey, largest: properties.largestKey)
    _ = try access.reader(for: metadata)  // opened and verified now, as the version will need it
    return (TableFile(metadata: metadata, access: access), properties)
  }
  // end snippet

  /// The edit is durable, so the logs before `first` can go.
  private func retireLogs(_ numbers: [UInt64], recoveryStartsAt first: UInt64) throws {
    for number in numbers where number < first {
      let name = LogFormat.fileName(number: number)
      try fileSystem.removeFile(joinPath(directory, name))
      tracer(
        .wal, "retire", name, "the manifest now starts recovery at log \(first)",
        why: "its records are in a table the manifest names; had it gone before the edit was durable, a crash "
          + "could lose writes")
    }
  }
}
