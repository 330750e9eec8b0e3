import Chapter1WAL

/// A cluster driven by hand, one tick or one message at a time: the shell's
/// `cluster`, `tick`, `partition`, `kill`, and the paper's scenarios.
///
/// Unlike `Simulation` there is no randomness in the network: a message
/// sent is delivered at the next delivery round unless a partition blocks
/// it, and `tick` runs rounds until nothing is in flight. Each node is the
/// same `RaftPeer` over an in-memory disk with power cuts, so `kill`
/// loses exactly what was not synced and `restart` recovers from the rest.
public final class ManualCluster {
  public let size: Int
  private let nodes: [SimulatedNode]
  private var inFlight: [Message] = []
  private var blocked: Set<Link> = []
  private var replies: [RaftPeer.Reply] = []
  private var sequence: UInt64 = 0
  private var readContext: UInt64 = 0
  /// Ticks since the cluster started.
  public private(set) var ticks = 0
  /// The client id the cluster's own writes use.
  public static let client: UInt64 = 1

  /// - Parameters:
  ///   - nodes: how many voters.
  ///   - seed: seeds every node's election timeouts.
  ///   - configure: changes each node's configuration (bugs, limits).
  public init(
    nodes: Int, seed: UInt64 = 1, snapshotEvery: Int = 0, tracer: Tracer = .disabled,
    configure: (inout RaftConfig) -> Void = { _ in }
  ) throws {
    precondition(nodes >= 1, "REQUIRES: at least one node")
    size = nodes
    let voters = (1...nodes).map { NodeID($0) }
    self.nodes = voters.map { id in
      var config = RaftConfig(id: id, voters: voters)
      config.seed = seed &+ id &* 7919
      configure(&config)
      return SimulatedNode(config: config, snapshotEvery: snapshotEvery, tracer: tracer)
    }
    for node in self.nodes { try node.start() }
  }

  public func peer(_ id: NodeID) -> RaftPeer? { node(id)?.peer }

  private func node(_ id: NodeID) -> SimulatedNode? {
    id >= 1 && id <= NodeID(size) ? nodes[Int(id) - 1] : nil
  }

  private func checked(_ id: NodeID) throws -> SimulatedNode {
    guard let node = node(id) else { throw ClusterError("no node \(id): the cluster has nodes 1 to \(size)") }
    return node
  }

  // MARK: Time and messages

  /// Moves every running node's clock `count` ticks, delivering messages
  /// after each tick until none is in flight.
  public func tick(_ count: Int = 1) throws {
    for _ in 0..<count {
      ticks += 1
      for node in nodes { try node.peer?.tick() }
      try processAll()
      try deliverAll()
    }
  }

  /// Moves only node `id`'s clock, up to `limit` ticks or until `done`
  /// holds, delivering messages after each tick: a way to choose who times
  /// out first.
  ///
  /// - Returns: the ticks it took.
  @discardableResult
  public func tick(node id: NodeID, limit: Int = 40, until done: (ManualCluster) -> Bool) throws -> Int {
    let node = try checked(id)
    for count in 1...limit {
      try node.peer?.tick()
      try process(id)
      // Check after every round, so the caller can stop the moment it holds
      // (before, say, a new leader's first appends land).
      var rounds = 0
      while true {
        if done(self) { return count }
        guard !inFlight.isEmpty, rounds < 100 else { break }
        try deliver { _ in true }
        rounds += 1
      }
    }
    throw ClusterError("node \(id): still waiting after \(limit) ticks")
  }

  /// Throws away the messages in flight that `match` picks: lost in the network.
  public func drop(where match: (Message) -> Bool) {
    inFlight.removeAll(where: match)
  }

  /// Proposes a write at node `id` without waiting for it to commit.
  public func propose(_ batch: WriteBatch, at id: NodeID) throws -> LogIndex {
    guard let peer = try checked(id).peer else { throw ClusterError("node \(id) is down") }
    sequence += 1
    let command = ClientCommand(client: Self.client, sequence: sequence, batch: batch)
    let index: LogIndex
    do throws(RaftError) {
      index = try peer.propose(command)
    } catch {
      throw ClusterError("\(error)")
    }
    try process(id)
    return index
  }

  /// Whether the write proposed with sequence number `sequence` has been
  /// acknowledged (applied at the node it was proposed to).
  public func acknowledged(_ sequence: UInt64) -> Bool {
    replies.contains {
      if case .written(Self.client, sequence, _) = $0 { return true }
      return false
    }
  }

  /// Delivers messages round by round until none is left (or `maxRounds`).
  public func deliverAll(maxRounds: Int = 100) throws {
    var rounds = 0
    while !inFlight.isEmpty && rounds < maxRounds {
      try deliver { _ in true }
      rounds += 1
    }
  }

  /// Delivers, in order, the messages in flight that `accept` picks (and a
  /// partition lets through); drops those a partition blocks; keeps the rest.
  public func deliver(_ accept: (Message) -> Bool) throws {
    let batch = inFlight
    inFlight = []
    var touched: Set<NodeID> = []
    for message in batch {
      if blocked.contains(Link(from: message.from, to: message.to)) { continue }
      guard accept(message) else {
        inFlight.append(message)
        continue
      }
      guard let peer = node(message.to)?.peer else { continue }
      peer.step(message)
      touched.insert(message.to)
    }
    for id in touched.sorted() { try process(id) }
  }

  /// The messages sent and not yet delivered.
  public var messagesInFlight: [Message] { inFlight }

  private func processAll() throws {
    for node in nodes { try process(node.id) }
  }

  private func process(_ id: NodeID) throws {
    guard let peer = node(id)?.peer else { return }
    let (messages, newReplies) = try peer.process()
    inFlight += messages
    replies += newReplies
  }

  // MARK: Faults

  /// Cuts the network between groups (`partition([[1], [2, 3]])`); nodes
  /// named in no group keep all their links.
  public func partition(_ groups: [[NodeID]]) throws {
    for group in groups { for id in group { _ = try checked(id) } }
    blocked = []
    for (i, group) in groups.enumerated() {
      for (j, other) in groups.enumerated() where i != j {
        for from in group { for to in other { blocked.insert(Link(from: from, to: to)) } }
      }
    }
  }

  /// Cuts only the messages from `from` to `to` (a one-way partition).
  public func block(from: [NodeID], to: [NodeID]) throws {
    for id in from + to { _ = try checked(id) }
    for a in from { for b in to { blocked.insert(Link(from: a, to: b)) } }
  }

  /// Every link works again.
  public func heal() { blocked = [] }

  /// Whether messages from `from` to `to` get through.
  public func isConnected(_ from: NodeID, _ to: NodeID) -> Bool { !blocked.contains(Link(from: from, to: to)) }

  /// Cuts node `id`'s power: unsynced bytes are lost, messages to it dropped.
  public func kill(_ id: NodeID) throws -> String {
    let node = try checked(id)
    guard node.peer != nil else { throw ClusterError("node \(id) is already down") }
    return try node.crash()
  }

  /// Stops every running node cleanly and boots it again: a restart with
  /// nothing lost, each node recovering from its own disk.
  public func restartAll() throws {
    for node in nodes where node.peer != nil {
      try node.stop()
      try node.start()
    }
    inFlight = []
  }

  /// Boots node `id` again from its disk.
  public func restart(_ id: NodeID) throws {
    let node = try checked(id)
    guard node.peer == nil else { throw ClusterError("node \(id) is running; kill it first") }
    try node.start()
  }

  // MARK: Clients

  /// The running node that leads the highest term, if any.
  public var leader: NodeID? {
    nodes.compactMap(\.peer).filter { $0.node.role == .leader }.max { $0.node.term < $1.node.term }?.id
  }

  /// Proposes a write at the leader and ticks until it is applied there
  /// (at most `patience` ticks: less than an election timeout, so a write
  /// to a leader cut off fails before the cluster has moved on).
  ///
  /// - Returns: the log index the write got.
  public func write(_ batch: WriteBatch, patience: Int = 8) throws -> LogIndex {
    guard let leader, let peer = peer(leader) else { throw ClusterError(noLeader) }
    sequence += 1
    let command = ClientCommand(client: Self.client, sequence: sequence, batch: batch)
    do throws(RaftError) {
      _ = try peer.propose(command)
    } catch {
      throw ClusterError("\(error)")
    }
    try process(leader)
    try deliverAll()
    for _ in 0..<patience {
      if let index = takeWritten(sequence) { return index }
      try tick()
    }
    if let index = takeWritten(sequence) { return index }
    throw ClusterError(
      "write \(sequence) not committed after \(patience) ticks: node \(leader) cannot reach a majority;"
        + " the entry stays in its log, uncommitted")
  }

  /// A linearizable read through the leader (ReadIndex), ticking until the
  /// leader has confirmed it still leads.
  public func read(_ key: Bytes, patience: Int = 30) throws -> Bytes? {
    guard let leader, let peer = peer(leader) else { throw ClusterError(noLeader) }
    readContext += 1
    let context = readContext
    for _ in 0...patience {
      if let refusal = start(read: key, context: context, at: peer) {
        if case .notLeader = refusal { throw ClusterError("\(refusal)") }
        try tick()
        continue
      }
      try process(leader)
      try deliverAll()
      for _ in 0...patience {
        if let value = takeRead(context) { return value }
        try tick()
      }
      break
    }
    throw ClusterError("read not confirmed after \(patience) ticks: the leader cannot reach a majority")
  }

  /// Every client key and value the leader's state machine holds, after a
  /// linearizable read confirms it still leads.
  public func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] {
    _ = try read([])
    guard let leader, let peer = peer(leader) else { throw ClusterError(noLeader) }
    return try peer.machine.store.scan(from: from, to: to).filter { KVStateMachine.isClientKey($0.key) }
  }

  private func start(read key: Bytes, context: UInt64, at peer: RaftPeer) -> RaftError? {
    do throws(RaftError) {
      try peer.read(key, context: context)
      return nil
    } catch {
      return error
    }
  }

  private var noLeader: String {
    let running = nodes.filter { $0.peer != nil }.count
    if running == 0 { return "every node is down; restart one" }
    return "no leader yet (\(running) of \(size) nodes running); tick to let an election happen"
  }

  private func takeWritten(_ sequence: UInt64) -> LogIndex? {
    guard
      let position = replies.firstIndex(where: {
        if case .written(Self.client, sequence, _) = $0 { return true }
        return false
      })
    else { return nil }
    guard case .written(_, _, let index) = replies.remove(at: position) else { return nil }
    return index
  }

  private func takeRead(_ context: UInt64) -> Bytes?? {
    guard
      let position = replies.firstIndex(where: {
        if case .read(context, _, _) = $0 { return true }
        return false
      })
    else { return nil }
    guard case .read(_, _, let value) = replies.remove(at: position) else { return nil }
    return .some(value)
  }
}

/// A request the cluster cannot carry out, said in one line.
public struct ClusterError: Error, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
