import ArgumentParser
import Chapter1WAL
import Chapter7Server
import Foundation

/// `beach connect HOST:PORT`: the shell, on a server elsewhere.
struct ConnectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "connect",
    abstract: "Open the shell on a beach serve server: the same data commands, over the network.",
    discussion: """
      put, get, delete, scan, batch and fill go to the server as frames. With trace steps (the default) \
      or explain, the server streams back its own trace of each request: the frame it received, the log \
      append and fsync, the reply. show server prints its counters. Commands that read database files \
      (show levels, files, crash, ...) need the database in this process: use beach --chapter 7 for those.
      """
  )

  @Argument(help: "The server's address, HOST:PORT.") var address: String
  @Option(help: "How much of the server's work to show: off, steps or explain.") var trace = "steps"
  @Option(help: "A deadline sent with every request, in milliseconds (default: the server's).") var deadlineMs: Int?
  @Option(help: "Run the commands in FILE instead of reading standard input.") var script: String?
  @Argument(help: "One shell command to run instead of reading input, e.g. get a.") var command: [String] = []

  func validate() throws {
    guard ConnectCommand.split(address) != nil else {
      throw ValidationError("the address must be HOST:PORT, e.g. 127.0.0.1:7070 (got '\(address)')")
    }
    guard Tracer.Level(name: trace) != nil else { throw ValidationError("--trace is off, steps or explain") }
    if let deadlineMs, deadlineMs < 1 { throw ValidationError("--deadline-ms must be at least 1") }
    if script != nil && !command.isEmpty { throw ValidationError("give a --script or a COMMAND, not both") }
  }

  static func split(_ address: String) -> (host: String, port: Int)? {
    guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
      (1...65535).contains(port), colon > address.startIndex
    else { return nil }
    return (String(address[..<colon]), port)
  }

  func run() throws {
    let (host, port) = ConnectCommand.split(address)!
    let budget = deadlineMs.map { Duration.milliseconds($0) }
    let client: Client
    do {
      client = try blockingRun { try await Client.connect(host: host, port: port, budget: budget) }
    } catch {
      StandardStream.error.write("beach connect: \(error)\n")
      throw ExitCode.failure
    }
    try ConnectCommand.runShell(
      title: "connected to \(address)", trace: trace, script: script, command: command,
      showTopics: [
        ShowTopic.of(RemoteEngine.self, "server", summary: "the server's counters (its STATS)") { engine, _ in
          try engine.serverLines()
        }
      ]
    ) { environment in
      RemoteEngine(address: address, store: RemoteStore(client: client, tracer: environment.tracer))
    }
  }

  /// Runs the shell on a store elsewhere: `command`, or the lines of
  /// `script`, or standard input. A later chapter's `connect` (one that
  /// finds its server among several) opens its shell through this too.
  ///
  /// - Parameters:
  ///   - title: what the shell says it is connected to.
  ///   - open: makes the shell's engine, given the shell's tracer.
  static func runShell(
    title: String, trace: String, script: String?, command: [String], showTopics: [ShowTopic],
    open: @escaping @Sendable (EngineEnvironment) throws -> any ShellEngine
  ) throws {
    let interactive = script == nil && command.isEmpty && isatty(0) == 1
    let directory = try makeTemporaryDirectory(prefix: "beach-connect")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let descriptor = EngineDescriptor(
      chapter: EngineRegistry.newest.chapter, title: title, commands: [], showTopics: showTopics,
      ownsFile: { _ in false }, open: open)
    if interactive {
      Interrupt.install()
      print("beach: \(title)\nhelp lists commands; quit or Ctrl-D leaves")
    }
    let shell: Shell
    do {
      shell = try Shell(
        options: Shell.Options(
          directory: directory, trace: Tracer.Level(name: trace)!,
          output: .standardOutput(terminal: interactive && StandardStream.output.isTerminal),
          errorsNameTheirLine: !interactive && command.isEmpty, engine: descriptor))
    } catch {
      throw ValidationError(error.description)
    }
    if !command.isEmpty {
      shell.run(reader: ArrayLineReader([command.map(Tokenizer.quoted).joined(separator: " ")]))
    } else if let script {
      guard let data = FileManager.default.contents(atPath: script) else {
        throw ValidationError("cannot read script \(script)")
      }
      let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
      shell.run(reader: ArrayLineReader(lines.map(String.init)))
    } else {
      shell.run(reader: standardInputReader())
    }
    if !interactive && shell.failures > 0 { throw ExitCode.failure }
  }
}

/// The shell's engine when it is a server elsewhere: a store, and nothing
/// in this process.
final class RemoteEngine: ShellEngine {
  let address: String
  let remote: RemoteStore
  private(set) var lastSequence: SequenceNumber = 0

  init(address: String, store: RemoteStore) {
    self.address = address
    self.remote = store
  }

  var store: any KeyValueStore { remote }
  var summary: String { "connected to \(address)" }
  var handles: [String] { [] }

  func serverLines() throws -> [String] {
    ServerStats(text: String(decoding: try remote.call(.stats).payload, as: UTF8.self)).lines
  }
}
