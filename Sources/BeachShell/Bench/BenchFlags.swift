/// Parses `db_bench`-style flags into a `BenchConfiguration`.
///
/// `db_bench` reads its flags with gflags, and so a reader's muscle memory
/// (and a script written for it) says `--num=1000000`,
/// `--benchmarks=fillseq,readrandom`, `--sync`, `--sync=true`, `--sync=0`,
/// `--nosync`, sometimes with one dash. All of those work here, with the
/// same underscore spellings. A value may also follow as the next argument
/// (`--num 1000`), except for booleans, which only take `=`.
///
/// Flags that `db_bench` has and that make no sense for these engines yet
/// (`--compression_type`, `--cache_size`, ...) are accepted and ignored, with
/// a note; a flag neither tool knows is an error that names it.
public enum BenchFlags {
  /// A flag that could not be used: unknown, malformed or out of range.
  public struct Error: Swift.Error, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
  }

  /// The benchmarks `beach bench` runs, in the order `--help` lists them.
  public static let benchmarkNames: [(name: String, summary: String)] = [
    ("fillseq", "write num values in ascending key order (fresh database)"),
    ("fillrandom", "write num values in random key order (fresh database)"),
    ("fillsync", "write num values synced, into a key space of num/1000 keys (fresh database)"),
    ("overwrite", "write num values in random key order into the existing database"),
    ("readrandom", "read reads random keys, of which about 63% exist after one fillrandom"),
    ("readmissing", "read reads random keys that do not exist (one byte longer)"),
    ("readseq", "iterate forward over up to reads entries"),
    ("readreverse", "iterate backward over up to reads entries (engines that can)"),
    ("seekrandom", "position an iterator at reads random keys"),
    ("deleterandom", "delete num random keys"),
    ("compact", "compact the whole key range down the levels (engines that compact)"),
    ("reopen", "beach only: close and reopen the database (recovery time)"),
  ]

  /// `db_bench` flags that are accepted and ignored, with why.
  static let ignoredFlags: [String: String] = [
    "statistics": "there are no statistics counters",
    "histogram": "there are no latency histograms",
    "max_background_jobs": "the engine has one background thread at most",
    "max_background_compactions": "there is no compaction before chapter 6",
    "max_background_flushes": "the engine flushes on one background thread",
    "max_write_buffer_number": "the engine has one active and one frozen memtable",
    "min_write_buffer_number_to_merge": "memtables are flushed one at a time",
    "block_size": "tables use their default block size",
    "compression_level": "nothing is compressed",
    "perf_level": "there are no perf counters",
    "stats_interval": "the periodic report is by time only (--stats_interval_seconds)",
    "stats_per_interval": "each --stats_interval_seconds report is one line",
    "mmap_read": "tables are read with pread",
    "use_direct_reads": "tables are read through the page cache",
    "use_direct_io_for_flush_and_compaction": "tables are written through the page cache",
    "report_file_operations": "file operations are not counted",
    "progress_reports": "a terminal gets a progress bar regardless",
  ]

  /// Parses `arguments` (without the program and subcommand names).
  ///
  /// - Throws: `BenchFlags.Error` naming the first flag that is unknown,
  ///   has a malformed value, or asks for something out of range.
  public static func parse(_ arguments: [String]) throws(Error) -> BenchConfiguration {
    var configuration = BenchConfiguration()
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      guard argument.hasPrefix("-"), argument.count > 1 else {
        throw Error("unexpected argument '\(argument)': flags look like --num=1000")
      }
      let body = argument.drop { $0 == "-" }
      var name = String(body)
      var value: String?
      if let equals = body.firstIndex(of: "=") {
        name = String(body[..<equals])
        value = String(body[body.index(after: equals)...])
      }
      name = name.replacingDashes()
      if booleanFlags.contains(name) || (name.hasPrefix("no") && booleanFlags.contains(String(name.dropFirst(2)))) {
        let negated = !booleanFlags.contains(name)
        let flag = negated ? String(name.dropFirst(2)) : name
        if negated, value != nil { throw Error("--\(name) takes no value; write --\(flag)=false instead") }
        let truth = try value.map { (text) throws(Error) in try parseBool(text, flag: flag) } ?? true
        try apply(flag, value: (negated ? !truth : truth) ? "true" : "false", to: &configuration)
        continue
      }
      guard valueFlags.contains(name) || ignoredFlags[name] != nil || name == "compression_type" else {
        let hint = nearest(name, among: knownFlags).map { " (did you mean --\($0)?)" } ?? ""
        throw Error("unknown flag --\(name)\(hint) (beach bench --help lists the flags)")
      }
      if value == nil {
        guard index < arguments.count else { throw Error("--\(name) needs a value, as in --\(name)=VALUE") }
        value = arguments[index]
        index += 1
      }
      try apply(name, value: value!, to: &configuration)
    }
    try validate(configuration)
    return configuration
  }

  private static let booleanFlags: Set<String> = [
    "sync", "use_existing_db", "statistics", "histogram", "mmap_read", "use_direct_reads",
    "use_direct_io_for_flush_and_compaction", "disable_auto_compactions", "report_file_operations",
    "progress_reports",
  ]

  /// The compaction flags, with the values they may take; they go to
  /// `BenchConfiguration.compaction` and mean something from chapter 6 on.
  static let compactionFlags: [String: ClosedRange<Int>] = [
    "level0_file_num_compaction_trigger": 1...1000, "level0_slowdown_writes_trigger": 1...1000,
    "level0_stop_writes_trigger": 1...1000, "max_bytes_for_level_base": 1024...(1 << 40),
    "max_bytes_for_level_multiplier": 2...100, "target_file_size_base": 1024...(1 << 34),
  ]

  private static let valueFlags: Set<String> = Set([
    "benchmarks", "num", "reads", "key_size", "value_size", "compression_ratio", "batch_size", "threads", "db",
    "seed", "bloom_bits", "bloom_locality", "cache_size", "open_files", "write_buffer_size", "chapter", "chapters",
    "svg", "markdown", "stats_interval_seconds",
  ]).union(compactionFlags.keys)

  private static func apply(_ name: String, value: String, to c: inout BenchConfiguration) throws(Error) {
    switch name {
    case "benchmarks":
      c.benchmarks = value.split(separator: ",", omittingEmptySubsequences: true).map {
        String($0).trimmingSpaces()
      }
    case "num": c.num = try integer(value, flag: name, in: 1...1_000_000_000)
    case "reads": c.reads = try integer(value, flag: name, in: -1...1_000_000_000)
    case "key_size": c.keySize = try integer(value, flag: name, in: 1...1024)
    case "value_size": c.valueSize = try integer(value, flag: name, in: 0...(64 << 20))
    case "batch_size": c.batchSize = try integer(value, flag: name, in: 1...100_000)
    case "threads": c.threads = try integer(value, flag: name, in: 1...1024)
    case "bloom_bits": c.bloomBits = try integer(value, flag: name, in: -1...64)
    case "bloom_locality": c.bloomLocality = try integer(value, flag: name, in: 0...1)
    case "cache_size":
      c.cacheSize = try integer(value, flag: name, in: 0...(1 << 40))
      c.cacheSizeGiven = true
    case "open_files":
      c.openFiles = try integer(value, flag: name, in: -1...1_000_000)
      c.openFilesGiven = true
    case "write_buffer_size": c.writeBufferSize = try integer(value, flag: name, in: 4096...(1 << 34))
    case "chapter": c.chapter = try integer(value, flag: name, in: 1...99)
    case "seed":
      guard let seed = UInt64(value) else { throw Error("--seed=\(value): expected a whole number 0 or more") }
      c.seed = seed
    case "compression_ratio":
      guard let ratio = Double(value), ratio > 0, ratio <= 1 else {
        throw Error("--compression_ratio=\(value): expected a number above 0 and at most 1")
      }
      c.compressionRatio = ratio
    case "chapters":
      var chapters: [Int] = []
      for part in value.split(separator: ",") {
        chapters.append(try integer(String(part).trimmingSpaces(), flag: name, in: 1...99))
      }
      guard !chapters.isEmpty else { throw Error("--chapters needs a list, as in --chapters=1,2,3") }
      c.chapters = chapters
    case "db":
      guard !value.isEmpty else { throw Error("--db needs a directory") }
      c.db = value
    case "stats_interval_seconds": c.statsIntervalSeconds = try integer(value, flag: name, in: 0...3600)
    case "svg": c.svgPath = value
    case "markdown": c.markdownPath = value
    case "sync": c.sync = value == "true"
    case "use_existing_db": c.useExistingDB = value == "true"
    case "disable_auto_compactions": c.compaction[name] = value == "true" ? 1 : 0
    case "compression_type":
      if value.lowercased() != "none" && value.lowercased() != "nocompression" {
        c.notes.append("--compression_type=\(value) is ignored: beach stores values uncompressed (as with none)")
      }
    default:
      if let range = compactionFlags[name] {
        c.compaction[name] = try integer(value, flag: name, in: range)
      } else if let why = ignoredFlags[name] {
        c.notes.append("--\(name) is ignored: \(why)")
      }
    }
  }

  private static func validate(_ c: BenchConfiguration) throws(Error) {
    guard !c.benchmarks.isEmpty else { throw Error("--benchmarks is empty: name at least one, as in fillseq") }
    let known = Set(benchmarkNames.map(\.name))
    for name in c.benchmarks where !known.contains(name) {
      let hint = nearest(name, among: benchmarkNames.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
      throw Error(
        "unknown benchmark '\(name)'\(hint); "
          + "beach bench runs: \(benchmarkNames.map(\.name).joined(separator: ", "))")
    }
    let chapters = c.chapters ?? (c.chapter.map { [$0] } ?? [])
    for chapter in chapters where BenchEngineRegistry.engine(chapter: chapter) == nil {
      throw Error("no chapter \(chapter) engine in this build (chapters: \(BenchEngineRegistry.chapterList))")
    }
    if c.chapters != nil, c.chapter != nil { throw Error("--chapter and --chapters: give one or the other") }
    if c.chapters != nil, c.db != nil {
      throw Error("--chapters runs each engine in a fresh directory of its own; leave out --db")
    }
    if c.chapters != nil, c.useExistingDB { throw Error("--chapters always starts from fresh databases") }
    if c.chapters == nil, c.svgPath != nil || c.markdownPath != nil {
      throw Error("--svg and --markdown compare chapters: add --chapters=1,2,3")
    }
  }

  private static func integer(_ text: String, flag: String, in range: ClosedRange<Int>) throws(Error) -> Int {
    guard let number = Int(text) else { throw Error("--\(flag)=\(text): expected a whole number") }
    guard range.contains(number) else {
      throw Error("--\(flag)=\(text): expected \(range.lowerBound) to \(range.upperBound)")
    }
    return number
  }

  /// gflags' spellings of a boolean.
  private static func parseBool(_ text: String, flag: String) throws(Error) -> Bool {
    switch text.lowercased() {
    case "true", "t", "yes", "y", "1": return true
    case "false", "f", "no", "n", "0": return false
    default: throw Error("--\(flag)=\(text): expected true or false (or 1 or 0)")
    }
  }

  private static var knownFlags: [String] {
    valueFlags.union(booleanFlags).union(ignoredFlags.keys).union(["compression_type"]).sorted()
  }

  /// The candidate one or two edits from `name` (the shell's measure of a
  /// typo), if any.
  private static func nearest(_ name: String, among candidates: [String]) -> String? {
    let best = candidates.map { ($0, editDistance(name, $0)) }.min { $0.1 < $1.1 }
    guard let (candidate, distance) = best, distance <= max(1, min(2, name.count / 2)) else { return nil }
    return candidate
  }

}

extension String {
  /// gflags treats `-` and `_` in a flag's name alike.
  fileprivate func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }

  fileprivate func trimmingSpaces() -> String {
    String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
  }
}
