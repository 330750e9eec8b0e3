import Chapter1WAL

// snippet: raft-figure-8
/// Figure 8 of the paper, replayed message by message on five nodes.
///
/// The figure shows why a leader may not count replicas of an entry from an
/// earlier term: such an entry can sit on a majority and still be replaced.
/// The replay:
///
/// 1. Node 1 leads term 1 and appends a client's write at index 2, which
///    reaches node 2 only.
/// 2. Node 1 loses power. Node 5 wins term 2 with the votes of 3 and 4 and
///    appends its no-op at index 2, which reaches nobody; it loses power too.
/// 3. Node 1 comes back and wins term 3 (votes from 2 and 3). It sends the
///    term-1 entry at index 2 to node 3: now nodes 1, 2 and 3 hold it, a
///    majority. The rule of §5.4.2 says: not committed yet. With
///    `RaftBug.commitPreviousTermByCounting`, node 1 commits it and tells the
///    client the write is done.
/// 4. Node 1 loses power before its own term-3 entry spreads. Node 5 comes
///    back and wins term 4 (its last entry, 2@2, is newer than the 2@1 on
///    nodes 2 and 3, and node 4 has nothing there), and replicates its log: index 2 becomes 2@2 everywhere.
///
/// Correct, the write was never acknowledged, so nothing promised is lost.
/// Broken, a write the client was told is done has vanished.
///
/// - Returns: the replay's narration and the cluster's picture after each
///   step; `lost` is whether an acknowledged write disappeared.
public enum Figure8 {
  public static func replay(bug: Bool, tracer: Tracer = .disabled) throws -> (lines: [String], lost: Bool) {
    let cluster = try ManualCluster(nodes: 5, tracer: tracer) { config in
      // The paper's Raft, without the dissertation's refinements, whose
      // leases would keep node 5 from winning in step 4.
      config.preVote = false
      config.checkQuorum = false
      config.maxEntriesPerAppend = 1
      if bug { config.bugs = [.commitPreviousTermByCounting] }
    }
    var lines: [String] = []
    func show(_ caption: String) {
      lines.append(caption)
      lines += ClusterPicture.lines(cluster).map { "  " + $0 }
    }
    func leads(_ id: NodeID) -> (ManualCluster) -> Bool { { $0.peer(id)?.node.role == .leader } }
    func wins(_ id: NodeID) throws {
      try cluster.tick(node: id, until: leads(id))
    }

    // (a) Node 1 leads term 1; its write at index 2 reaches node 2 only.
    try wins(1)
    try cluster.deliverAll()
    try cluster.tick(node: 1, limit: 1) { _ in true }
    try cluster.deliverAll()
    var write = WriteBatch()
    write.put(Bytes("x".utf8), Bytes("1".utf8))
    let index = try cluster.propose(write, at: 1)
    cluster.drop { $0.from == 1 && $0.to != 2 }
    try cluster.deliver { $0.to == 2 }
    cluster.drop { _ in true }
    show("(a) node 1 leads term 1; the write at index \(index) reaches node 2 only")

    // (b) Node 1 down; node 5 wins term 2 and appends at index 2, alone.
    _ = try cluster.kill(1)
    try cluster.partition([[2], [3, 4, 5]])
    try wins(5)
    cluster.drop { $0.from == 5 }
    _ = try cluster.kill(5)
    cluster.heal()
    show("(b) node 5 won term 2 with votes from 3 and 4, appended 2@2 alone, lost power")

    // (c) Node 1 back, wins term 3, sends 2@1 to node 3 and no further.
    try cluster.restart(1)
    try cluster.partition([[1, 2, 3], [4]])
    try cluster.tick(node: 1, limit: 60, until: leads(1))
    cluster.drop { _ in true }
    // Node 1 finds where node 3's log agrees with its own (node 3 rejects
    // the first append, node 1 steps back to the hint) and sends it 2@1;
    // the no-op 3@3 that would follow is lost on the way.
    func replicated() -> Bool {
      let progress = cluster.peer(1)?.node.progress ?? [:]
      return (progress[2]?.match ?? 0) >= index && (progress[3]?.match ?? 0) >= index
    }
    for _ in 0..<30 where !replicated() {
      try cluster.tick(node: 1, limit: 1) { _ in true }
      for _ in 0..<20 where !cluster.messagesInFlight.isEmpty && !replicated() {
        // Once node 3 holds 2@1, the append that would bring 3@3 is lost.
        let holds = cluster.peer(3)?.node.log.term(at: index) == 1
        cluster.drop { holds && $0.to == 3 && $0.entries.contains { $0.term == 3 } }
        try cluster.deliver { _ in true }
      }
    }
    cluster.drop { _ in true }
    let committed = cluster.peer(1)?.node.commit ?? 0
    show(
      "(c) node 1 won term 3; 2@1 is on nodes 1, 2 and 3: "
        + (committed >= index ? "node 1 counted them and committed it" : "a majority, yet not committed (§5.4.2)"))
    let acknowledged = cluster.acknowledged(1)
    lines.append(acknowledged ? "    the client is told: write done" : "    the client is still waiting")

    // (d) Node 1 down again; node 5 back, wins term 4, overwrites index 2.
    _ = try cluster.kill(1)
    try cluster.restart(5)
    cluster.heal()
    try cluster.tick(node: 5, limit: 60, until: leads(5))
    try cluster.tick(5)
    show("(d) node 1 lost power again; node 5 came back and won term 4 (2@2 is newer than 2@1)")
    let overwritten = cluster.peer(2)?.node.log.term(at: index) != 1
    lines.append(
      acknowledged && overwritten
        ? "the write acknowledged in (c) is gone: index \(index) now holds node 5's 2@2 everywhere"
        : "nothing acknowledged is lost: the write at index \(index) was never committed, so replacing it breaks no promise"
    )
    // The client's view, for the checker: its put, answered in (c) or never,
    // then a get through the new leader.
    var history = History()
    let put = history.invoke(client: 1, key: Bytes("x".utf8), kind: .put(Bytes("1".utf8)), at: 1)
    if acknowledged { history.complete(put, at: 2) }
    let get = history.invoke(client: 2, key: Bytes("x".utf8), kind: .get, at: 3)
    history.complete(get, at: 4, observed: try cluster.read(Bytes("x".utf8)))
    let verdict = Linearizability.check(history)
    let lost = verdict != .linearizable
    lines.append(
      lost
        ? "the checker: not linearizable (a completed put of x, then a get of x that finds nothing)"
        : "the checker: linearizable (a put never answered may never have happened)")
    return (lines, lost)
  }
}
// end snippet
