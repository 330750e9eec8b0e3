import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest
import Chapter5BloomFilter
import Foundation

/// Chapter 5 in the tools: chapter 4's shell engine reading through
/// filters and caches, with `show bloom`, `show cache` and the read
/// counters in `show stats`; its benchmark engine; and `crc-bench`.
enum Chapter5Adapter {
  /// Small, so that a session sees the block cache fill and evict.
  static let shellCacheSize = 16 << 10
  /// Small, so that a session with a few tables sees the table cache close one.
  static let shellOpenTables = 4

  static let adapter = ChapterAdapter(
    shell: EngineDescriptor(
      chapter: 5, title: "bloom filters and caches",
      commands: Chapter4Adapter.adapter.shell.commands,
      showTopics: Chapter4Adapter.adapter.shell.showTopics.replacing([
        .of(Chapter5Engine.self, "stats", summary: "counters: memtables, tables, log, manifest, filters, caches") {
          engine, _ in engine.statsLines() + engine.readPath.readLines()
        },
        .of(
          Chapter5Engine.self, "bloom", summary: "a table's filter: size, probes, bits set, false-positive rate",
          takesFile: true, fileCompletion: .databaseFileEnding(".sst")
        ) { engine, file in try engine.readPath.bloomLines(file) },
        .of(Chapter5Engine.self, "cache", summary: "the block cache and the table cache: use, hits, misses") {
          engine, _ in engine.readPath.cacheLines()
        },
      ]),
      ownsFile: Chapter4Adapter.adapter.shell.ownsFile
    ) { environment in
      var options = Chapter5BloomFilter.Database.Options()
      options.memtableSize = environment.memtableSize
      options.versions.maxManifestSize = Chapter4Engine.manifestSize
      options.backgroundFlush = !environment.deterministic
      options.reads.blockCacheSize = shellCacheSize
      options.reads.maxOpenTables = shellOpenTables
      return Chapter5Engine(
        database: try Chapter5BloomFilter.Database.open(
          directory: environment.directory, fileSystem: environment.fileSystem, options: options,
          tracer: environment.tracer),
        environment: environment)
    },
    bench: Chapter5Engine.bench,
    tools: [CRCBenchCommand.self, BloomRatesCommand.self])
}

/// Chapter 5's engine in the shell: chapter 4's, reading through filters
/// and caches.
final class Chapter5Engine: ManifestEngine<Chapter5BloomFilter.Database> {
  init(database: Chapter5BloomFilter.Database, environment: EngineEnvironment) {
    super.init(database: database, manifest: database.manifest, environment: environment)
  }

  var readPath: ReadPathLines { ReadPathLines(tables: database.tables, versions: manifest.versions) }
}

/// The read path's `show` lines (`stats`, `cache`, `bloom`), for chapter
/// 5's engine and every later one that reads through `CachedTables`.
struct ReadPathLines {
  let tables: CachedTables
  let versions: VersionSet

  /// `show stats`' read counters.
  func readLines() -> [String] {
    let s = tables.statistics
    let gets = s.gets.load(ordering: .relaxed)
    let negatives = s.filterNegatives.load(ordering: .relaxed)
    let positives = s.filterPositives.load(ordering: .relaxed)
    let falsePositives = s.filterFalsePositives.load(ordering: .relaxed)
    let blocks = s.blocksReadByGets.load(ordering: .relaxed)
    let block = tables.blockCache.stats
    return [
      "gets               \(gets): \(Format.plural(s.tableLookups.load(ordering: .relaxed), "table lookup")), "
        + "\(Format.plural(blocks, "block")) read"
        + (gets > 0 ? String(format: " (%.2f per get)", Double(blocks) / Double(gets)) : ""),
      "filter             \(negatives) said no (table skipped), \(positives) maybe, \(falsePositives) of them false",
      "block cache        \(block.hits) hits, \(block.misses) misses, \(block.evictions) evictions",
    ]
  }

  /// `show cache`.
  func cacheLines() -> [String] {
    let block = tables.blockCache.stats
    let table = tables.tableCache.stats
    let limit = tables.options.maxOpenTables
    func ratio(_ s: CacheStats) -> String { s.lookups == 0 ? "" : String(format: " (%.1f %% hits)", 100 * s.hitRatio) }
    return [
      "block cache   \(tables.options.blockCachePolicy), \(Format.size(block.usage)) of \(Format.size(block.capacity)) "
        + "in \(Format.plural(block.entryCount, "block")), \(Format.plural(tables.blockCache.shardCount, "shard"))"
        + (block.pinnedUsage > 0 ? ", \(Format.size(block.pinnedUsage)) pinned" : ""),
      "              \(block.hits) hits, \(block.misses) misses\(ratio(block)), \(block.evictions) evictions",
      "table cache   \(Format.plural(table.entryCount, "table")) open"
        + (limit > 0 ? " of at most \(limit)" : " (no limit)"),
      "              \(table.hits) hits, \(table.misses) misses\(ratio(table)), \(table.evictions) closed",
    ]
  }

  /// `show bloom FILE`: a live table's filter.
  func bloomLines(_ file: String?) throws -> [String] {
    let live = versions.current.tables
    guard let table = live.first(where: { $0.name == file }) else {
      throw ShellError(
        "\(file ?? "") is not a live table"
          + (live.isEmpty ? " (there are none yet)" : " (live: \(live.map(\.name).joined(separator: " ")))"))
    }
    return try [describe(table.metadata)] + bitLines(table.metadata)
  }

  private func describe(_ table: TableMetadata) throws -> String {
    guard let filter = try tables.open(table).filter else {
      return "\(table.name)  no filter (an earlier chapter's table)"
    }
    let expected = BloomFilter.expectedFalsePositiveRate(
      keys: filter.keyCount, bits: filter.bitCount, probes: filter.probes)
    let perKey = Double(filter.bitCount) / Double(max(1, filter.keyCount))
    return "\(table.name)  \(filter.bits.count) B, \(Format.plural(filter.keyCount, "key")), "
      + String(format: "%.1f bits per key, ", perKey) + "\(filter.probes) probes, \(filter.layout); "
      + String(format: "expected false positives %.2f %%", 100 * expected)
  }

  private func bitLines(_ table: TableMetadata) throws -> [String] {
    guard let filter = try tables.open(table).filter else { return [] }
    let set = filter.bits.reduce(0) { $0 + $1.nonzeroBitCount }
    var lines = [
      "  bits set \(set) of \(filter.bitCount)"
        + String(format: " (%.1f %%; ", 100 * Double(set) / Double(filter.bitCount))
        + "a random absent key finds all \(filter.probes) of its bits set with about that chance to the "
        + "\(filter.probes)th power)"
    ]
    // The first 64 bits, as a picture: one character per bit.
    let shown = min(filter.bitCount, 64)
    let picture = (0..<shown).map { filter.bits[$0 >> 3] & (1 << UInt8($0 & 7)) != 0 ? "1" : "." }.joined()
    lines.append("  bits 0..<\(shown): \(picture)")
    return lines
  }
}

extension Chapter5Engine {
  /// Chapter 5: chapter 4's engine with filters and caches; `--bloom_bits`,
  /// `--cache_size` and `--open_files` set them.
  static let bench = BenchEngineDescriptor(chapter: 5, hasFilters: true, flushes: true, iteratesBackward: false) {
    directory, configuration in
    var options = Chapter5BloomFilter.Database.Options()
    configure(&options, configuration)
    let database = try Chapter5BloomFilter.Database.open(
      directory: directory, fileSystem: DiskFileSystem(), options: options)
    return BenchEngine(
      store: database, makeIterator: { database.makeIterator() }, waitForBackgroundWork: { database.waitForFlush() },
      readCounters: { readCounters(database.tables) })
  }

  /// The memtable size, filters and caches the flags ask for.
  static func configure(_ options: inout Chapter5BloomFilter.Database.Options, _ configuration: BenchConfiguration) {
    if let size = configuration.writeBufferSize { options.memtableSize = size }
    if configuration.bloomBits >= 0 { options.reads.bitsPerKey = Double(configuration.bloomBits) }
    if configuration.bloomLocality > 0 { options.reads.filterLayout = .cacheLocal }
    options.reads.blockCacheSize = configuration.cacheSize
    options.reads.maxOpenTables = configuration.openFiles
  }

  /// What the read path has counted so far, for the read benchmarks.
  static func readCounters(_ tables: CachedTables) -> BenchReadCounters {
    let s = tables.statistics
    let cache = tables.blockCache.stats
    var counters = BenchReadCounters()
    counters.gets = s.gets.load(ordering: .relaxed)
    counters.tableLookups = s.tableLookups.load(ordering: .relaxed)
    counters.filterNegatives = s.filterNegatives.load(ordering: .relaxed)
    counters.blocksRead = s.blocksReadByGets.load(ordering: .relaxed)
    counters.cacheHits = cache.hits
    counters.cacheMisses = cache.misses
    return counters
  }
}
