import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest
import Chapter5BloomFilter
import Chapter6Compaction
import Foundation

/// Chapter 6 in the tools: chapter 5's shell engine with compaction:
/// `compact`, `show levels` with each level's size, limit and score, `show
/// compaction`, and stall counters in `show stats`; `merge` is gone.
enum Chapter6Adapter {
  /// Small, so that a session of a few hundred writes fills three levels.
  static let shellLevel1Bytes: UInt64 = 4 << 10
  static let shellTableSize: UInt64 = 1 << 10

  static let adapter = ChapterAdapter(
    shell: EngineDescriptor(
      chapter: 6, title: "compaction",
      commands: Chapter5Adapter.adapter.shell.commands.removing("merge").replacing([compact]),
      showTopics: Chapter5Adapter.adapter.shell.showTopics.replacing([
        .of(Chapter6Engine.self, "levels", summary: "each level: tables, bytes, limit, score; then the tables") {
          engine, _ in engine.compactionLevelLines()
        },
        .of(Chapter6Engine.self, "compaction", summary: "what compaction has done, level by level, and stalls") {
          engine, _ in engine.compactionLines()
        },
        .of(Chapter6Engine.self, "stats", summary: "counters: memtables, tables, log, manifest, reads, compaction") {
          engine, _ in engine.statsLines() + engine.readPath.readLines() + engine.compactionSummary()
        },
      ]),
      ownsFile: Chapter5Adapter.adapter.shell.ownsFile
    ) { environment in
      Chapter6Engine(database: try openDatabase(environment), environment: environment)
    },
    bench: Chapter6Engine.bench,
    tools: [CompactionSimCommand.self])

  /// The shell's database: small memtables, levels and tables, and in a
  /// notebook no background work.
  static func openDatabase(_ environment: EngineEnvironment) throws -> Chapter6Compaction.Database {
    var options = Chapter6Compaction.Database.Options()
    options.memtableSize = environment.memtableSize
    options.versions.maxManifestSize = Chapter4Engine.manifestSize
    options.backgroundFlush = !environment.deterministic
    options.reads.blockCacheSize = Chapter5Adapter.shellCacheSize
    options.reads.maxOpenTables = Chapter5Adapter.shellOpenTables
    options.compaction.background = !environment.deterministic
    options.compaction.level1Bytes = shellLevel1Bytes
    options.compaction.targetTableSize = shellTableSize
    return try Chapter6Compaction.Database.open(
      directory: environment.directory, fileSystem: environment.fileSystem, options: options,
      tracer: environment.tracer)
  }

  static let compact = Command(
    name: "compact", usage: "compact [range FROM TO]", summary: "run the next compaction, or compact a range",
    help: """
      compact: runs the one compaction the picker chooses now (the level with \
      the highest score of at least 1), traced step by step: why these \
      inputs, what was merged and written, what was dropped and why, the \
      edit. With nothing due it says which level is fullest. Compaction also \
      runs by itself after each flush; show levels shows the scores.
      compact range FROM TO: compacts every table whose keys meet FROM..TO \
      (- for an open end) down the levels, one level at a time, to the \
      deepest level that holds any of them.
      """,
    arity: 0...3, completions: [.words(["range"]), .none, .none], needsDatabase: true
  ) { shell, arguments in
    let engine = try shell.engine(as: Chapter6Engine.self)
    guard arguments.count > 0 else {
      for line in try engine.compactNext() { shell.say(line) }
      return
    }
    guard arguments.text(0) == "range", arguments.count == 3 else {
      throw ShellError("usage: compact [range FROM TO], with - for an open end")
    }
    func bound(_ index: Int) -> Bytes? { arguments.text(index) == "-" ? nil : arguments.bytes(index) }
    for line in try engine.compactRange(from: bound(1), to: bound(2)) { shell.say(line) }
  }
}

/// Chapter 6's engine in the shell: chapter 5's, with compaction. (Chapter 7's
/// is this one, served.)
class Chapter6Engine: ManifestEngine<Chapter6Compaction.Database> {
  init(database: Chapter6Compaction.Database, environment: EngineEnvironment) {
    super.init(database: database, manifest: database.manifest, environment: environment)
  }

  var readPath: ReadPathLines { ReadPathLines(tables: database.reads.tables, versions: manifest.versions) }

  /// A flush, then (in a notebook or script) the compactions it made due.
  override func flush() throws {
    try database.flush()
    database.waitForFlush()
  }

  /// `compact`.
  func compactNext() throws -> [String] {
    guard let result = try database.compactNext() else { return ["ok  " + nothingDue()] }
    return ["ok  " + result.summary]
  }

  /// `compact range FROM TO`.
  func compactRange(from: Bytes?, to: Bytes?) throws -> [String] {
    let results = try database.compactRange(from: from, to: to)
    guard !results.isEmpty else { return ["ok  no table meets the range"] }
    return ["ok  \(Format.plural(results.count, "compaction"))"] + results.map { "    " + $0.summary }
  }

  /// `nothing is due (fullest: L2, score 0.72)`.
  private func nothingDue() -> String {
    let fullest = database.compactor.picker.scores(levels).max { $0.score < $1.score }
    return "nothing is due" + (fullest.map { " (fullest: L\($0.level), score \(scoreText($0.score)))" } ?? "")
  }

  private var levels: [[TableMetadata]] { manifest.versions.current.levels.map { $0.map(\.metadata) } }

  /// `show levels`: per level its tables, bytes, limit and score, then its
  /// tables (the first and last few of a long level).
  func compactionLevelLines() -> [String] {
    var lines = memtableSummary(stats: false)
    let version = manifest.versions.current
    let scores = database.compactor.picker.scores(levels)
    lines.append("version \(version.id) (current):")
    let deepest = version.levels.lastIndex { !$0.isEmpty } ?? 1
    for (level, tables) in version.levels.enumerated() where level <= max(deepest, 1) {
      let bytes = tables.reduce(0) { $0 + Int($1.metadata.fileSize) }
      var head = "  L\(level)  \(Format.plural(tables.count, "table")), \(Format.size(bytes))"
      if level < scores.count {
        let s = scores[level]
        let limit = level == 0 ? "compacted at \(s.target) tables" : "limit \(Format.size(Int(clamping: s.target)))"
        head += "; \(limit), score \(scoreText(s.score))" + (s.score >= 1 ? " (due)" : "")
      } else {
        head += "; the last level"
      }
      lines.append(head)
      let shown = tables.count <= 8 ? Array(tables) : Array(tables.prefix(4)) + Array(tables.suffix(3))
      for (index, table) in shown.enumerated() {
        if tables.count > 8 && index == 4 { lines.append("      … \(tables.count - 7) more") }
        lines.append(tableLine(table.metadata))
      }
    }
    return lines + pinLines(besides: version)
  }

  /// `show compaction`: the statistics table.
  func compactionLines() -> [String] {
    let next = database.compactor.nextPlan().map { plan in
      "next: L\(plan.level) → L\(plan.outputLevel), " + (plan.isTrivialMove ? "a move: " : "")
        + "\(plan.reason); inputs " + plan.allInputs.map { "L\($0.level) \($0.table.name)" }.joined(separator: " ")
    }
    return [next ?? "next: " + nothingDue()] + database.compactor.statistics.lines(times: !environment.deterministic)
  }

  /// `show stats`' compaction lines.
  func compactionSummary() -> [String] {
    let s = database.compactor.statistics
    let compactions = s.levels.reduce(0) { $0 + $1.compactions }
    let moves = s.levels.reduce(0) { $0 + $1.moves }
    return [
      "compaction         \(Format.plural(compactions, "compaction")), \(Format.plural(moves, "move"))"
        + String(format: "; write amplification %.2f", s.writeAmplification),
      "stalls             \(Format.plural(s.slowedWrites, "write")) slowed, \(Format.plural(s.stoppedWrites, "write")) stopped",
    ]
  }
}

/// A score to two places, rounded down: 0.998 is not yet due, and must not
/// print as 1.00.
private func scoreText(_ score: Double) -> String { String(format: "%.2f", (score * 100).rounded(.down) / 100) }

extension Chapter6Engine {
  /// Chapter 6: chapter 5's engine with compaction; the compaction flags
  /// set its limits, and the statistics follow the last benchmark.
  static let bench = BenchEngineDescriptor(
    chapter: 6, hasFilters: true, flushes: true, iteratesBackward: false, compacts: true
  ) { directory, configuration in
    var options = Chapter6Compaction.Database.Options()
    Chapter5Engine.configure(&options.base, configuration)
    configure(&options.compaction, configuration.compaction)
    let database = try Chapter6Compaction.Database.open(
      directory: directory, fileSystem: DiskFileSystem(), options: options)
    return BenchEngine(
      store: database, makeIterator: { database.makeIterator() },
      waitForBackgroundWork: { try? database.waitForCompaction() },
      readCounters: { Chapter5Engine.readCounters(database.reads.tables) },
      report: { ["Compaction statistics:"] + database.compactor.statistics.lines() },
      compactAll: { try database.compactRange(from: nil, to: nil) },
      shape: {
        let statistics = database.compactor.statistics
        let levels = database.versions.current.levels
        return BenchShape(
          tableBytesWritten: statistics.bytesFlushed + statistics.levels.reduce(0) { $0 + $1.bytesWritten },
          tableBytes: levels.joined().reduce(0) { $0 + $1.metadata.fileSize }, tablesPerLevel: levels.map(\.count))
      })
  }

  /// db_bench's compaction flags, by their names.
  static func configure(_ options: inout CompactionOptions, _ flags: [String: Int]) {
    if let n = flags["level0_file_num_compaction_trigger"] { options.level0Trigger = n }
    if let n = flags["level0_slowdown_writes_trigger"] { options.level0Slowdown = n }
    if let n = flags["level0_stop_writes_trigger"] { options.level0Stop = n }
    if let n = flags["max_bytes_for_level_base"] { options.level1Bytes = UInt64(n) }
    if let n = flags["max_bytes_for_level_multiplier"] { options.levelMultiplier = UInt64(n) }
    if let n = flags["target_file_size_base"] { options.targetTableSize = UInt64(n) }
    if let n = flags["disable_auto_compactions"] { options.automatic = n == 0 }
  }
}
