#if canImport(Chapter1WAL)
  import Chapter1WAL

  /// Chapter 1's engine in the shell: a write-ahead log in front of a map.
  final class Chapter1Engine: ShellEngine {
    static let descriptor = EngineDescriptor(
      chapter: 1, title: "the write-ahead log", capabilities: [.keyValue, .writeAheadLog], showTopics: ["wal"]
    ) { environment in
      Chapter1Engine(
        database: try Chapter1WAL.Database.open(
          directory: environment.directory, fileSystem: environment.fileSystem, tracer: environment.tracer),
        environment: environment)
    }

    let database: Chapter1WAL.Database
    let environment: EngineEnvironment

    init(database: Chapter1WAL.Database, environment: EngineEnvironment) {
      self.database = database
      self.environment = environment
    }

    var store: any KeyValueStore { database }

    var lastSequence: SequenceNumber { database.lastSequence }

    var summary: String {
      let keys = database.liveKeyCount
      return "last seq \(database.lastSequence), \(keys) key" + (keys == 1 ? "" : "s")
    }

    func show(_ topic: String, argument: String?) throws -> [String] {
      // Only "wal" is registered for this engine.
      try showLog(database.logStatus, fileName: database.logFileName, environment: environment)
    }
  }
#endif

#if canImport(Chapter1WAL)
  extension ShellEngine {
    /// `show wal`: the log's sizes, then every record, decoded.
    func showLog(_ status: LogWriter.Status, fileName: String, environment: EngineEnvironment) throws -> [String] {
      let unsynced = status.size - status.syncedSize
      var lines = [
        "log \(fileName): \(status.size) B, \(status.syncedSize) B synced"
          + (unsynced > 0 ? " (\(unsynced) B not yet durable)" : "") + ", \(plural(status.records, "record"))"
      ]
      let dump = try LogDump.run(
        path: joinPath(environment.directory, fileName), name: fileName, fileSystem: environment.fileSystem,
        decode: true)
      lines += dump.lines.dropFirst()  // its header repeats the name and size
      return lines
    }
  }
#endif
