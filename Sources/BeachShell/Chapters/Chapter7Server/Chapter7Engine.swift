import Chapter1WAL
import Chapter6Compaction
import Chapter7Server
import Foundation

/// Chapter 7 in the tools: chapter 6's engine behind a server on loopback,
/// in this process. The shell's data commands (`put`, `get`, `delete`,
/// `scan`, `batch`, `fill`) travel as frames over a real TCP connection;
/// with tracing on, the server's own events for each request (the frame
/// received, the log append and its fsync, the reply) come back over the
/// same connection and print under the command. Inspection (`show`,
/// `flush`, `compact`) still reads the database in this process. `show
/// server` prints the server's counters; `beach serve`, `beach connect`
/// and `beach load` are the chapter's tools.
enum Chapter7Adapter {
  static let adapter = ChapterAdapter(
    shell: EngineDescriptor(
      chapter: 7, title: "the server",
      commands: Chapter6Adapter.adapter.shell.commands + [frame],
      showTopics: Chapter6Adapter.adapter.shell.showTopics + [
        .of(Chapter7Engine.self, "server", summary: "the server: connections, requests and replies, log syncs") {
          engine, _ in try engine.serverLines()
        }
      ],
      ownsFile: Chapter6Adapter.adapter.shell.ownsFile
    ) { environment in try Chapter7Engine.open(environment) },
    bench: Chapter7Engine.benchEngine,
    tools: [ServeCommand.self, ConnectCommand.self, LoadCommand.self])

  static let frame = Command(
    name: "frame", usage: "frame encode get|put|delete KEY [VALUE] | frame send HEX...",
    summary: "a request's bytes, or raw bytes sent to the server and what it answers",
    help: """
      frame encode put KEY VALUE (or get KEY, delete KEY): prints the request's \
      frame, field by field, as chapter 7's protocol lays it out (request id 1, \
      no budget).
      frame send HEX...: opens a new connection to the server, sends the bytes \
      (hex digits; spaces between them are ignored), and prints every frame the \
      server answers with and whether it closed the connection: a way to watch \
      it refuse a bad length, an unknown kind or an oversized frame.
      """,
    arity: 2...64, completions: [.words(["encode", "send"]), .words(["get", "put", "delete"])], needsDatabase: true
  ) { shell, arguments in
    let engine = try shell.engine(as: Chapter7Engine.self)
    switch arguments.text(0) {
    case "encode":
      let request: Request
      switch (arguments.text(1), arguments.count) {
      case ("get", 3): request = .get(key: arguments.bytes(2))
      case ("delete", 3): request = .delete(key: arguments.bytes(2))
      case ("put", 4): request = .put(key: arguments.bytes(2), value: arguments.bytes(3))
      default: throw ShellError("usage: frame encode get KEY | put KEY VALUE | delete KEY")
      }
      for line in FrameLayout.lines(request.frame(id: 1)) { shell.say(line) }
    case "send":
      let text = (1..<arguments.count).map { arguments.text($0) }.joined()
      guard let bytes = Bytes(hex: text), !bytes.isEmpty else {
        throw ShellError("frame send wants hex digits, two per byte (got '\(text.prefix(40))')")
      }
      for line in try engine.sendRaw(bytes) { shell.say(line) }
    default: throw ShellError("usage: frame encode get|put|delete KEY [VALUE] | frame send HEX...")
    }
  }
}

/// A frame, field by field, for `frame encode`.
enum FrameLayout {
  static func lines(_ frame: Frame) -> [String] {
    let bytes = frame.encoded
    func hex(_ range: Range<Int>) -> String {
      bytes[range].map { String($0, radix: 16).leftPadded(2) }.joined(separator: " ")
    }
    var lines = [
      "\(Format.plural(bytes.count, "byte")): a 4-byte length, a 12-byte header, a \(frame.payload.count)-byte payload",
      "  \(hex(0..<4).padded(24)) length     \(bytes.count - 4) bytes follow",
      "  \(hex(4..<5).padded(24)) version    1",
      "  \(hex(5..<6).padded(24)) kind       \(frame.kind)",
      "  \(hex(6..<8).padded(24)) status, flags",
      "  \(hex(8..<12).padded(24)) request id \(frame.requestID)",
      "  \(hex(12..<16).padded(24)) budget     \(frame.budgetMilliseconds == 0 ? "the server's default" : "\(frame.budgetMilliseconds) ms")",
    ]
    var offset = 16
    while offset < bytes.count {
      let end = min(offset + 8, bytes.count)
      lines.append("  \(hex(offset..<end).padded(24)) " + (offset == 16 ? "payload" : ""))
      offset = end
    }
    return lines
  }
}

extension String {
  fileprivate func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
  fileprivate func padded(_ width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}

/// Chapter 7's engine in the shell: chapter 6's, with its data commands
/// sent through a server.
final class Chapter7Engine: Chapter6Engine {
  let server: Server
  let remote: RemoteStore

  private init(
    database: Chapter6Compaction.Database, environment: EngineEnvironment, server: Server, remote: RemoteStore
  ) {
    self.server = server
    self.remote = remote
    super.init(database: database, environment: environment)
  }

  /// Opens chapter 6's database, starts a server on it (127.0.0.1, a port
  /// the system picks) and connects to it.
  ///
  /// The database gets a tracer of its own, which the server routes: an
  /// event raised while a request runs goes back to that request's client;
  /// any other (a flush or a compaction this shell runs directly) goes
  /// straight to the shell's tracer.
  static func open(_ environment: EngineEnvironment) throws -> Chapter7Engine {
    let shellTracer = environment.tracer
    var serverEnvironment = environment
    serverEnvironment.tracer = Tracer(level: .explain)
    let syncs = SyncCountingFileSystem(environment.fileSystem)
    serverEnvironment.fileSystem = syncs
    let database = try Chapter6Adapter.openDatabase(serverEnvironment)
    var options = ServerOptions()
    options.eventLoopThreads = 1
    options.engineThreads = 4
    let tracer = serverEnvironment.tracer
    let chosen = options
    do {
      let server = try blockingRun {
        try await Server.start(
          engine: database, options: chosen, tracer: tracer, untracedEvents: { shellTracer.emit($0) },
          syncCounter: syncs)
      }
      let client = try blockingRun { try await Client.connect(host: "127.0.0.1", port: server.port) }
      let remote = RemoteStore(client: client, tracer: shellTracer) { try? blockingRun { await server.shutdown() } }
      return Chapter7Engine(database: database, environment: serverEnvironment, server: server, remote: remote)
    } catch {
      try? database.close()
      throw error
    }
  }

  /// The data commands' store: the server, over the connection.
  override var store: any KeyValueStore { remote }

  /// `frame send`: the bytes on a connection of their own, and what the
  /// server answered.
  func sendRaw(_ bytes: Bytes) throws -> [String] {
    let port = server.port
    let outcome = try blockingRun { try await RawExchange.send(bytes, host: "127.0.0.1", port: port) }
    var lines = ["sent \(Format.plural(bytes.count, "byte"))"]
    for frame in outcome.frames {
      var line = "reply  id \(frame.requestID)  \(frame.status)"
      if frame.status != .ok && !frame.payload.isEmpty {
        line += ": " + String(decoding: frame.payload, as: UTF8.self)
      }
      lines.append(line)
    }
    if outcome.frames.isEmpty { lines.append("no reply") }
    if outcome.leftover > 0 { lines.append("and \(outcome.leftover) bytes that are not a whole frame") }
    lines.append(outcome.closed ? "the server closed the connection" : "the connection is still open")
    return lines
  }

  /// `show server`.
  func serverLines() throws -> [String] {
    let stats = try remote.call(.stats).payload
    return [
      "server on loopback: \(Format.plural(server.connectionCount, "connection")) open, "
        + "\(Format.plural(server.requestsRunning, "request")) running"
    ]
      + ServerStats(text: String(decoding: stats, as: UTF8.self)).lines
  }

  /// Chapter 7's engine in `beach bench` is chapter 6's: the engine is the
  /// same, and the network is measured by `beach load`, not here.
  static let benchEngine = BenchEngineDescriptor(
    chapter: 7, hasFilters: true, flushes: true, iteratesBackward: false, compacts: true,
    open: Chapter6Engine.bench.open)
}

/// A server's STATS text (Prometheus format), as a few readable lines.
struct ServerStats {
  var samples: [(name: String, labels: String, value: Double)] = []

  init(text: String) {
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      let parts = line.split(separator: " ")
      guard parts.count == 2, let value = Double(parts[1]) else { continue }
      let metric = parts[0]
      if let brace = metric.firstIndex(of: "{") {
        samples.append((String(metric[..<brace]), String(metric[brace...]), value))
      } else {
        samples.append((String(metric), "", value))
      }
    }
  }

  /// The value of one sample, or 0.
  func value(_ name: String, _ labels: String = "") -> Double {
    samples.first { $0.name == name && $0.labels == labels }?.value ?? 0
  }

  /// `requests  get 3, put 2`: the counters that are not zero, by label.
  private func line(_ title: String, _ name: String, label: String) -> String {
    let parts = samples.filter { $0.name == name && $0.value > 0 }.sorted { $0.labels < $1.labels }.map { sample in
      let word = sample.labels.split(separator: "\"").dropFirst().first.map(String.init) ?? "?"
      return "\(word.replacingOccurrences(of: "_", with: " ")) \(Int(sample.value))"
    }
    return title.padding(toLength: 18, withPad: " ", startingAt: 0)
      + (parts.isEmpty ? "none" : parts.joined(separator: ", "))
  }

  var lines: [String] {
    [
      line("requests", "beach_requests_total", label: "op"),
      line("replies", "beach_replies_total", label: "status"),
      "connections       \(Int(value("beach_connections_accepted_total"))) accepted, "
        + "reads paused \(Int(value("beach_reads_paused_total"))) times",
      "log syncs         \(Int(value("beach_log_syncs_total")))",
    ]
  }
}
