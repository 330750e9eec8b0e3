import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable

/// An engine that flushes memtables to tables (chapter 3 on).
protocol FlushingEngine: LoggingEngine, SnapshotEngine {
  /// The memtable size that triggers a flush.
  var memtableSize: Int { get }
  /// The active memtable and, while a flush runs, the frozen one.
  var memtables: (active: Memtable, immutable: Memtable?) { get }
  /// Freezes the memtable and writes it to a table, and waits for it.
  func flush() throws
}

/// `flush`, and the topics of an engine with tables: `show memtable` (the
/// active and the frozen one) and `show sst FILE`.
enum FlushCommands {
  static let flush = Command(
    name: "flush", usage: "flush", summary: "write the memtable to a table now",
    help: """
      Freezes the memtable (writes go to a new memtable and a new log), writes \
      it out as a sorted table, makes it durable, and only then retires the old \
      log. In chapter 3 the table is published by a rename; from chapter 4 on, \
      by an edit in the manifest. The trace shows each step. A memtable that \
      passes its size limit is flushed the same way without being asked.
      """,
    arity: 0...0, needsDatabase: true
  ) { shell, _ in
    try shell.engine(as: (any FlushingEngine).self).flush()
    shell.say("ok  flushed")
  }

  static let memtableTopic = ShowTopic.of(
    (any FlushingEngine).self, "memtable", summary: "the active memtable's entries, and the frozen one's size"
  ) { engine, _ in engine.memtableLines() }

  static let tableTopic = ShowTopic.of(
    (any LoggingEngine).self, "sst", summary: "a whole table: footer, properties, index, blocks and entries",
    takesFile: true, fileCompletion: .databaseFileEnding(".sst")
  ) { engine, file in
    try TableDump.run(
      path: joinPath(engine.environment.directory, file ?? ""), name: file ?? "",
      fileSystem: engine.environment.fileSystem, blocks: true, entries: true
    ).lines
  }
}

extension FlushingEngine {
  /// `show memtable`: the active memtable's entries (the first 24), and the
  /// frozen one if a flush is under way.
  func memtableLines() -> [String] {
    let (active, immutable) = memtables
    var lines = [
      "active memtable: \(Format.plural(active.count, "entry", "entries")), \(Format.size(active.memoryUsage)) "
        + "of \(Format.size(memtableSize)) before a flush"
    ]
    lines += active.entries(limit: 24).map {
      "  \($0.key)" + ($0.key.kind == .value ? " = " + Format.printable($0.value) : "")
    }
    if active.count > 24 { lines.append("  … \(active.count - 24) more") }
    if let immutable {
      lines.append("immutable memtable: \(Format.plural(immutable.count, "entry", "entries")), being flushed")
    }
    return lines
  }

  /// The memtables, as `show levels` and `show stats` start: entries and
  /// memory, and the frozen one if a flush is under way.
  func memtableSummary(stats: Bool) -> [String] {
    let (active, immutable) = memtables
    let size = "\(Format.plural(active.count, "entry", "entries")), \(Format.size(active.memoryUsage))"
    if stats {
      return [
        "memtable           " + size
          + (immutable.map { "; immutable: \(Format.plural($0.count, "entry", "entries"))" } ?? "")
      ]
    }
    return ["memtable   " + size]
      + (immutable.map { ["immutable  \(Format.plural($0.count, "entry", "entries")) (flushing)"] } ?? [])
  }
}
