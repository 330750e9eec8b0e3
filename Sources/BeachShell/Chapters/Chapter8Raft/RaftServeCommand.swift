import ArgumentParser
import Chapter1WAL
import Chapter7Server
import Chapter8Raft
import Foundation
import NIOCore

/// `beach serve`, chapter 8's: chapter 7's server as it was, or with
/// `--raft` one node of a replicated cluster.
///
/// It replaces chapter 7's `serve` by having the same name (see
/// `EngineRegistry.tools`) and takes every one of its flags through
/// `ServeOptions`, so nothing of chapter 7 changes and nothing is copied.
struct RaftServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve a database over TCP (chapter 7's protocol), alone or as one node of a Raft cluster (--raft).",
    discussion: """
      Without --raft, exactly chapter 7's serve. With --raft, one node of a cluster: --peers names every \
      node (this one too) as ID=HOST:PORT,ID=HOST:PORT,..., --id says which one this is, and the node \
      listens at its own address there, for its peers' Raft messages and for clients alike (--host and \
      --port are not used). The node's Raft log and snapshot go in DIR/raft, its database (the state \
      machine) in DIR/data. Clients that know every address (beach connect --peers, beach load --peers) \
      follow the leader; a follower answers a plain chapter 7 client with the leader's address. The clock \
      ticks every --tick-ms; a follower campaigns after --election-ticks to twice that without a leader. \
      SIGINT or SIGTERM stops the node gracefully; SIGKILL is what the cluster is for.
      """
  )

  @OptionGroup var options: ServeOptions
  @Flag(help: "Run as one node of a Raft cluster (needs --id and --peers).") var raft = false
  @Option(help: "This node's id among --peers (with --raft).") var id: UInt64?
  @Option(
    help: ArgumentHelp(
      "Every node of the cluster, this one included (with --raft).", valueName: "id=host:port,..."))
  var peers: String?
  @Option(
    help: """
      Snapshot the state machine, and drop the log it covers, every this many entries (0: never; the default is \
      etcd's --snapshot-count).
      """)
  var snapshotEvery = RaftNodeOptions.defaultSnapshotEvery
  @Option(help: "Milliseconds per tick of the Raft clock.") var tickMs = 10
  @Option(help: "Election timeout in ticks (the actual one is drawn from this to twice this).")
  var electionTicks = 10
  @Option(help: "Ticks between a leader's heartbeats.") var heartbeatTicks = 2

  func validate() throws {
    guard raft else {
      guard id == nil, peers == nil else { throw ValidationError("--id and --peers need --raft") }
      return
    }
    guard let id, let peers else { throw ValidationError("--raft needs --id and --peers") }
    let members: ClusterMembers
    do {
      members = try ClusterMembers(parsing: peers)
    } catch {
      throw ValidationError("--peers: \(error)")
    }
    guard members.addresses[id] != nil else { throw ValidationError("--id \(id) is not among --peers \(peers)") }
    guard options.port == nil else { throw ValidationError("with --raft the port is this node's in --peers") }
    guard snapshotEvery >= 0 else { throw ValidationError("--snapshot-every must be 0 or more") }
    guard (1...1000).contains(tickMs) else { throw ValidationError("--tick-ms must be 1 to 1000") }
    guard electionTicks >= 2 else { throw ValidationError("--election-ticks must be at least 2") }
    guard (1..<electionTicks).contains(heartbeatTicks) else {
      throw ValidationError("--heartbeat-ticks must be at least 1 and less than --election-ticks")
    }
  }

  func run() throws {
    guard raft, let id, let peers else { return try ServeCommand.serve(options) }
    let members = try! ClusterMembers(parsing: peers)  // validate() parsed it
    let directory = options.directory
    try Self.prepare(directory)
    var node = RaftNodeOptions(id: id, members: members, directory: directory)
    node.snapshotEvery = snapshotEvery
    node.tickInterval = .milliseconds(Int64(tickMs))
    node.electionTicks = electionTicks
    node.heartbeatTicks = heartbeatTicks
    node.memtableSize = options.memtableSize
    node.onEvent = { event in StandardStream.error.write("beach serve: \(event)\n") }
    let chosen = node
    let (serverOptions, logging) = (options.serverOptions, options.logging)
    let server: RaftServer
    do {
      server = try blockingRun { try await RaftServer.start(chosen, serverOptions: serverOptions, logging: logging) }
    } catch {
      throw ServeCommand.fail("node \(id) cannot start in \(directory) at \(members.addresses[id]!): \(error)")
    }
    StandardStream.output.write(
      "beach serve: node \(id) listening on \(members.addresses[id]!) (raft, \(members.ids.count) nodes, "
        + "chapter \(EngineRegistry.newest.chapter) engine, node directory \(directory))\n")
    ServeCommand.waitForStopSignal()
    StandardStream.error.write("beach serve: node \(id) stopping\n")
    try blockingRun { await server.shutdown() }
    StandardStream.output.write("beach serve: node \(id) stopped; its log and database are closed\n")
  }

  /// Creates the node's directory if needed, and refuses one that holds
  /// anything but a node's `raft/` and `data/`.
  static func prepare(_ directory: String) throws {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let strangers = names.filter { !["raft", "data"].contains($0) }
    guard strangers.isEmpty else {
      throw ServeCommand.fail(
        "--dir \(directory) holds \(strangers.count) file(s) that are not a Raft node's (raft/, data/); "
          + "give a new or empty directory")
    }
    if names.isEmpty { try ServeCommand.prepare(directory) }
  }
}
