import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest
import Chapter5BloomFilter

/// Chapter 6's engine: chapter 5's, with its levels kept in shape by
/// compaction.
///
/// Writing, flushing, recovery and the read path are chapter 5's, opened
/// through it. What this chapter adds runs beside them: a `Compactor`
/// that wakes at each new version and merges a level that has outgrown
/// its limit into the level below, and `WriteStalls`, which slow writers
/// down when level 0 fills faster than that. Chapter 4's all-at-once
/// `mergeTables` is gone; `compact` runs what is due, now.
public final class Database: EngineDatabase, @unchecked Sendable {
  /// Chapter 5's settings (`base`, whose members read and write as this
  /// type's own) and the compactor's.
  @dynamicMemberLookup
  public struct Options: Sendable {
    public var base = Chapter5BloomFilter.Database.Options()
    public var compaction = CompactionOptions()

    public init() {}

    public subscript<T>(dynamicMember member: WritableKeyPath<Chapter5BloomFilter.Database.Options, T>) -> T {
      get { base[keyPath: member] }
      set { base[keyPath: member] = newValue }
    }
  }

  /// Chapter 5's database, which does the writing, flushing and reading.
  public let reads: Chapter5BloomFilter.Database
  public let compactor: Compactor
  private let stalls: WriteStalls

  public var engine: Engine<VersionedTables> { reads.engine }
  /// The versions, the manifest and the file counter.
  public var versions: VersionSet { reads.versions }
  /// Chapter 4's database, under chapter 5's.
  public var manifest: Chapter4Manifest.Database { reads.manifest }

  private init(reads: Chapter5BloomFilter.Database, options: CompactionOptions, tracer: Tracer) {
    self.reads = reads
    self.compactor = Compactor(database: reads, options: options, tracer: tracer)
    self.stalls = WriteStalls(options: options, compactor: compactor, versions: reads.versions, tracer: tracer)
  }

  // snippet: open-compaction
  /// Opens the database as chapter 5 does, then starts the compactor,
  /// which at once looks for a level already over its limit.
  public static func open(
    directory: String, fileSystem: any FileSystem, options: Options = .init(), tracer: Tracer = .disabled
  ) throws -> Database {
    let reads = try Chapter5BloomFilter.Database.open(
      directory: directory, fileSystem: fileSystem, options: options.base, tracer: tracer, chapter: 6)
    let database = Database(reads: reads, options: options.compaction, tracer: tracer)
    database.compactor.start()
    database.compactor.runIfWanted()
    return database
  }
  // end snippet

  /// A write, after any stall level 0 calls for; in inline mode, followed
  /// by whatever compaction the write's flush made due.
  @discardableResult
  public func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    stalls.admit()
    let sequence = try engine.write(batch, options: options)
    compactor.runIfWanted()
    return sequence
  }

  /// The value of `key` now, read as chapter 5 reads it.
  public func get(_ key: Bytes) throws -> Bytes? { try reads.get(key) }

  public func get(_ key: Bytes, at snapshot: SnapshotList.Snapshot) throws -> Bytes? {
    try reads.get(key, at: snapshot)
  }

  /// Flushes the memtable now; in inline mode, then compacts what is due.
  public func flush() throws {
    try engine.flush()
    compactor.runIfWanted()
  }

  /// Runs every compaction that is due, now, and returns what each did.
  @discardableResult
  public func compact() throws -> [CompactionResult] {
    try engine.waitForFlush()
    if let error = engine.background.error { throw error }
    return try compactor.compactWhileDue()
  }

  /// Runs the one compaction the picker chooses now, if a level is due.
  public func compactNext() throws -> CompactionResult? {
    try engine.waitForFlush()
    if let error = engine.background.error { throw error }
    return try compactor.compactNext()
  }

  /// Compacts the tables that meet `from...to` down to the deepest level
  /// holding any of them (`Compactor.compactRange`); then, in inline mode,
  /// whatever that made due.
  @discardableResult
  public func compactRange(from: Bytes?, to: Bytes?) throws -> [CompactionResult] {
    try engine.waitForFlush()
    if let error = engine.background.error { throw error }
    let results = try compactor.compactRange(from: from, to: to)
    compactor.runIfWanted()
    return results
  }

  /// Waits until no flush is running and no level is due (tests, the
  /// benchmark, the shell).
  public func waitForCompaction() throws {
    try engine.waitForFlush()
    guard compactor.options.automatic else { return }
    let picker = compactor.picker
    _ = compactor.waitUntil { picker.pick(versions.current.levels.map { $0.map(\.metadata) }) == nil }
    if let error = engine.background.error { throw error }
  }

  /// An iterator over the database now, or at `snapshot`.
  public func makeIterator(at snapshot: SnapshotList.Snapshot? = nil) -> Chapter4Manifest.Iterator {
    reads.makeIterator(at: snapshot)
  }

  /// Stops the compactor (waiting for a compaction in progress), then
  /// closes as chapter 5 does.
  public func close() throws {
    compactor.stop()
    try reads.close()
  }
}
