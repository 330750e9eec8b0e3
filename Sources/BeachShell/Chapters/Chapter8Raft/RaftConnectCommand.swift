import ArgumentParser
import Chapter1WAL
import Chapter7Server
import Chapter8Raft
import Foundation

/// `beach connect`, chapter 8's: the shell on one server (chapter 7's
/// `connect`, unchanged), or with `--peers` on a whole cluster, following
/// its leader.
///
/// It replaces chapter 7's `connect` by having the same name (see
/// `EngineRegistry.tools`), and opens its shell through chapter 7's
/// `ConnectCommand.runShell`.
struct RaftConnectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "connect",
    abstract: "Open the shell on a beach serve server, or with --peers on a Raft cluster, following its leader.",
    discussion: """
      With HOST:PORT, chapter 7's connect: one server, its trace streamed back. With --peers \
      ID=HOST:PORT,..., every node of a beach serve --raft cluster: writes go to the leader (the client \
      follows redirects, and retries through a failover with the same client id and sequence number, so a \
      retried write is applied once); reads are linearizable (ReadIndex). show cluster prints what each node \
      says of itself.
      """
  )

  @Argument(help: "The server's address, HOST:PORT (without --peers).") var address: String?
  @Option(help: ArgumentHelp("Every node of a cluster: follow its leader.", valueName: "id=host:port,..."))
  var peers: String?
  @Option(help: "How much of the server's work to show: off, steps or explain (one server only).")
  var trace = "steps"
  @Option(help: "A deadline for every request, in milliseconds (default: the server's; with --peers 1000).")
  var deadlineMs: Int?
  @Option(help: "Run the commands in FILE instead of reading standard input.") var script: String?
  @Argument(help: "One shell command to run instead of reading input, e.g. get a.") var command: [String] = []

  func validate() throws {
    guard Tracer.Level(name: trace) != nil else { throw ValidationError("--trace is off, steps or explain") }
    if let deadlineMs, deadlineMs < 1 { throw ValidationError("--deadline-ms must be at least 1") }
    if script != nil && !shellCommand.isEmpty { throw ValidationError("give a --script or a COMMAND, not both") }
    if let peers {
      do {
        _ = try ClusterMembers(parsing: peers)
      } catch {
        throw ValidationError("--peers: \(error)")
      }
    } else {
      guard let address, ConnectCommand.split(address) != nil else {
        throw ValidationError(
          "give HOST:PORT, e.g. 127.0.0.1:7070, or --peers ID=HOST:PORT,... (got '\(address ?? "")')")
      }
    }
  }

  /// With --peers every positional argument is the command.
  var shellCommand: [String] { peers == nil ? command : (address.map { [$0] } ?? []) + command }

  func run() throws {
    guard let peers else {
      let chapter7 = try ConnectCommand.parse(
        [address!, "--trace", trace] + (deadlineMs.map { ["--deadline-ms", "\($0)"] } ?? [])
          + (script.map { ["--script", $0] } ?? []) + (command.isEmpty ? [] : ["--"] + command))
      return try chapter7.run()
    }
    let members = try! ClusterMembers(parsing: peers)  // validate() parsed it
    var options = ClusterClient.Options()
    if let deadlineMs { options.attemptTimeout = .milliseconds(deadlineMs) }
    let client = ClusterClient(members: members, options: options)
    let title = "connected to the cluster \(members)"
    try ConnectCommand.runShell(
      title: title, trace: trace, script: script, command: shellCommand,
      showTopics: [
        ShowTopic.of(ClusterShellEngine.self, "cluster", summary: "what each node says of itself") { engine, _ in
          try engine.clusterLines()
        }
      ]
    ) { _ in ClusterShellEngine(members: members, store: RemoteClusterStore(client: client)) }
  }
}

/// The shell's engine when it is a cluster elsewhere.
final class ClusterShellEngine: ShellEngine {
  let members: ClusterMembers
  let cluster: RemoteClusterStore

  init(members: ClusterMembers, store: RemoteClusterStore) {
    self.members = members
    self.cluster = store
  }

  var store: any KeyValueStore { cluster }
  var lastSequence: SequenceNumber { 0 }
  var summary: String { "connected to the cluster \(members)" }
  var handles: [String] { [] }

  /// One line per node: its status, or why it did not answer.
  func clusterLines() throws -> [String] {
    let client = cluster.client
    return try members.ids.map { id in
      let status = try blockingRun { try? await client.status(of: id) }
      return status.map { "\($0)" } ?? "node \(id): no answer"
    }
  }
}
