import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest

/// Chapter 5's engine: chapter 4's, reading through filters and caches.
///
/// Nothing about writing, flushing, versions or recovery changes; chapter
/// 4's `Database` does all of it, opened with this chapter's
/// `CachedTables` as its table access. What changes is what a table is to
/// a read: a filter consulted before any block, blocks from a cache, and at
/// most a fixed number of tables open. And each new table carries its
/// filter (format version 2), so a directory chapter 4 wrote opens here
/// (its tables have no filter and are read as before), but a directory
/// this chapter has written is refused by chapter 4.
public final class Database: EngineDatabase, @unchecked Sendable {
  /// Chapter 4's settings (`base`, whose members read and write as this
  /// type's own) and the read path's.
  @dynamicMemberLookup
  public struct Options: Sendable {
    public var base = Chapter4Manifest.Database.Options()
    public var reads = CachedTables.Options()

    public init() {}

    public subscript<T>(dynamicMember member: WritableKeyPath<Chapter4Manifest.Database.Options, T>) -> T {
      get { base[keyPath: member] }
      set { base[keyPath: member] = newValue }
    }
  }

  /// Chapter 4's database, which this one reads through its tables.
  public let manifest: Chapter4Manifest.Database
  /// The filters and caches.
  public let tables: CachedTables
  private let tracer: Tracer

  public var engine: Engine<VersionedTables> { manifest.engine }

  private init(manifest: Chapter4Manifest.Database, tables: CachedTables, tracer: Tracer) {
    self.manifest = manifest
    self.tables = tables
    self.tracer = tracer
  }

  /// Opens the database as chapter 4 does, with this chapter's read path.
  ///
  /// - Parameter chapter: the chapter opening it, for `FORMAT` (a later
  ///   chapter opens its directory through this one).
  public static func open(
    directory: String, fileSystem: any FileSystem, options: Options = .init(), tracer: Tracer = .disabled,
    chapter: Int = 5
  ) throws -> Database {
    let tables = CachedTables(directory: directory, fileSystem: fileSystem, options: options.reads, tracer: tracer)
    let manifest = try Chapter4Manifest.Database.open(
      directory: directory, fileSystem: fileSystem, options: options.base, tracer: tracer, chapter: chapter,
      access: tables)
    return Database(manifest: manifest, tables: tables, tracer: tracer)
  }

  /// The value of `key` now: chapter 4's read, counted, and with each
  /// level 0 table the key's range rules out shown in the trace.
  public func get(_ key: Bytes) throws -> Bytes? {
    countGet(key)
    return try engine.get(key, atSequence: engine.lastSequence)
  }

  public func get(_ key: Bytes, at snapshot: SnapshotList.Snapshot) throws -> Bytes? {
    countGet(key)
    return try engine.get(key, atSequence: snapshot.sequence)
  }

  private func countGet(_ key: Bytes) {
    tables.statistics.gets.add(1, ordering: .relaxed)
    guard tracer.isEnabled else { return }
    for table in manifest.versions.current.levels[0] where !table.metadata.mayContain(key) {
      tracer(
        .filter, "range", table.name, "\(Format.printable(key)) is outside \(table.metadata.keyRange)",
        why: "the manifest keeps each table's smallest and largest key: a key outside them costs nothing")
    }
  }

  /// The versions, the manifest and the file counter.
  public var versions: VersionSet { manifest.versions }

  /// Merges every table into one (chapter 4's `mergeTables`).
  @discardableResult
  public func mergeTables() throws -> TableMetadata? { try manifest.mergeTables() }

  /// An iterator over the database now, or at `snapshot`.
  public func makeIterator(at snapshot: SnapshotList.Snapshot? = nil) -> Chapter4Manifest.Iterator {
    manifest.makeIterator(at: snapshot)
  }

  public func close() throws { try manifest.close() }
}
