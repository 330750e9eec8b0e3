import Chapter1WAL
import Chapter7Server
import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import Chapter8Raft

/// Three `RaftServer`s in this process, on loopback ports, each on its own
/// directory: the transport, the client protocol and `ClusterClient` seen
/// from real sockets. Every wait has a deadline, and every cluster is shut
/// down before its test returns.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct NetworkTests {
  @Test func threeNodesElectOneLeader() async throws {
    try await withCluster { cluster in
      let leader = try await cluster.leader()
      let client = ClusterClient(members: cluster.members)
      for id in cluster.members.ids {
        let status = try await client.status(of: id)
        #expect(status.leader == leader, "\(status)")
        #expect((status.role == .leader) == (id == leader), "\(status)")
      }
      await client.close()
    }
  }

  @Test func aWriteSentToAFollowerIsRedirectedAndTheClientFollows() async throws {
    try await withCluster { cluster in
      let leader = try await cluster.leader()
      let follower = cluster.members.ids.first { $0 != leader }!
      // A follower names the leader and does nothing.
      let raw = try await cluster.connect(to: follower)
      var batch = WriteBatch()
      batch.put(Bytes(utf8: "k"), Bytes(utf8: "v"))
      let command = ClientCommand(client: 9, sequence: 1, batch: batch)
      let reply = try await Self.send(.write, command.encoded, on: raw)
      #expect(reply == .redirect(leader: leader, address: "\(cluster.members.addresses[leader]!)"))
      await raw.close()
      // A client that starts at the follower follows the redirect.
      let client = ClusterClient(members: cluster.members, startingAt: follower)
      try await client.put(Bytes(utf8: "k"), Bytes(utf8: "v"))
      #expect(await client.stats.redirects == 1)
      #expect(await client.leader == leader)
      #expect(try await client.get(Bytes(utf8: "k")) == Bytes(utf8: "v"))
      await client.close()
    }
  }

  @Test func aRetriedWriteIsAppliedOnce() async throws {
    try await withCluster { cluster in
      let leader = try await cluster.leader()
      let raw = try await cluster.connect(to: leader)
      func put(_ sequence: UInt64, _ value: String) -> Bytes {
        var batch = WriteBatch()
        batch.put(Bytes(utf8: "k"), Bytes(utf8: value))
        return ClientCommand(client: 42, sequence: sequence, batch: batch).encoded
      }
      guard case .written(let first) = try await Self.send(.write, put(1, "first"), on: raw) else {
        Issue.record("the first write was not applied")
        return
      }
      _ = try await Self.send(.write, put(2, "second"), on: raw)
      // A late retry of write 1 (its acknowledgement lost, say): it is
      // acknowledged again, and not applied again over write 2.
      let retry = try await Self.send(.write, put(1, "first"), on: raw)
      guard case .written(let again) = retry else {
        Issue.record("the retry was answered \(retry)")
        return
      }
      #expect(again > first)
      #expect(try await Self.send(.read, Bytes(utf8: "k"), on: raw) == .value(Bytes(utf8: "second")))
      await raw.close()
    }
  }

  @Test func aLinearizableReadSeesAnAcknowledgedWrite() async throws {
    try await withCluster { cluster in
      let writer = ClusterClient(members: cluster.members)
      let reader = ClusterClient(members: cluster.members)
      for n in 0..<20 {
        try await writer.put(Bytes(utf8: "key"), Bytes(utf8: "\(n)"))
        // Another client, another connection: the read still sees it.
        #expect(try await reader.get(Bytes(utf8: "key")) == Bytes(utf8: "\(n)"))
      }
      #expect(try await reader.get(Bytes(utf8: "missing")) == nil)
      let page = try await reader.scan(limit: 10)
      #expect(page.entries == [KeyValuePair(key: Bytes(utf8: "key"), value: Bytes(utf8: "19"))])
      #expect(page.resumeKey == nil)
      await writer.close()
      await reader.close()
    }
  }

  @Test func hostileBytesOnThePeerPortAreRefusedAndTheClusterServesOn() async throws {
    try await withCluster { cluster in
      let leader = try await cluster.leader()
      let port = cluster.members.addresses[leader]!.port
      func extensionFrame(_ body: Bytes) -> Bytes {
        Request.extension(code: ClusterRequestCode.message.rawValue, body: body).frame(id: 5).encoded
      }
      var wrongNode = Message(kind: .heartbeat, from: 2, to: 99, term: 1_000)
      wrongNode.commit = 1_000_000
      let stranger = Message(kind: .vote, from: 77, to: leader, term: 1_000)
      var random = SeededGenerator(seed: 3)
      let cases: [(String, Bytes, String)] = [
        (
          "a length past the maximum",
          [0xff, 0xff, 0xff, 0xff] + (0..<60).map { _ in UInt8.random(in: 0...255, using: &random) }, "maximum"
        ),
        ("a frame of version 9", [0, 0, 0, 12, 9] + Bytes(repeating: 0, count: 11), "version"),
        ("a message cut short", extensionFrame(Array(stranger.encoded.dropLast(3))), "not a message request"),
        ("an unknown message kind", extensionFrame([0xee, 1, 2, 3]), "not a message request"),
        ("a message for another node", extensionFrame(wrongNode.encoded), "came to node"),
        ("a message from a stranger", extensionFrame(stranger.encoded), "not a peer"),
        ("an unknown cluster code", Request.extension(code: 200, body: []).frame(id: 5).encoded, "no cluster request"),
      ]
      for (name, bytes, message) in cases {
        let outcome = try await RawExchange.send(bytes, host: "127.0.0.1", port: port)
        let reply = try #require(outcome.frames.first, "\(name): no reply")
        #expect(reply.status == .badRequest || reply.status == .tooLarge, "\(name): \(reply)")
        #expect(String(decoding: reply.payload, as: UTF8.self).contains(message), "\(name): \(reply)")
      }
      // Nobody's term moved, and the cluster still takes writes.
      let client = ClusterClient(members: cluster.members)
      #expect(try await client.status(of: leader).term < 1_000)
      try await client.put(Bytes(utf8: "after"), Bytes(utf8: "ok"))
      #expect(try await client.get(Bytes(utf8: "after")) == Bytes(utf8: "ok"))
      await client.close()
    }
  }

  @Test func aLoadTargetGivenOneNodeFindsTheLeader() async throws {
    try await withCluster { cluster in
      let leader = try await cluster.leader()
      let follower = cluster.members.ids.first { $0 != leader }!
      let target = ClusterLoadTarget(seed: cluster.members.addresses[follower]!)
      let connection = try await target.connect(on: MultiThreadedEventLoopGroup.singleton.next())
      #expect(try await connection.send(.set(key: Bytes(utf8: "a"), value: Bytes(utf8: "1"))).get() == .done)
      #expect(try await connection.send(.get(key: Bytes(utf8: "a"))).get() == .done)
      #expect(try await connection.send(.get(key: Bytes(utf8: "b"))).get() == .missing)
      await connection.close()
    }
  }

  // MARK: Helpers

  static func send(_ code: ClusterRequestCode, _ body: Bytes, on client: Client) async throws -> ClusterReply {
    let reply = try await client.send(.extension(code: code.rawValue, body: body)).get()
    try reply.check()
    return try ClusterReply.decode(reply.payload)
  }

  func withCluster(_ body: (TestCluster) async throws -> Void) async throws {
    let directory = try TemporaryDirectory(prefix: "beach-raft-net")
    defer { directory.remove() }
    let cluster = try await TestCluster.start(root: directory.path)
    do {
      try await body(cluster)
    } catch {
      await cluster.shutdown()
      throw error
    }
    await cluster.shutdown()
  }
}

/// Three nodes in this process.
struct TestCluster {
  let members: ClusterMembers
  let servers: [RaftServer]

  static func start(root: String) async throws -> TestCluster {
    let ports = try freePorts(3)
    var addresses: [NodeID: ClusterMembers.Address] = [:]
    for (index, port) in ports.enumerated() { addresses[NodeID(index + 1)] = .init(host: "127.0.0.1", port: port) }
    let members = ClusterMembers(addresses)
    var servers: [RaftServer] = []
    var serverOptions = ServerOptions()
    serverOptions.eventLoopThreads = 1
    serverOptions.engineThreads = 2
    serverOptions.readThreads = 1
    serverOptions.shutdownGrace = .seconds(1)
    for id in members.ids {
      var options = RaftNodeOptions(id: id, members: members, directory: root + "/node\(id)")
      options.snapshotEvery = 10
      servers.append(try await RaftServer.start(options, serverOptions: serverOptions))
    }
    return TestCluster(members: members, servers: servers)
  }

  /// The leader, once the nodes agree on one.
  func leader() async throws -> NodeID {
    let clock = ContinuousClock()
    let giveUp = clock.now + .seconds(10)
    while clock.now < giveUp {
      var statuses: [NodeStatus] = []
      for server in servers { statuses.append(try await server.engine.status().get()) }
      let leaders = statuses.filter { $0.role == .leader }
      if leaders.count == 1, statuses.allSatisfy({ $0.leader == leaders[0].id }) { return leaders[0].id }
      try await Task.sleep(for: .milliseconds(10))
    }
    throw ClusterConfigurationError("no leader within 10 s")
  }

  func connect(to id: NodeID) async throws -> Client {
    let address = members.addresses[id]!
    return try await Client.connect(host: address.host, port: address.port)
  }

  func shutdown() async {
    for server in servers { await server.shutdown() }
  }
}
