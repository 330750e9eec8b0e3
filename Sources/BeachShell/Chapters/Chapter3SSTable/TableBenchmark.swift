import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Foundation

/// The evidence for chapter 3: what do prefix compression and block size
/// cost and buy?
///
/// One table of N entries, built the way db_bench fills a database:
/// 16-byte keys (`%016d`), 100-byte values. Keys are the even numbers
/// 0, 2, …, 2N−2, so that the odd numbers are keys that are *missing but
/// inside the table's range*: the lookups a table cannot answer from its
/// index alone. Then:
///
/// 1. **Prefix compression.** The same entries with restart interval 16
///    (LevelDB's default) and 1 (every key stored whole): file sizes and
///    their ratio. Consecutive db_bench keys share 13 to 15 of their 16
///    bytes, so most of each key is saved.
/// 2. **Point lookups.** M random present keys and M random missing
///    ones, through `TableReader.get`: data blocks read per lookup (the
///    index is in memory, so a present key costs exactly one block, and a
///    missing key one too, until chapter 5's bloom filters) and
///    microseconds per lookup, every block read through the file system
///    (the OS page cache, no block cache yet) and checksummed.
/// 3. **Block size.** 1, 4, 16 and 64 KiB blocks: fewer, bigger blocks
///    mean a smaller index but more bytes read, checksummed and searched
///    per lookup.
///
/// Tables are written to a scratch directory on disk and removed after.
/// Each lookup figure is the median of `rounds` rounds. Run it in a
/// release build: `swift run -c release beach table-bench`.
public enum TableBenchmark {
  /// One table as built.
  public struct BuiltTable: Sendable {
    public var options: TableOptions
    public var fileSize: Int
    public var dataBlocks: Int
    /// The index block's contents, bytes.
    public var indexSize: Int
    public var buildSeconds: Double
  }

  /// One batch of lookups.
  public struct Lookups: Sendable {
    public var count: Int
    public var found: Int
    public var blocksRead: Int
    public var seconds: Double

    public var blocksPerLookup: Double { Double(blocksRead) / Double(count) }
    public var microsecondsPerLookup: Double { seconds * 1e6 / Double(count) }
  }

  /// Key number `n`: db_bench's 16-digit zero-padded decimal.
  public static func key(_ n: Int) -> Bytes { MemtableBenchmark.key(n) }

  /// Writes a table of `entries` entries (keys 0, 2, 4, …) to `path`.
  public static func build(
    entries: Int, options: TableOptions, path: String, values: Bytes, fileSystem: any FileSystem
  ) throws -> BuiltTable {
    let start = DispatchTime.now()
    let file = try fileSystem.openWritable(path, mode: .truncate)
    let builder = TableBuilder(file: file, name: splitPath(path).name, options: options)
    for n in 0..<entries {
      let offset = (n &* 7) % (values.count - 100)
      try builder.add(
        InternalKey(key(2 * n), sequence: SequenceNumber(n + 1), kind: .value),
        value: Array(values[offset..<(offset + 100)]))
    }
    try builder.finish()
    try file.sync(.data)
    try file.close()
    let seconds = elapsed(since: start)
    let table = try TableReader.open(path: path, name: splitPath(path).name, fileSystem: fileSystem)
    return BuiltTable(
      options: options, fileSize: table.fileSize, dataBlocks: table.dataBlockCount,
      indexSize: table.footer.index.size, buildSeconds: seconds)
  }

  /// Looks up every key in `keys` (newest snapshot).
  public static func lookUp(_ table: TableReader, keys: [Bytes]) throws -> Lookups {
    var found = 0
    var blocks = 0
    let start = DispatchTime.now()
    for key in keys {
      let (result, blocksRead) = try table.get(key, snapshot: .max)
      if case .found = result { found += 1 }
      blocks += blocksRead
    }
    return Lookups(count: keys.count, found: found, blocksRead: blocks, seconds: elapsed(since: start))
  }

  /// Runs the whole benchmark and returns its report as Markdown lines.
  ///
  /// - Parameters:
  ///   - entries: N, entries in each table.
  ///   - lookups: M, lookups of present keys and as many of missing keys.
  ///   - rounds: lookup rounds; each figure is the median.
  ///   - directory: where the tables go (a fresh temporary directory if nil).
  public static func run(
    entries: Int = 100_000, lookups: Int = 100_000, rounds: Int = 3, directory: String? = nil, seed: UInt64 = 3
  ) throws -> [String] {
    let fileSystem = DiskFileSystem()
    let scratch =
      directory ?? NSTemporaryDirectory() + "beach-table-bench-\(ProcessInfo.processInfo.processIdentifier)"
    try fileSystem.createDirectory(scratch)
    // A directory given by the caller keeps existing; only the tables in it are removed.
    defer { if directory == nil { try? FileManager.default.removeItem(atPath: scratch) } }

    var random = SeededGenerator(seed: seed)
    let values = Bytes((0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) })
    let present = (0..<lookups).map { _ in key(2 * Int.random(in: 0..<entries, using: &random)) }
    let missing = (0..<lookups).map { _ in key(2 * Int.random(in: 0..<entries, using: &random) + 1) }

    /// Builds a table, looks up both key sets `rounds` times, removes it.
    func measure(_ options: TableOptions) throws -> (BuiltTable, present: Lookups, missing: Lookups) {
      let path = joinPath(scratch, "bench-\(options.blockSize)-\(options.restartInterval).sst")
      let built = try build(entries: entries, options: options, path: path, values: values, fileSystem: fileSystem)
      defer { try? fileSystem.removeFile(path) }
      let table = try TableReader.open(path: path, name: splitPath(path).name, fileSystem: fileSystem)
      _ = try lookUp(table, keys: Array(present.prefix(1000)))  // warm the page cache and the code
      var presentRounds: [Lookups] = []
      var missingRounds: [Lookups] = []
      for _ in 0..<rounds {
        presentRounds.append(try lookUp(table, keys: present))
        missingRounds.append(try lookUp(table, keys: missing))
      }
      guard presentRounds.allSatisfy({ $0.found == lookups }), missingRounds.allSatisfy({ $0.found == 0 }) else {
        throw BenchmarkFailure(message: "lookups returned wrong answers")
      }
      return (built, median(presentRounds), median(missingRounds))
    }

    var lines: [String] = []
    let compressed = try measure(TableOptions(blockSize: 4096, restartInterval: 16))
    let whole = try measure(TableOptions(blockSize: 4096, restartInterval: 1))
    let rawBytes = entries * (16 + 8 + 100)
    lines += [
      "Prefix compression: \(entries) entries, 16-byte keys (+8-byte trailer), 100-byte values, 4 KiB blocks",
      "",
      "| restart interval | table size | bytes/entry | data blocks | index size | size ÷ raw | build µs/entry |",
      "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (label, run) in [("16 (prefix compression)", compressed), ("1 (every key whole)", whole)] {
      let t = run.0
      lines.append(
        "| \(label) | \(Format.size(t.fileSize)) | \(format(Double(t.fileSize) / Double(entries), 1)) | "
          + "\(t.dataBlocks) | \(Format.size(t.indexSize)) | "
          + "\(format(Double(t.fileSize) / Double(rawBytes), 3)) | "
          + "\(format(t.buildSeconds * 1e6 / Double(entries), 2)) |")
    }
    lines += [
      "",
      "Without prefix compression the table is \(format(Double(whole.0.fileSize) / Double(compressed.0.fileSize), 3))× "
        + "the size (raw = keys + trailers + values = \(Format.size(rawBytes))).",
      "",
      "Point lookups: \(lookups) present and \(lookups) missing keys (missing = odd numbers, inside the table's "
        + "range), 4 KiB blocks, median of \(Format.plural(rounds, "round"))",
      "",
      "| restart interval | present: blocks/lookup | present µs/lookup | missing: blocks/lookup | missing µs/lookup |",
      "|---|---:|---:|---:|---:|",
    ]
    for (label, run) in [("16", compressed), ("1", whole)] {
      lines.append(
        "| \(label) | \(format(run.present.blocksPerLookup, 3)) | \(format(run.present.microsecondsPerLookup, 2)) | "
          + "\(format(run.missing.blocksPerLookup, 3)) | \(format(run.missing.microsecondsPerLookup, 2)) |")
    }
    lines += [
      "",
      "Block size: restart interval 16, same entries and lookups",
      "",
      "| block size | data blocks | table size | index size | present µs/lookup | missing µs/lookup "
        + "| blocks/lookup (present, missing) | CRC32C of one block, µs |",
      "|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for blockSize in [1024, 4096, 16384, 65536] {
      let run =
        blockSize == 4096 ? compressed : try measure(TableOptions(blockSize: blockSize, restartInterval: 16))
      let t = run.0
      lines.append(
        "| \(blockSize / 1024) KiB | \(t.dataBlocks) | \(Format.size(t.fileSize)) | \(Format.size(t.indexSize)) | "
          + "\(format(run.present.microsecondsPerLookup, 2)) | \(format(run.missing.microsecondsPerLookup, 2)) | "
          + "\(format(run.present.blocksPerLookup, 3)), \(format(run.missing.blocksPerLookup, 3)) | "
          + "\(format(checksumMicroseconds(blockSize: blockSize, values: values), 2)) |")
    }
    lines += [
      "",
      "Each lookup: a binary search of the in-memory index, one pread of the block (page cache), its CRC32C, "
        + "a binary search of its restart points and a scan of at most one restart interval. The last column "
        + "is the checksum alone: it grows with the block, and so does the lookup. "
        + "A missing key inside the range costs a block read like a present one: chapter 5's bloom filters "
        + "remove it; its block cache removes the pread and the checksum.",
    ]
    return lines
  }

  /// Microseconds to checksum one block of `blockSize` bytes, as a block
  /// read does (the median of 5 timings of 200 checksums).
  public static func checksumMicroseconds(blockSize: Int, values: Bytes) -> Double {
    let block = Bytes((0..<blockSize).map { values[$0 % values.count] })
    var timings: [Double] = []
    for _ in 0..<5 {
      let start = DispatchTime.now()
      for _ in 0..<200 { keep(CRC32C.checksum(block)) }
      timings.append(elapsed(since: start) * 1e6 / 200)
    }
    return timings.sorted()[timings.count / 2]
  }

  /// Uses a value where the optimizer cannot see, so the work that made
  /// it is not optimized away.
  @inline(never) @_optimize(none)
  private static func keep(_ value: UInt32) {}

  struct BenchmarkFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
  }

  private static func median(_ rounds: [Lookups]) -> Lookups {
    rounds.sorted { $0.seconds < $1.seconds }[rounds.count / 2]
  }

  private static func elapsed(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
  }

  private static func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
  }
}
