#if canImport(Chapter3SSTable)
  import Chapter1WAL
  import Chapter2Memtable
  import Chapter3SSTable

  /// Chapter 3's engine in the shell: the log, memtables and sorted tables.
  ///
  /// In the shell (deterministic mode) a full memtable is flushed inline, in
  /// the write that filled it, so a session's trace reads the same every run;
  /// the engine itself flushes on a background thread.
  final class Chapter3Engine: SnapshotEngine {
    /// Small, so that a session fills a memtable in a few dozen writes.
    static let memtableSize = 4096

    static let descriptor = EngineDescriptor(
      chapter: 3, title: "SSTables and flush", capabilities: [.keyValue, .writeAheadLog, .snapshots, .flush],
      showTopics: ["wal", "memtable", "levels", "sst", "stats"]
    ) { environment in
      var options = Chapter3SSTable.Database.Options()
      options.memtableSize = memtableSize
      options.backgroundFlush = !environment.deterministic
      return Chapter3Engine(
        database: try Chapter3SSTable.Database.open(
          directory: environment.directory, fileSystem: environment.fileSystem, options: options,
          tracer: environment.tracer),
        environment: environment)
    }

    let database: Chapter3SSTable.Database
    let environment: EngineEnvironment

    init(database: Chapter3SSTable.Database, environment: EngineEnvironment) {
      self.database = database
      self.environment = environment
    }

    var store: any KeyValueStore { database }
    var snapshotStore: any SnapshotStore { database }
    var snapshotList: SnapshotList { database.snapshots }

    var lastSequence: SequenceNumber { database.lastSequence }

    var summary: String {
      let (active, immutable) = database.memtables
      let entries = active.count + (immutable?.count ?? 0)
      return "last seq \(database.lastSequence), \(plural(database.tableReaders.count, "table")), "
        + "\(plural(entries, "entry", "entries")) in memory"
    }

    func flush() throws {
      try database.flush()
      database.waitForFlush()
    }

    func show(_ topic: String, argument: String?) throws -> [String] {
      switch topic {
      case "memtable":
        let (active, immutable) = database.memtables
        return memtableLines(active: active, immutable: immutable, limit: Self.memtableSize)
      case "levels":
        let (active, immutable) = database.memtables
        var lines = [
          "memtable   \(plural(active.count, "entry", "entries")), \(formatBytes(active.memoryUsage))"
        ]
        if let immutable { lines.append("immutable  \(plural(immutable.count, "entry", "entries")) (flushing)") }
        let tables = database.tableReaders
        lines.append("tables     \(tables.count), newest first (a read looks at them in this order):")
        for table in tables {
          let p = table.properties
          let smallest = printable(p.smallestKey.userKey)
          let largest = printable(p.largestKey.userKey)
          let entries = plural(p.entryCount, "entry", "entries")
          lines.append(
            "  \(table.name)  \(entries), seq \(p.smallestSequence)..\(p.largestSequence), keys \(smallest)..\(largest)"
          )
        }
        return lines
      case "sst":
        return try tableDumpLines(argument ?? "", environment: environment)
      case "stats":
        let (active, immutable) = database.memtables
        let log = database.logStatus
        let tables = database.tableReaders
        return [
          "last sequence      \(database.lastSequence)",
          "memtable           \(plural(active.count, "entry", "entries")), \(formatBytes(active.memoryUsage))"
            + (immutable.map { "; immutable: \(plural($0.count, "entry", "entries"))" } ?? ""),
          "tables             \(tables.count), \(tables.map(\.properties.entryCount).reduce(0, +)) entries",
          "log                \(log.name): \(log.status.size) B, \(plural(log.status.records, "record"))",
        ]
      default:
        let log = database.logStatus
        return try showLog(log.status, fileName: log.name, environment: environment)
      }
    }
  }

  /// `show sst FILE`: the whole table, every block and entry.
  func tableDumpLines(_ name: String, environment: EngineEnvironment) throws -> [String] {
    try TableDump.run(
      path: joinPath(environment.directory, name), name: name, fileSystem: environment.fileSystem, blocks: true,
      entries: true
    ).lines
  }
#endif
