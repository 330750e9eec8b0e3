import ArgumentParser
import Chapter1WAL
import Chapter6Compaction
import Chapter7Server
import Foundation

/// The flags of `beach serve`: where the database is, where to listen, and
/// chapter 7's limits. A `ParsableArguments` of its own, so that a later
/// chapter's `serve` takes all of them (`@OptionGroup`) and adds its own.
struct ServeOptions: ParsableArguments {
  @Option(help: "The database directory (created if missing).") var dir: String
  @Option(help: "The address to listen on.") var host = "127.0.0.1"
  @Option(help: "Also serve GET /metrics over HTTP on this port, for Prometheus (0: any free port).")
  var metricsPort: Int?
  @Option(help: "The port (default 7070; 0: any free port).") var port: Int?
  @Option(help: "Sync (fdatasync) each write before acknowledging it: on or off.") var sync = "on"
  @Option(help: "The largest frame accepted, in bytes.") var maxFrameSize = Frame.defaultMaximumSize
  @Option(help: "Requests one connection may have running before its socket is no longer read.")
  var maxInFlight = ServerOptions().maximumInFlightPerConnection
  @Option(help: "Requests all connections may have running; past it, requests are answered busy.")
  var admissionLimit = ServerOptions().admissionLimit
  @Option(help: "A request's deadline when the client sends none, in milliseconds.") var deadlineMs = 5000
  @Option(help: "Close a connection that completes no request for this long, in milliseconds.")
  var idleTimeoutMs = 30_000
  @Option(help: "Threads for synced writes (enough to meet in group commits).") var engineThreads = ServerOptions()
    .engineThreads
  @Option(help: "Threads for reads and writes not synced.") var readThreads = ServerOptions().readThreads
  @Option(help: "Event-loop threads.") var eventLoops = ServerOptions().eventLoopThreads
  @Option(help: "How long shutdown waits for running requests, in milliseconds.") var shutdownGraceMs = 10_000
  @Option(help: "The engine's memtable size, in bytes.") var memtableSize = 4 << 20
  @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"

  func validate() throws {
    guard sync == "on" || sync == "off" else { throw ValidationError("--sync is on or off, not '\(sync)'") }
    guard (0...65535).contains(port ?? 0) else { throw ValidationError("--port must be 0 to 65535") }
    if let metricsPort, !(0...65535).contains(metricsPort) {
      throw ValidationError("--metrics-port must be 0 to 65535")
    }
    guard (Frame.headerSize...(1 << 30)).contains(maxFrameSize) else {
      throw ValidationError("--max-frame-size must be \(Frame.headerSize) to 1073741824 bytes")
    }
    for (name, value) in [
      ("--max-in-flight", maxInFlight), ("--admission-limit", admissionLimit), ("--deadline-ms", deadlineMs),
      ("--idle-timeout-ms", idleTimeoutMs), ("--engine-threads", engineThreads), ("--read-threads", readThreads),
      ("--event-loops", eventLoops),
    ] where value < 1 {
      throw ValidationError("\(name) must be at least 1")
    }
    guard shutdownGraceMs >= 0 else { throw ValidationError("--shutdown-grace-ms must be 0 or more") }
    guard (1024...(1 << 30)).contains(memtableSize) else {
      throw ValidationError("--memtable-size must be 1024 to 1073741824 bytes")
    }
    guard ServerLogging.standardError(named: logLevel) != nil else {
      throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical")
    }
  }

  /// The port when none is given.
  static let defaultPort = 7070

  /// `--dir`, made absolute.
  var directory: String { URL(fileURLWithPath: dir).standardizedFileURL.path }

  /// Chapter 7's server options from the flags.
  var serverOptions: ServerOptions {
    var serverOptions = ServerOptions()
    serverOptions.host = host
    serverOptions.port = port ?? Self.defaultPort
    serverOptions.metricsPort = metricsPort
    serverOptions.sync = sync == "on"
    serverOptions.maximumFrameSize = maxFrameSize
    serverOptions.maximumInFlightPerConnection = maxInFlight
    serverOptions.admissionLimit = admissionLimit
    serverOptions.defaultBudget = .milliseconds(deadlineMs)
    serverOptions.idleTimeout = .milliseconds(idleTimeoutMs)
    serverOptions.engineThreads = engineThreads
    serverOptions.readThreads = readThreads
    serverOptions.eventLoopThreads = eventLoops
    serverOptions.shutdownGrace = .milliseconds(shutdownGraceMs)
    return serverOptions
  }

  /// Where the server's log goes (`validate` checked the level).
  var logging: ServerLogging { ServerLogging.standardError(named: logLevel)! }
}

/// `beach serve`: the newest engine's database on the network.
struct ServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve a database over TCP (chapter 7's protocol), on loopback by default.",
    discussion: """
      Opens the database in --dir with the newest chapter's engine and listens on --host:--port (0 picks a \
      free port; the first line printed names it). Synced writes run on --engine-threads threads and the rest on --read-threads, never on \
      an event loop. SIGINT or SIGTERM stops it gracefully: no new connections, running requests finish \
      (up to --shutdown-grace-ms), the log is synced and the database closed. Logs go to standard error \
      (--log-level); STATS (beach connect, then show server) reports the metrics in Prometheus text format.
      """
  )

  @OptionGroup var options: ServeOptions

  func run() throws { try ServeCommand.serve(options) }

  /// Serves the database in `--dir` until SIGINT or SIGTERM.
  static func serve(_ options: ServeOptions) throws {
    let directory = options.directory
    try ServeCommand.prepare(directory)
    let serverOptions = options.serverOptions
    let (host, port) = (serverOptions.host, serverOptions.port)
    let syncs = SyncCountingFileSystem(DiskFileSystem())
    let tracer = Tracer(level: .off)
    var engineOptions = Chapter6Compaction.Database.Options()
    engineOptions.memtableSize = options.memtableSize
    let database: Chapter6Compaction.Database
    do {
      database = try Chapter6Compaction.Database.open(
        directory: directory, fileSystem: syncs, options: engineOptions, tracer: tracer)
    } catch {
      throw ServeCommand.fail("cannot open the database in \(directory): \(error)")
    }
    let logging = options.logging
    let server: Server
    do {
      server = try blockingRun {
        try await Server.start(
          engine: database, options: serverOptions, tracer: tracer, syncCounter: syncs, logging: logging)
      }
    } catch {
      try? database.close()
      throw ServeCommand.fail("cannot listen on \(host):\(port): \(error)")
    }
    StandardStream.output.write(
      "beach serve: listening on \(host):\(server.port) (chapter \(EngineRegistry.newest.chapter) engine, "
        + "sync \(options.sync), database in \(directory))\n")
    if options.metricsPort != nil {
      StandardStream.output.write("beach serve: metrics on http://\(host):\(server.metricsPort)/metrics\n")
    }
    waitForStopSignal()
    StandardStream.error.write("beach serve: stopping (\(server.requestsRunning) requests running)\n")
    try blockingRun { await server.shutdown() }
    StandardStream.output.write("beach serve: stopped; the database is closed\n")
  }

  /// Returns on the first SIGINT or SIGTERM; from then on both are ignored
  /// (the grace period bounds the stop that follows).
  static func waitForStopSignal() {
    let stop = DispatchSemaphore(value: 0)
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { stop.signal() }
      source.resume()
      sources.append(source)
    }
    stop.wait()
    _ = sources
  }

  /// Creates the directory if needed, and refuses one that holds files of
  /// someone else's and no database.
  static func prepare(_ directory: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw fail("--dir \(directory) is not a directory") }
      let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
      let ours = names.contains { name in EngineRegistry.all.contains { $0.ownsFile(name) } }
      if !names.isEmpty && !ours {
        throw fail(
          "--dir \(directory) holds \(names.count) file(s) beach did not make and no database; "
            + "give a new or empty directory")
      }
      return
    }
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw fail("cannot create \(directory): \(error.localizedDescription)")
    }
  }

  static func fail(_ message: String) -> ExitCode {
    StandardStream.error.write("beach serve: \(message)\n")
    return ExitCode.failure
  }
}
