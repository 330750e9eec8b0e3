#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What `beach bench` runs: the benchmarks, the workload's shape and the
/// engine, as `db_bench` flags would give them.
///
/// The defaults are `db_bench`'s, except `benchmarks` (a short list of the
/// benchmarks both tools have) and `db` (a directory of beach's own).
public struct BenchConfiguration: Sendable, Equatable {
  /// Benchmark names, run in order (`--benchmarks=fillseq,readrandom`).
  public var benchmarks = ["fillseq", "fillrandom", "overwrite", "readrandom", "readseq"]
  /// Key space and writes per thread (`--num`).
  public var num = 1_000_000
  /// Reads per thread; negative means `num` (`--reads`).
  public var reads = -1
  /// Bytes per key (`--key_size`).
  public var keySize = 16
  /// Bytes per value (`--value_size`).
  public var valueSize = 100
  /// Fraction of each value that is random (`--compression_ratio`).
  public var compressionRatio = 0.5
  /// Entries per write batch (`--batch_size`).
  public var batchSize = 1
  /// Sync every write (`--sync`).
  public var sync = false
  /// Threads running each benchmark at once, each doing all of its
  /// operations (`--threads`).
  public var threads = 1
  /// The database directory (`--db`); `nil` for the default.
  public var db: String?
  /// Keep the database that is there; fill benchmarks are then skipped
  /// (`--use_existing_db`).
  public var useExistingDB = false
  /// Seed base for the random key orders; 0 means "from the clock" (`--seed`).
  public var seed: UInt64 = 0
  /// Bloom filter bits per key (`--bloom_bits`), for engines that have
  /// filters; negative means the engine's default.
  public var bloomBits = -1
  /// Filters that keep a key's probes in one cache line
  /// (`--bloom_locality=1`, after db_bench's flag of that name).
  public var bloomLocality = 0
  /// Block cache capacity in bytes (`--cache_size`), for engines with a
  /// block cache: 8 MiB, db_bench's default; 0 turns the cache off.
  public var cacheSize = 8 << 20
  /// Whether `--cache_size` was given (engines without a cache say they
  /// ignore it).
  public var cacheSizeGiven = false
  /// Tables kept open at once (`--open_files`), for engines with a table
  /// cache; -1, db_bench's default, means no limit.
  public var openFiles = -1
  /// Whether `--open_files` was given.
  public var openFilesGiven = false
  /// The memtable's size before a flush (`--write_buffer_size`), for engines
  /// that flush; `nil` for the engine's default.
  public var writeBufferSize: Int?
  /// The compaction flags given (`BenchFlags.compactionFlags`, and
  /// `disable_auto_compactions` as 0 or 1), by db_bench's names.
  public var compaction: [String: Int] = [:]
  /// `--stats_interval_seconds`: print a `stats:` line this often during
  /// each benchmark (0: never), for engines that report their shape.
  public var statsIntervalSeconds = 0
  /// The engine's chapter (`--chapter`); `nil` for the newest.
  public var chapter: Int?
  /// Run the whole list on each of these chapters' engines in turn
  /// (`--chapters=1,2,3`), for a comparison table.
  public var chapters: [Int]?
  /// Write the per-chapter comparison as an SVG chart here (`--svg`).
  public var svgPath: String?
  /// Write the per-chapter comparison as a Markdown table here (`--markdown`).
  public var markdownPath: String?
  /// Notes about accepted but ignored flags, for standard error.
  public var notes: [String] = []

  public init() {}

  /// Reads per thread, after `--reads`' "negative means `num`".
  public var effectiveReads: Int { reads < 0 ? num : reads }

  /// The database directory: `--db`, or `beachtest-UID/dbbench` in the
  /// temporary directory (db_bench's is `rocksdbtest-UID/dbbench`).
  public var databasePath: String {
    if let db { return db }
    let temporary = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    return "\(temporary)/beachtest-\(getuid())/dbbench"
  }

  /// The engines this run uses: `--chapters`, else `--chapter`, else the newest.
  public var engineChapters: [Int] {
    chapters ?? [chapter ?? BenchEngineRegistry.newest.chapter]
  }
}
