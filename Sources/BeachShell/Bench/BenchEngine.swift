import Chapter1WAL

/// A chapter's engine, opened, as the benchmarks drive it.
public struct BenchEngine: Sendable {
  /// Writes and point reads.
  public let store: any KeyValueStore
  /// An iterator over the present state. If it is a
  /// `ReversibleKeyValueIterator`, `readreverse` runs.
  public let makeIterator: @Sendable () throws -> any KeyValueIterator
  /// Blocks until background work (a flush) has finished.
  public let waitForBackgroundWork: @Sendable () -> Void
  /// The read path's counters so far, for engines that keep them (chapter
  /// 5 on); the read benchmarks report what each get cost.
  public let readCounters: (@Sendable () -> BenchReadCounters)?
  /// Lines printed after the last benchmark, for engines with more to say
  /// (chapter 6's compaction statistics).
  public let report: (@Sendable () -> [String])?
  /// Compacts the whole key range (`compact`), for engines that compact.
  public let compactAll: (@Sendable () throws -> Void)?
  /// The tables' shape and the bytes written to them so far, for engines
  /// that keep count (chapter 6): what `--stats_interval_seconds` samples.
  public let shape: (@Sendable () -> BenchShape)?

  public init(
    store: any KeyValueStore, makeIterator: @escaping @Sendable () throws -> any KeyValueIterator,
    waitForBackgroundWork: @escaping @Sendable () -> Void = {},
    readCounters: (@Sendable () -> BenchReadCounters)? = nil, report: (@Sendable () -> [String])? = nil,
    compactAll: (@Sendable () throws -> Void)? = nil, shape: (@Sendable () -> BenchShape)? = nil
  ) {
    self.store = store
    self.makeIterator = makeIterator
    self.waitForBackgroundWork = waitForBackgroundWork
    self.readCounters = readCounters
    self.report = report
    self.compactAll = compactAll
    self.shape = shape
  }
}

/// The tables at one moment, and what writing them has cost so far.
public struct BenchShape: Sendable {
  /// Bytes written to tables since the engine opened: flushes and
  /// compactions (the numerator of write amplification).
  public var tableBytesWritten: UInt64
  /// Bytes of the tables in the current version (what space amplification
  /// divides by the live data).
  public var tableBytes: UInt64
  /// Tables per level, level 0 first.
  public var tablesPerLevel: [Int]

  public init(tableBytesWritten: UInt64, tableBytes: UInt64, tablesPerLevel: [Int]) {
    self.tableBytesWritten = tableBytesWritten
    self.tableBytes = tableBytes
    self.tablesPerLevel = tablesPerLevel
  }
}

/// What point reads have cost so far: the figures `readrandom` and
/// `readmissing` divide by their gets.
public struct BenchReadCounters: Sendable {
  public var gets = 0
  /// Tables whose key range covered a get's key.
  public var tableLookups = 0
  /// Of those, the ones a filter ruled out.
  public var filterNegatives = 0
  /// Data blocks read from files by gets.
  public var blocksRead = 0
  public var cacheHits = 0
  public var cacheMisses = 0

  public init() {}

  /// `counters - earlier`, field by field.
  func since(_ earlier: BenchReadCounters) -> BenchReadCounters {
    var d = BenchReadCounters()
    d.gets = gets - earlier.gets
    d.tableLookups = tableLookups - earlier.tableLookups
    d.filterNegatives = filterNegatives - earlier.filterNegatives
    d.blocksRead = blocksRead - earlier.blocksRead
    d.cacheHits = cacheHits - earlier.cacheHits
    d.cacheMisses = cacheMisses - earlier.cacheMisses
    return d
  }

  /// `per get: 0.04 blocks read, 6.8 tables, 6.7 ruled out by filters;
  /// block cache 35.2% hits`.
  var perGet: String {
    guard gets > 0 else { return "" }
    let g = Double(gets)
    let lookups = cacheHits + cacheMisses
    return String(
      format: "per get: %.3f blocks read, %.2f tables, %.2f ruled out by filters", Double(blocksRead) / g,
      Double(tableLookups) / g, Double(filterNegatives) / g)
      + (lookups > 0 ? String(format: "; block cache %.1f%% hits", 100 * Double(cacheHits) / Double(lookups)) : "")
  }
}

/// How to open one chapter's engine for benchmarking.
public struct BenchEngineDescriptor: Sendable {
  public let chapter: Int
  /// Whether `--bloom_bits`, `--cache_size` and `--open_files` mean
  /// anything to it (chapter 5 on: filters and caches).
  public let hasFilters: Bool
  /// Whether it flushes memtables, so that `--write_buffer_size` means
  /// something to it.
  public let flushes: Bool
  /// Whether its iterators walk backward (`readreverse`).
  public let iteratesBackward: Bool
  /// Whether it compacts, so that the compaction flags (`--level0_*`,
  /// `--max_bytes_for_level_*`, `--target_file_size_base`,
  /// `--disable_auto_compactions`) mean something to it.
  public let compacts: Bool
  /// Opens (creating if needed) the database in a directory, on disk.
  public let open: @Sendable (_ directory: String, _ configuration: BenchConfiguration) throws -> BenchEngine

  public init(
    chapter: Int, hasFilters: Bool, flushes: Bool, iteratesBackward: Bool, compacts: Bool = false,
    open: @escaping @Sendable (_ directory: String, _ configuration: BenchConfiguration) throws -> BenchEngine
  ) {
    self.chapter = chapter
    self.hasFilters = hasFilters
    self.flushes = flushes
    self.iteratesBackward = iteratesBackward
    self.compacts = compacts
    self.open = open
  }

  /// The chapter's title, from the shell's registry: "SSTables and flush".
  public var title: String { EngineRegistry.engine(chapter: chapter)?.title ?? "chapter \(chapter)" }
}
