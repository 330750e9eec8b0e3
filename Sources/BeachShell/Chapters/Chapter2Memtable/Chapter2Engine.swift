import Chapter1WAL
import Chapter2Memtable
import Foundation

/// Chapter 2 in the tools: the shell's engine (the log in front of a
/// memtable, with snapshots), its benchmark engine, and `memtable-bench`.
enum Chapter2Adapter {
  static let adapter = ChapterAdapter(
    shell: EngineDescriptor(
      chapter: 2, title: "the memtable", commands: SnapshotCommands.all,
      showTopics: [
        Chapter1Adapter.walTopic,
        .of(Chapter2Engine.self, "memtable", summary: "the skip list, tower by tower") { engine, _ in
          engine.showMemtable()
        },
        .of(Chapter2Engine.self, "stats", summary: "counters: entries, memory, snapshots, the log") { engine, _ in
          engine.showStats()
        },
      ],
      ownsFile: Chapter1Adapter.ownsFile
    ) { environment in
      Chapter2Engine(
        database: try Chapter2Memtable.Database.open(
          directory: environment.directory, fileSystem: environment.fileSystem, tracer: environment.tracer),
        environment: environment)
    },
    bench: Chapter2Engine.bench,
    tools: [MemtableBenchCommand.self])
}

/// Chapter 2's engine in the shell: the log in front of a memtable, with
/// snapshots.
final class Chapter2Engine: SnapshotEngine, LoggingEngine {
  /// Up to this many entries, `show memtable` draws every tower.
  static let drawingLimit = 24

  let database: Chapter2Memtable.Database
  let environment: EngineEnvironment

  init(database: Chapter2Memtable.Database, environment: EngineEnvironment) {
    self.database = database
    self.environment = environment
  }

  var store: any KeyValueStore { database }
  var lastSequence: SequenceNumber { database.lastSequence }
  var snapshotStore: any SnapshotStore { database }
  var snapshotList: SnapshotList { database.snapshots }
  var handles: [String] { snapshotHandles }

  var summary: String {
    "last seq \(database.lastSequence), \(Format.plural(database.memtable.count, "entry", "entries")) in the memtable"
  }

  var logStatus: LogWriter.Status { database.logStatus }

  // MARK: show memtable

  /// A small memtable as towers, one row per entry; a large one as a summary
  /// and the histogram of tower heights.
  func showMemtable() -> [String] {
    let memtable = database.memtable
    var lines = [
      "memtable: \(Format.plural(memtable.count, "entry", "entries")), \(Format.size(memtable.memoryUsage)) used of "
        + "\(Format.size(memtable.arenaCapacity)) arena, height \(memtable.height)"
    ]
    if memtable.count == 0 { return lines }
    if memtable.count > Self.drawingLimit { return lines + heightTable(memtable.heightHistogram()) }
    let nodes = zip(memtable.list.nodes(limit: Self.drawingLimit), memtable.entries(limit: Self.drawingLimit))
      .map { (height: $0.height, entry: $1) }
    let levels = max(1, memtable.height)
    // Column L (left = highest) shows a node whose tower reaches level L as
    // ●, and the level-L link passing over shorter nodes as │.
    let header = (1...levels).reversed().map { "L\($0)".padding(toLength: 3, withPad: " ", startingAt: 0) }
    lines.append("  " + header.joined() + "  entry")
    lines.append("  " + String(repeating: "●  ", count: levels) + "  (head)")
    for node in nodes {
      let tower = (1...levels).reversed().map { level in node.height >= level ? "●  " : "│  " }.joined()
      lines.append("  " + tower + "  " + describe(node.entry))
    }
    lines.append("  " + String(repeating: "▼  ", count: levels) + "  (end)")
    return lines
  }

  private func describe(_ entry: InternalEntry) -> String {
    let key = "\(Format.printable(entry.key.userKey)) #\(entry.key.sequence) \(entry.key.kind)"
    return entry.key.kind == .value ? key + " = " + Format.printable(entry.value) : key
  }

  private func heightTable(_ histogram: [Int]) -> [String] {
    let total = histogram.reduce(0, +)
    var lines = ["  height  nodes      share   expected (each level 1/4 of the one below)"]
    for (index, count) in histogram.enumerated() where count > 0 {
      let height = index + 1
      let share = 100 * Double(count) / Double(max(total, 1))
      let expected = 100 * 0.75 * pow(0.25, Double(height - 1))
      lines.append(
        "  " + "\(height)".padding(toLength: 8, withPad: " ", startingAt: 0)
          + "\(count)".padding(toLength: 11, withPad: " ", startingAt: 0)
          + percent(share).padding(toLength: 8, withPad: " ", startingAt: 0) + percent(expected))
    }
    return lines
  }

  // MARK: show stats

  func showStats() -> [String] {
    let memtable = database.memtable
    let log = database.logStatus
    let snapshots = database.snapshots.all
    return [
      "last sequence      \(database.lastSequence)",
      "memtable entries   \(memtable.count)",
      "memtable memory    \(Format.size(memtable.memoryUsage)) used, \(Format.size(memtable.arenaCapacity)) arena",
      "skip list height   \(memtable.height)",
      "snapshots          "
        + (snapshots.isEmpty
          ? "none" : snapshots.map { "@\($0.id) (seq \($0.sequence))" }.joined(separator: ", ")),
      "log                \(log.name): \(log.size) B, \(log.syncedSize) B synced, "
        + Format.plural(log.records, "record"),
      "since open         \(Format.plural(log.batches, "batch", "batches")) in \(Format.plural(log.groups, "group")), "
        + Format.plural(log.syncs, "fdatasync"),
    ]
  }
}

private func percent(_ value: Double) -> String {
  let tenths = Int((value * 10).rounded())
  return "\(tenths / 10).\(tenths % 10)%"
}
