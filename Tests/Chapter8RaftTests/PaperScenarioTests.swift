import Chapter1WAL
import Testing

@testable import Chapter8Raft

@Suite("The paper's scenarios")
struct PaperScenarioTests {
  @Test("§5.4.2 Figure 8: an entry from an earlier term on a majority is not committed by counting")
  func figure8() throws {
    let correct = try Figure8.replay(bug: false)
    #expect(!correct.lost)
    #expect(correct.lines.contains { $0.contains("a majority, yet not committed (§5.4.2)") })
    let broken = try Figure8.replay(bug: true)
    #expect(broken.lost)
    #expect(broken.lines.contains { $0.contains("node 1 counted them and committed it") })
  }
}

extension PaperScenarioTests {
  static func put(_ key: String, _ value: String) -> WriteBatch {
    var batch = WriteBatch()
    batch.put(Bytes(key.utf8), Bytes(value.utf8))
    return batch
  }

  static func elect(_ cluster: ManualCluster, within ticks: Int = 60) throws -> NodeID {
    for _ in 0..<ticks {
      if let leader = cluster.leader { return leader }
      try cluster.tick()
    }
    throw ClusterError("no leader after \(ticks) ticks")
  }

  static func logs(_ cluster: ManualCluster, _ ids: [NodeID]) -> [[Entry]] {
    ids.map { cluster.peer($0)?.node.log.entries ?? [] }
  }

  @Test("§5.2 one leader is elected, and every other node follows it")
  func election() throws {
    let cluster = try ManualCluster(nodes: 3)
    let leader = try Self.elect(cluster)
    try cluster.tick(2)
    for id in NodeID(1)...3 {
      let node = try #require(cluster.peer(id)).node
      #expect(node.role == (id == leader ? .leader : .follower))
      #expect(node.leader == leader)
      #expect(node.term == 1)
    }
  }

  @Test("§5.2 split votes: with no majority reachable nobody wins; PreVote keeps the terms from climbing")
  func splitVotes() throws {
    for preVote in [true, false] {
      let cluster = try ManualCluster(nodes: 4) { $0.preVote = preVote }
      try cluster.partition([[1, 2], [3, 4]])
      try cluster.tick(100)
      #expect(cluster.leader == nil)
      let terms = (NodeID(1)...4).map { cluster.peer($0)!.node.term }
      if preVote { #expect(terms == [0, 0, 0, 0]) } else { #expect(terms.allSatisfy { $0 >= 3 }) }
      cluster.heal()
      _ = try Self.elect(cluster)
    }
  }

  @Test("§5.3 a follower cut off while writes commit catches up when it returns")
  func replicationCatchUp() throws {
    let cluster = try ManualCluster(nodes: 3)
    let leader = try Self.elect(cluster)
    let lagging = NodeID(leader % 3 + 1)
    let others = (NodeID(1)...3).filter { $0 != lagging }
    try cluster.partition([[lagging], others])
    for i in 0..<10 { _ = try cluster.write(Self.put("k\(i)", "v\(i)")) }
    #expect(cluster.peer(lagging)!.node.log.lastIndex < cluster.peer(leader)!.node.log.lastIndex)
    cluster.heal()
    try cluster.tick(5)
    let logs = Self.logs(cluster, [1, 2, 3])
    #expect(logs[0] == logs[1] && logs[1] == logs[2])
    #expect(try cluster.peer(lagging)!.machine.get(Bytes("k9".utf8)) == Bytes("v9".utf8))
  }

  @Test("§5.3 a deposed leader's uncommitted entries give way to the new leader's log")
  func conflictingLogs() throws {
    let cluster = try ManualCluster(nodes: 3)
    let old = try Self.elect(cluster)
    let rest = (NodeID(1)...3).filter { $0 != old }
    try cluster.partition([[old], rest])
    for i in 0..<3 { _ = try cluster.propose(Self.put("lost\(i)", "x"), at: old) }
    try cluster.tick(40)
    let new = try #require(
      cluster.leader.flatMap { $0 == old ? nil : $0 } ?? rest.first { cluster.peer($0)!.node.role == .leader })
    for i in 0..<5 { _ = try cluster.write(Self.put("kept\(i)", "y")) }
    cluster.heal()
    try cluster.tick(10)
    #expect(cluster.leader == new)
    #expect(Self.logs(cluster, [old])[0] == Self.logs(cluster, [new])[0])
    #expect(try cluster.peer(old)!.machine.get(Bytes("lost0".utf8)) == nil)
    #expect(try cluster.peer(old)!.machine.get(Bytes("kept4".utf8)) == Bytes("y".utf8))
  }

  @Test("§5.4.1 a node whose log is behind cannot win: its votes are denied")
  func electionRestriction() throws {
    let recorder = TraceRecorder()
    let cluster = try ManualCluster(nodes: 3, tracer: recorder.tracer())
    let leader = try Self.elect(cluster)
    let behind = NodeID(leader % 3 + 1)
    let upToDate = (NodeID(1)...3).first { $0 != leader && $0 != behind }!
    try cluster.partition([[behind], [leader, upToDate]])
    for i in 0..<4 { _ = try cluster.write(Self.put("k\(i)", "v")) }
    _ = try cluster.kill(leader)
    cluster.heal()
    _ = recorder.drain()
    let winner = try Self.elect(cluster, within: 100)
    #expect(winner == upToDate)
    let denials = recorder.drain().filter { $0.action == "deny" && $0.subject == "node \(upToDate)" }
    #expect(denials.contains { $0.why.contains("behind ours") })
  }

  @Test("§9.6 PreVote and §6.2 CheckQuorum: a node rejoining after a partition does not depose a healthy leader")
  func rejoinDoesNotDisrupt() throws {
    for (preVote, disrupted) in [(true, false), (false, true)] {
      let cluster = try ManualCluster(nodes: 3) { $0.preVote = preVote }
      let leader = try Self.elect(cluster)
      let term = cluster.peer(leader)!.node.term
      let loner = NodeID(leader % 3 + 1)
      try cluster.partition([[loner], (NodeID(1)...3).filter { $0 != loner }])
      try cluster.tick(100)
      cluster.heal()
      try cluster.tick(30)
      let after = try Self.elect(cluster)
      #expect((cluster.peer(after)!.node.term != term) == disrupted, "preVote \(preVote)")
    }
  }

  @Test("§6.2 CheckQuorum: a leader cut off from the majority steps down within two election timeouts")
  func checkQuorum() throws {
    let cluster = try ManualCluster(nodes: 3)
    let leader = try Self.elect(cluster)
    try cluster.partition([[leader], (NodeID(1)...3).filter { $0 != leader }])
    try cluster.tick(20)
    #expect(cluster.peer(leader)!.node.role == .follower)
  }

  @Test("§7 a follower the log has been compacted past is sent a snapshot")
  func snapshots() throws {
    let recorder = TraceRecorder()
    let cluster = try ManualCluster(nodes: 3, snapshotEvery: 5, tracer: recorder.tracer())
    let leader = try Self.elect(cluster)
    let lagging = NodeID(leader % 3 + 1)
    try cluster.partition([[lagging], (NodeID(1)...3).filter { $0 != lagging }])
    for i in 0..<20 { _ = try cluster.write(Self.put("k\(i)", "v\(i)")) }
    #expect(cluster.peer(leader)!.node.log.snapshot.index >= 5)
    _ = recorder.drain()
    cluster.heal()
    try cluster.tick(5)
    #expect(recorder.drain().contains { $0.action == "install" && $0.subject == "node \(lagging)" })
    let machine = cluster.peer(lagging)!.machine
    #expect(try machine.get(Bytes("k19".utf8)) == Bytes("v19".utf8))
    // And it survives a power cut and restart from the installed snapshot.
    _ = try cluster.kill(lagging)
    try cluster.restart(lagging)
    #expect(try cluster.peer(lagging)!.machine.get(Bytes("k0".utf8)) == Bytes("v0".utf8))
  }

  @Test("§8 a retried write is applied once: the state machine remembers each client's last sequence number")
  func exactlyOnce() throws {
    let cluster = try ManualCluster(nodes: 3)
    let leader = try Self.elect(cluster)
    var batch = WriteBatch()
    batch.put(Bytes("n".utf8), Bytes("1".utf8))
    let command = ClientCommand(client: 42, sequence: 7, batch: batch)
    let peer = cluster.peer(leader)!
    _ = try peer.propose(command)
    _ = try cluster.write(Self.put("n", "2"))
    _ = try peer.propose(command)  // the retry, after another write
    try cluster.tick(5)
    #expect(try peer.machine.get(Bytes("n".utf8)) == Bytes("2".utf8))
    #expect(peer.machine.lastSequence(of: 42) == 7)
  }

  @Test("§8 reads go through ReadIndex: a leader cut off from the majority cannot answer one")
  func readIndex() throws {
    let cluster = try ManualCluster(nodes: 3)
    let leader = try Self.elect(cluster)
    _ = try cluster.write(Self.put("x", "1"))
    #expect(try cluster.read(Bytes("x".utf8)) == Bytes("1".utf8))
    try cluster.partition([[leader], (NodeID(1)...3).filter { $0 != leader }])
    #expect(throws: ClusterError.self) { try cluster.read(Bytes("x".utf8), patience: 5) }
  }
}

extension PaperScenarioTests {
  @Test("§6.4.1 lease reads: without CheckQuorum a leader answers from its lease after another was elected")
  func leaseReadsWithoutCheckQuorum() throws {
    for checkQuorum in [true, false] {
      let cluster = try ManualCluster(nodes: 3) { config in
        config.leaseReads = true
        config.checkQuorum = checkQuorum
      }
      let old = try Self.elect(cluster)
      _ = try cluster.write(Self.put("x", "1"))
      try cluster.tick(2)
      // Node `a` still hears the old leader but cannot answer it; node `b`
      // hears neither it nor anyone who would tell it.
      let a = NodeID(old % 3 + 1)
      let b = NodeID(a % 3 + 1)
      try cluster.partition([[old], [b]])
      try cluster.block(from: [a], to: [old])
      let elected = (try? cluster.tick(node: b, limit: 40) { $0.peer(b)?.node.role == .leader }) != nil
      if checkQuorum {
        // Node a heard from its leader within an election timeout: it
        // ignores b's requests, so nobody else leads and the lease is true.
        #expect(!elected)
        #expect(try Self.leaseRead(cluster, at: old, key: "x") == Bytes("1".utf8))
      } else {
        #expect(elected)
        cluster.heal()
        try cluster.partition([[old], [a, b]])
        _ = try cluster.write(Self.put("x", "2"))
        // The old leader's lease has not run out on its clock: a stale read.
        #expect(try Self.leaseRead(cluster, at: old, key: "x") == Bytes("1".utf8))
      }
    }
  }

  static func leaseRead(_ cluster: ManualCluster, at id: NodeID, key: String) throws -> Bytes? {
    let peer = try #require(cluster.peer(id))
    do throws(RaftError) {
      try peer.read(Bytes(key.utf8), context: 99)
    } catch {
      throw ClusterError("\(error)")
    }
    let (_, replies) = try peer.process()
    for case .read(99, _, let value) in replies { return value }
    throw ClusterError("no answer")
  }
}
