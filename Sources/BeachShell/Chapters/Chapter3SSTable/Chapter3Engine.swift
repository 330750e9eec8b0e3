import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable

/// Chapter 3 in the tools: the shell's engine (the log, memtables and
/// sorted tables), its benchmark engine, `sst-dump` and `table-bench`.
enum Chapter3Adapter {
  /// Chapter 2's commands and `flush`.
  static let commands = Chapter2Adapter.adapter.shell.commands.replacing([FlushCommands.flush])

  /// Chapter 3 makes tables too, and temporary ones while it writes them.
  static let ownsFile: @Sendable (String) -> Bool = { name in
    Chapter1Adapter.ownsFile(name) || TableFileNames.tableNumber(name) != nil || TableFileNames.isTemporary(name)
  }

  static let adapter = ChapterAdapter(
    shell: EngineDescriptor(
      chapter: 3, title: "SSTables and flush", commands: commands,
      showTopics: [
        Chapter1Adapter.walTopic, FlushCommands.memtableTopic,
        .of(Chapter3Engine.self, "levels", summary: "the memtables, then the tables in the order a read visits them") {
          engine, _ in engine.levelLines()
        },
        FlushCommands.tableTopic,
        .of(Chapter3Engine.self, "stats", summary: "counters: memtables, tables, the log") { engine, _ in
          engine.statsLines()
        },
      ],
      ownsFile: ownsFile
    ) { environment in
      var options = Chapter3SSTable.Database.Options()
      options.memtableSize = environment.memtableSize
      options.backgroundFlush = !environment.deterministic
      return Chapter3Engine(
        database: try Chapter3SSTable.Database.open(
          directory: environment.directory, fileSystem: environment.fileSystem, options: options,
          tracer: environment.tracer),
        environment: environment)
    },
    bench: Chapter3Engine.bench,
    tools: [SSTDumpCommand.self, TableBenchCommand.self])
}

/// Chapter 3's engine in the shell: the log, memtables and sorted tables.
///
/// In the shell (deterministic mode) a full memtable is flushed inline, in
/// the write that filled it, so a session's trace reads the same every run;
/// the engine itself flushes on a background thread.
final class Chapter3Engine: TableEngine<Chapter3SSTable.Database> {
  override var tableCount: Int { database.tableReaders.count }

  /// `show levels`: the memtables, then every table, newest first.
  func levelLines() -> [String] {
    var lines = memtableSummary(stats: false)
    let tables = database.tableReaders
    lines.append("tables     \(tables.count), newest first (a read looks at them in this order):")
    for table in tables {
      let p = table.properties
      let smallest = Format.printable(p.smallestKey.userKey)
      let largest = Format.printable(p.largestKey.userKey)
      let entries = Format.plural(p.entryCount, "entry", "entries")
      lines.append(
        "  \(table.name)  \(entries), seq \(p.smallestSequence)..\(p.largestSequence), keys \(smallest)..\(largest)")
    }
    return lines
  }

  /// `show stats`.
  func statsLines() -> [String] {
    let log = database.logStatus
    let tables = database.tableReaders
    return ["last sequence      \(database.lastSequence)"] + memtableSummary(stats: true) + [
      "tables             \(tables.count), \(tables.map(\.properties.entryCount).reduce(0, +)) entries",
      "log                \(log.name): \(log.size) B, \(Format.plural(log.records, "record"))",
    ]
  }
}
