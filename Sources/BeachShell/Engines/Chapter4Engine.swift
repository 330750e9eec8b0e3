#if canImport(Chapter4Manifest)
  import Chapter1WAL
  import Chapter2Memtable
  import Chapter3SSTable
  import Chapter4Manifest

  /// Chapter 4's engine in the shell: chapter 3's, with a manifest,
  /// versions, long-lived iterators and `merge`.
  final class Chapter4Engine: SnapshotEngine {
    /// Small, so that a session fills a memtable in a few dozen writes.
    static let memtableSize = 4096
    /// Small, so that a session sees the manifest rewritten.
    static let manifestSize = 1024

    static let descriptor = EngineDescriptor(
      chapter: 4, title: "the manifest and versions",
      capabilities: [.keyValue, .writeAheadLog, .snapshots, .flush, .iterators, .merge],
      showTopics: ["wal", "memtable", "levels", "sst", "manifest", "files", "stats"]
    ) { environment in
      var options = Chapter4Manifest.Database.Options()
      options.memtableSize = memtableSize
      options.versions.maxManifestSize = manifestSize
      options.backgroundFlush = !environment.deterministic
      return Chapter4Engine(
        database: try Chapter4Manifest.Database.open(
          directory: environment.directory, fileSystem: environment.fileSystem, options: options,
          tracer: environment.tracer),
        environment: environment)
    }

    let database: Chapter4Manifest.Database
    let environment: EngineEnvironment
    private var iterators: [Int: Chapter4Manifest.Iterator] = [:]

    init(database: Chapter4Manifest.Database, environment: EngineEnvironment) {
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
      return "last seq \(database.lastSequence), \(plural(database.versions.current.tables.count, "table")), "
        + "\(plural(entries, "entry", "entries")) in memory"
    }

    func flush() throws {
      try database.flush()
      database.waitForFlush()
    }

    func merge() throws -> String {
      guard let table = try database.mergeTables() else { return "nothing to merge" }
      return "merged into \(table.name) on level 1 (\(plural(Int(table.entryCount), "entry", "entries")))"
    }

    // MARK: Iterators

    func openIterator(from: Bytes?, snapshot: Int?) throws -> (id: Int, description: String) {
      var at: SnapshotList.Snapshot?
      if let snapshot {
        guard let live = database.snapshot(id: snapshot) else { throw ShellError("no live snapshot \(snapshot)") }
        at = live
      }
      let iterator = database.makeIterator(at: at)
      if let from { try iterator.seek(from) } else { try iterator.seekToFirst() }
      iterators[iterator.id] = iterator
      let tables = iterator.version.tables.map(\.name)
      return (
        iterator.id,
        "at seq \(iterator.snapshot), pins version \(iterator.version.id)"
          + (tables.isEmpty ? " (no tables)" : ": " + tables.joined(separator: " "))
      )
    }

    func iteratorNext(id: Int, count: Int) throws -> (entries: [KeyValuePair], atEnd: Bool) {
      let iterator = try open(id)
      var entries: [KeyValuePair] = []
      while iterator.isValid && entries.count < count {
        entries.append(KeyValuePair(key: iterator.key, value: iterator.value))
        try iterator.next()
      }
      return (entries, !iterator.isValid)
    }

    func closeIterator(id: Int) throws {
      try open(id).close()
      iterators[id] = nil
    }

    private func open(_ id: Int) throws -> Chapter4Manifest.Iterator {
      guard let iterator = iterators[id] else {
        let open = iterators.keys.sorted().map(String.init)
        throw ShellError(
          "no open iterator \(id)" + (open.isEmpty ? " (none is open)" : " (open: \(open.joined(separator: ", ")))"))
      }
      return iterator
    }

    // MARK: show

    func show(_ topic: String, argument: String?) throws -> [String] {
      switch topic {
      case "memtable":
        let (active, immutable) = database.memtables
        return memtableLines(active: active, immutable: immutable, limit: Self.memtableSize)
      case "levels": return levelLines()
      case "sst": return try tableDumpLines(argument ?? "", environment: environment)
      case "manifest":
        let name = database.versions.manifestStatus.name
        let bytes = try environment.fileSystem.readFile(joinPath(environment.directory, name))
        return ManifestDump.dump(bytes, name: name, note: " (named by CURRENT)", verbose: false).lines
      case "files":
        let report = try database.fileReport()
        let width = report.map(\.name.count).max() ?? 0
        return report.map { $0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.status }
      case "stats":
        let (active, immutable) = database.memtables
        let log = database.logStatus
        let version = database.versions.current
        let manifest = database.versions.manifestStatus
        let recorded = database.versions.recorded
        return [
          "last sequence      \(database.lastSequence)",
          "memtable           \(plural(active.count, "entry", "entries")), \(formatBytes(active.memoryUsage))"
            + (immutable.map { "; immutable: \(plural($0.count, "entry", "entries"))" } ?? ""),
          "tables             \(version.tables.count) in version \(version.id), "
            + "\(version.tables.map(\.metadata.entryCount).reduce(0, +)) entries",
          "log                \(log.name): \(log.status.size) B, \(plural(log.status.records, "record"))",
          "manifest           \(manifest.name): \(manifest.size) B, \(plural(manifest.edits, "edit")); "
            + "log number \(recorded.logNumber), next file \(recorded.nextFileNumber)",
        ]
      default:
        let log = database.logStatus
        return try showLog(log.status, fileName: log.name, environment: environment)
      }
    }

    /// `show levels`: the memtables, then the current version level by level.
    private func levelLines() -> [String] {
      let (active, immutable) = database.memtables
      var lines = ["memtable   \(plural(active.count, "entry", "entries")), \(formatBytes(active.memoryUsage))"]
      if let immutable { lines.append("immutable  \(plural(immutable.count, "entry", "entries")) (flushing)") }
      let version = database.versions.current
      lines.append("version \(version.id) (current):")
      for (level, tables) in version.levels.enumerated() where !tables.isEmpty || level < 2 {
        let order = level == 0 ? "newest first, ranges overlap" : "sorted by key, ranges disjoint"
        lines.append("  L\(level)  \(plural(tables.count, "table"))" + (tables.isEmpty ? "" : " (\(order))"))
        for table in tables {
          let m = table.metadata
          lines.append(
            "      \(m.name)  keys \(m.keyRange), \(plural(Int(m.entryCount), "entry", "entries")), \(m.fileSize) B")
        }
      }
      for (id, holders) in database.versions.pins() where id != version.id {
        lines.append("version \(id) pinned by \(holders.joined(separator: ", "))")
      }
      return lines
    }
  }
#endif
