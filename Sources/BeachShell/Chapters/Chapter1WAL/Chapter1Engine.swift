import Chapter1WAL

/// Chapter 1 in the tools: the shell's engine (a write-ahead log in front of
/// a map), its benchmark engine, and `wal-dump`, `wal-bench` and the crash
/// test's worker.
enum Chapter1Adapter {
  static let adapter = ChapterAdapter(
    shell: EngineDescriptor(
      chapter: 1, title: "the write-ahead log", commands: [], showTopics: [walTopic], ownsFile: ownsFile
    ) { environment in
      Chapter1Engine(
        database: try Chapter1WAL.Database.open(
          directory: environment.directory, fileSystem: environment.fileSystem, tracer: environment.tracer),
        environment: environment)
    },
    bench: Chapter1Engine.bench,
    tools: [WALDumpCommand.self, WALBenchCommand.self, CrashWorkerCommand.self])

  /// Chapter 1 makes logs, and every chapter its directory's `LOCK` and
  /// `FORMAT`.
  static let ownsFile: @Sendable (String) -> Bool = { name in
    LogFormat.number(fromFileName: name) != nil
      || [DatabaseDirectory.lockName, DatabaseDirectory.formatName, DatabaseDirectory.temporaryFormatName].contains(
        name)
  }

  /// `show wal`, for every chapter's engine: they all have a log.
  static let walTopic = ShowTopic.of(
    (any LoggingEngine).self, "wal", summary: "the log being written, then every record, decoded"
  ) { engine, _ in try engine.logLines() }
}

/// Chapter 1's engine in the shell: a write-ahead log in front of a map.
final class Chapter1Engine: LoggingEngine {
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

  var logStatus: LogWriter.Status { database.logStatus }

  var handles: [String] { [] }
}

/// An engine with a write-ahead log: every chapter's.
protocol LoggingEngine: ShellEngine {
  /// Where it was opened.
  var environment: EngineEnvironment { get }
  /// The log being written.
  var logStatus: LogWriter.Status { get }
}

extension LoggingEngine {
  /// `show wal`: the log's sizes, then every record, decoded.
  func logLines() throws -> [String] {
    let status = logStatus
    let fileName = status.name
    let unsynced = status.size - status.syncedSize
    // The records are counted by the dump below, which reads the file as
    // it is (a writer's own count would miss damage done behind its back).
    var lines = [
      "log \(fileName): \(status.size) B, \(status.syncedSize) B synced"
        + (unsynced > 0 ? " (\(unsynced) B not yet durable)" : "")
    ]
    let dump = try LogDump.run(
      path: joinPath(environment.directory, fileName), name: fileName, fileSystem: environment.fileSystem,
      decode: true)
    lines += dump.lines.dropFirst()  // its header repeats the name and size
    return lines
  }
}
