import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest
import Synchronization

/// How chapter 5 reads tables, for chapter 4's versions: a filter before
/// any block, blocks through a cache, and a bounded number of open tables.
///
/// A lookup in one table goes:
///
/// 1. **The table cache** gives the table's open reader (its file, its
///    index and its filter, all in memory), opening it on a miss; at most
///    `maxOpenTables` stay open, the least useful closed first.
/// 2. **The filter** says *no* (the key is certainly not in the table: done,
///    no block touched) or *maybe*.
/// 3. **The block cache** gives the one data block that can hold the key,
///    reading and verifying it on a miss; a block is checksummed once, when
///    it enters the cache, and pinned while the lookup uses it.
///
/// Every step is counted (`ReadStatistics`) and traced, with why it exists.
public final class CachedTables: TableAccess, Sendable {
  /// The read path's settings.
  public struct Options: Sendable, Equatable {
    /// Filter bits per key; 0 writes no filter (as chapter 4).
    public var bitsPerKey: Double = 10
    /// How a filter lays out a key's probes.
    public var filterLayout: BloomFilter.Layout = .standard
    /// Block cache capacity, in bytes of block contents; 0 caches nothing.
    /// 8 MiB, db_bench's default `--cache_size`.
    public var blockCacheSize = 8 << 20
    /// Which blocks the cache keeps.
    public var blockCachePolicy: CachePolicy = .lru
    /// Tables kept open at once; 0 or less means no limit (db_bench's
    /// default `--open_files` is -1).
    public var maxOpenTables = -1
    /// Verify blocks with the processor's CRC32C instruction when it has one.
    public var hardwareChecksum = true

    public init() {}
  }

  /// A table as the table cache holds it: the reader and its filter.
  public struct OpenTable: Sendable {
    public let reader: TableReader
    public let filter: BloomFilter?
  }

  /// Where a cached block is: the table file's number and the block's offset.
  public struct BlockKey: Hashable, Sendable {
    public let table: UInt64
    public let offset: Int
  }

  public let options: Options
  public let blockCache: ShardedCache<BlockKey, Block>
  public let tableCache: ShardedCache<UInt64, OpenTable>
  public let statistics = ReadStatistics()
  private let directory: String
  private let fileSystem: any FileSystem
  private let tracer: Tracer
  private let checksum: BlockTrailer.Checksum

  public init(directory: String, fileSystem: any FileSystem, options: Options, tracer: Tracer) {
    self.directory = directory
    self.fileSystem = fileSystem
    self.options = options
    self.tracer = tracer
    // Small caches get fewer shards, so that no shard is too small to hold
    // a block.
    let blockShards = options.blockCacheSize >= 16 << 16 ? 16 : 1
    self.blockCache = ShardedCache(
      capacity: max(0, options.blockCacheSize), shardCount: blockShards, policy: options.blockCachePolicy,
      hash: { $0.table &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: $0.offset) })
    let unlimited = options.maxOpenTables <= 0
    self.tableCache = ShardedCache(
      capacity: unlimited ? Int.max / 2 : options.maxOpenTables, shardCount: unlimited ? 16 : 1, policy: .lru,
      hash: { $0 })
    let hardware: BlockTrailer.Checksum = { bytes, range in HardwareCRC32C.checksum(bytes, range) }
    let table: BlockTrailer.Checksum = { bytes, range in CRC32C.checksum(bytes, range) }
    let useHardware = options.hardwareChecksum && HardwareCRC32C.available != .table
    self.checksum = useHardware ? hardware : table
  }

  // MARK: The table cache

  // snippet: table-cache
  /// The open table `table`, from the table cache or opened now: its
  /// footer, index and properties read and checked, and its filter decoded.
  public func open(_ table: TableMetadata) throws -> OpenTable {
    // No handle: an open table keeps itself alive while a read uses it,
    // even if the cache closes it meanwhile (its file closes after).
    if let open = tableCache.peek(table.number) {
      tracer(
        .cache, "table", table.name, "open (table cache hit)",
        why: "its index and filter are already in memory")
      return open
    }
    let reader = try TableReader.open(
      path: joinPath(directory, table.name), name: table.name, fileSystem: fileSystem, tracer: tracer,
      blocks: CachedBlocks(tables: self, table: table.number))
    let filter = try Self.filter(of: reader)
    let evictions = tableCache.stats.evictions
    let opened = OpenTable(reader: reader, filter: filter)
    tableCache.insert(table.number, opened, charge: 1)
    let closed = tableCache.stats.evictions - evictions
    tracer(
      .cache, "table", table.name,
      "opened (table cache miss)" + (filter.map { ", filter \($0.bits.count) B" } ?? ", no filter")
        + (closed > 0
          ? "; closed \(Format.plural(closed, "other table")) to stay within \(options.maxOpenTables)" : ""),
      why: "a table is read from its footer, index and filter, kept in memory while it stays open; "
        + "file descriptors are finite, so at most a fixed number stay open")
    return opened
  }
  // end snippet

  /// The filter a table carries, decoded; nil for a table without one
  /// (format 1: chapter 4's, or written with 0 bits per key).
  static func filter(of reader: TableReader) throws(TableError) -> BloomFilter? {
    guard let contents = reader.metaBlock, let handle = reader.metaBlockHandle else { return nil }
    do throws(DecodingError) {
      return try BloomFilter(decoding: contents)
    } catch {
      throw .corrupt(
        file: reader.name, offset: handle.offset + error.offset,
        what: "filter block @ \(handle.offset) (\(handle.size) B): \(error.message)")
    }
  }

  // MARK: TableAccess

  public func reader(for table: TableMetadata) throws -> TableReader { try open(table).reader }

  // snippet: filtered-get
  /// One table's answer for `key` at `sequence`: the filter first, then
  /// the one block that can hold the key, through the block cache.
  public func get(_ key: Bytes, at sequence: SequenceNumber, in table: TableMetadata) throws -> LookupResult {
    let open = try open(table)
    statistics.tableLookups.add(1, ordering: .relaxed)
    if let filter = open.filter {
      guard filter.mayContain(key) else {
        statistics.filterNegatives.add(1, ordering: .relaxed)
        tracer(
          .filter, "no", table.name, "one of the \(filter.probes) bits of \(Format.printable(key)) is clear",
          why: "a bloom filter never says no to a key it holds, so the table is skipped without reading a block")
        return .notFound
      }
      statistics.filterPositives.add(1, ordering: .relaxed)
      tracer(
        .filter, "maybe", table.name, "all \(filter.probes) bits of \(Format.printable(key)) are set",
        why: "a filter says maybe for every key it holds, and for a few it does not: only the block can tell")
    }
    let (result, blocksRead) = try open.reader.get(key, snapshot: sequence)
    statistics.blocksReadByGets.add(blocksRead, ordering: .relaxed)
    if let filter = open.filter, case .notFound = result {
      statistics.filterFalsePositives.add(1, ordering: .relaxed)
      tracer(
        .filter, "false positive", table.name, "the block does not hold \(Format.printable(key))",
        why: "its \(filter.probes) bits were all set by other keys; the read was wasted, as the false-positive "
          + "rate predicts for a few lookups in a hundred")
    }
    return result
  }
  // end snippet

  public func makeMetaBlock() -> (any TableMetaBlockBuilder)? {
    options.bitsPerKey > 0 ? FilterBuilder(bitsPerKey: options.bitsPerKey, layout: options.filterLayout) : nil
  }

  /// The table left the disk: close it and drop its blocks.
  public func forget(_ table: UInt64) {
    tableCache.erase(table)
    blockCache.erase { $0.table == table }
  }

  // MARK: The block cache

  // snippet: cached-block
  /// Data block `number` of `table`: from the cache, pinned while the
  /// caller holds it, or read, verified and inserted on a miss.
  func dataBlock(_ number: Int, of reader: TableReader, table: UInt64) throws(TableError) -> HeldBlock {
    let handle = reader.handle(ofBlock: number)
    let key = BlockKey(table: table, offset: handle.offset)
    if let cached = blockCache.lookup(key) {
      tracer(
        .cache, "hit", reader.name, "block \(number) @ \(handle.offset), \(handle.size) B",
        why: "the block cache holds it, verified when it entered; no read, no checksum")
      return HeldBlock(block: cached.value, pin: cached, wasRead: false)
    }
    let block = try reader.loadDataBlock(number, checksum: checksum)
    let inserted = blockCache.insert(key, block, charge: handle.size)
    tracer(
      .cache, "miss", reader.name,
      "block \(number) @ \(handle.offset), \(handle.size) B read and verified"
        + (inserted.isRetained ? ", now cached" : " (the cache is off)"),
      why: "a block is checksummed once, as it enters the cache; later reads of it cost no I/O")
    return HeldBlock(block: block, pin: inserted, wasRead: true)
  }
  // end snippet
}

/// A table's data blocks through the block cache.
struct CachedBlocks: TableBlockSource {
  /// Unowned would do (the access outlives every reader it opens); a
  /// strong reference keeps it simple, and there is no cycle: the access
  /// holds readers only in its caches, which do not hold sources.
  let tables: CachedTables
  let table: UInt64

  func dataBlock(_ number: Int, of reader: TableReader) throws(TableError) -> HeldBlock {
    try tables.dataBlock(number, of: reader, table: table)
  }
}

/// Counters of the read path, for `show stats` and the benchmarks (the
/// model is RocksDB's tickers: `bloom.filter.useful`, `block.cache.hit`).
public final class ReadStatistics: Sendable {
  /// Point reads of the database (`Database.get`).
  public let gets = Atomic<Int>(0)
  /// Tables consulted by point reads (each whose key range covers the key).
  public let tableLookups = Atomic<Int>(0)
  /// Lookups a filter answered *no*: a table skipped without a block.
  public let filterNegatives = Atomic<Int>(0)
  /// Lookups a filter answered *maybe*.
  public let filterPositives = Atomic<Int>(0)
  /// *Maybe*s the table then did not hold.
  public let filterFalsePositives = Atomic<Int>(0)
  /// Data blocks read from files by point reads. (Reads by anything are
  /// the block cache's misses.)
  public let blocksReadByGets = Atomic<Int>(0)

  public init() {}
}

extension TraceComponent {
  /// Bloom filters: a table skipped, a maybe, a false positive.
  public static let filter: TraceComponent = "filter"
  /// The block cache and the table cache.
  public static let cache: TraceComponent = "cache"
}
