import Chapter1WAL
import HeapModule

/// A whole cluster, its network and its clients in one thread, on a virtual
/// clock, every random choice drawn from one seed.
///
/// Each node is a `RaftPeer`, the same driver `beach serve --raft` runs,
/// over its own in-memory disk behind chapter 1's power-cut layer: a crash
/// really loses what was not synced. The network is a priority queue of
/// deliveries: each message gets a random delay (so messages overtake each
/// other), and may be dropped, duplicated, or blocked by a partition.
/// Clients issue puts and gets against the nodes, retrying on timeouts and
/// following redirects; every operation goes into a `History` with the
/// virtual times it was invoked and answered.
///
/// After the run, two checks: **state machine safety** (no two nodes ever
/// applied different entries at one index, §5.4.3) and **linearizability**
/// of the clients' history (`Linearizability.check`). A failure prints the
/// seed, and the same options replay the same run, message for message.
public final class Simulation {
  public let options: SimulationOptions
  /// Virtual milliseconds since the start.
  public private(set) var now: UInt64 = 0
  public private(set) var history = History()
  public private(set) var stats = Stats()
  /// Lines describing the faults and elections, in order, for a report.
  public private(set) var log: [String] = []

  private var random: SeededGenerator
  private var events = Heap<Event>()
  private var sequence: UInt64 = 0
  private var nodes: [SimulatedNode] = []
  private var clients: [SimulatedClient] = []
  private var blocked: Set<Link> = []
  private var appliedTerms: [LogIndex: (term: Term, node: NodeID)] = [:]
  private var safetyViolations: [String] = []
  private var reported: Set<LogIndex> = []
  private var lastLeader: (node: NodeID, term: Term)?

  /// What happened in a run, in numbers.
  public struct Stats: Sendable, Equatable {
    public var messagesSent = 0
    public var messagesDropped = 0
    public var crashes = 0
    public var partitions = 0
    public var leaderChanges = 0
    public var snapshotsInstalled = 0
    public var operationsCompleted = 0
    /// Virtual milliseconds until the first leader was elected.
    public var firstLeaderAt: UInt64?
  }

  /// The outcome of a run: its statistics and the first violation found.
  public struct Outcome: Sendable {
    public var options: SimulationOptions
    public var stats: Stats
    public var history: History
    /// Empty when both checks passed.
    public var violations: [String]
    public var verdict: Linearizability.Verdict
    /// The faults and elections, in order.
    public var log: [String]
    /// How long the linearizability check took (real time).
    public var checkDuration: Duration
    public var passed: Bool { violations.isEmpty }
  }

  /// - Parameter tracer: receives every node's `raft` events (and the
  ///   power-cut layer's), for a run worth reading step by step.
  public init(options: SimulationOptions, tracer: Tracer = .disabled) throws {
    self.options = options
    self.random = SeededGenerator(seed: options.seed)
    let voters = (1...options.nodes).map { NodeID($0) }
    for id in voters {
      var config = RaftConfig(id: id, voters: voters)
      config.seed = options.seed &+ id &* 7919
      config.preVote = options.preVote
      config.checkQuorum = options.checkQuorum
      config.leaseReads = options.leaseReads
      config.bugs = options.bugs
      config.maxEntriesPerAppend = options.maxEntriesPerAppend
      let node = SimulatedNode(config: config, snapshotEvery: options.snapshotEvery, tracer: tracer)
      try node.start()
      nodes.append(node)
      // Nodes tick out of step with each other, as real clocks do.
      schedule(at: UInt64.random(in: 0..<options.tickMilliseconds, using: &random), .tick(id))
    }
    for client in 1...options.clients {
      clients.append(SimulatedClient(id: UInt64(client), nodes: options.nodes))
      schedule(at: UInt64.random(in: 0..<50, using: &random), .clientNext(UInt64(client)))
    }
    if options.partitionEvery > 0 { schedule(at: gap(options.partitionEvery), .partition) }
    if options.crashEvery > 0 { schedule(at: gap(options.crashEvery), .crash) }
  }

  /// Runs a simulation and checks it.
  public static func run(_ options: SimulationOptions) throws -> Outcome {
    let simulation = try Simulation(options: options)
    try simulation.run()
    return simulation.check()
  }

  // MARK: Running

  /// Runs until `options.duration`, then lets the cluster heal and settle
  /// so that operations still in flight can finish.
  public func run() throws {
    try run(until: options.duration)
    blocked = []
    for node in nodes where node.peer == nil { try node.start() }
    try run(until: options.duration + 2_000)
  }

  /// Runs events up to virtual time `end`.
  public func run(until end: UInt64) throws {
    while let event = events.min, event.time <= end {
      _ = events.removeMin()
      now = event.time
      try handle(event.kind)
    }
    now = max(now, end)
  }

  private func handle(_ kind: Event.Kind) throws {
    switch kind {
    case .tick(let id):
      try node(id).peer?.tick()
      try process(id)
      schedule(after: options.tickMilliseconds, .tick(id))
    case .deliver(let message):
      guard let peer = node(message.to).peer else { return }
      if message.kind == .snapshot { stats.snapshotsInstalled += 1 }
      peer.step(message)
      try process(message.to)
    case .request(let node, let request): try receive(request, at: node)
    case .response(let client, let response): clientReceives(response, client: client)
    case .clientNext(let client): clientStarts(client)
    case .clientTimeout(let client, let attempt): clientTimedOut(client, attempt: attempt)
    case .partition: partition()
    case .heal:
      blocked = []
      log.append("\(now) ms: healed")
      if options.partitionEvery > 0 { schedule(after: gap(options.partitionEvery), .partition) }
    case .crash: try crash()
    case .restart(let id):
      try node(id).start()
      log.append("\(now) ms: node \(id) restarts")
    }
  }

  private func node(_ id: NodeID) -> SimulatedNode { nodes[Int(id) - 1] }

  /// Carries out a node's ready: messages onto the network, replies to
  /// whichever clients asked this node.
  private func process(_ id: NodeID) throws {
    let node = node(id)
    guard let peer = node.peer else { return }
    // A leader's appends go out before its own fsync, as in the real server.
    let (messages, replies) = try peer.process { early in for message in early { self.send(message) } }
    for message in messages { send(message) }
    for reply in replies { node.answer(reply, simulation: self) }
    noteApplied(node)
    if peer.node.role == .leader, lastLeader?.term != peer.node.term {
      lastLeader = (id, peer.node.term)
      stats.leaderChanges += 1
      if stats.firstLeaderAt == nil { stats.firstLeaderAt = now }
      log.append("\(now) ms: node \(id) leads term \(peer.node.term)")
    }
  }

  /// State machine safety: what each node applies at an index must be the
  /// same entry everywhere (§5.4.3).
  private func noteApplied(_ node: SimulatedNode) {
    for entry in node.drainApplied() {
      if let seen = appliedTerms[entry.index] {
        if seen.term != entry.term && safetyViolations.count < 5 && reported.insert(entry.index).inserted {
          safetyViolations.append(
            "state machine safety: node \(node.id) applied \(entry.index)@\(entry.term), "
              + "node \(seen.node) applied \(entry.index)@\(seen.term)")
        }
      } else {
        appliedTerms[entry.index] = (entry.term, node.id)
      }
    }
  }

  // MARK: Network

  private func send(_ message: Message) {
    stats.messagesSent += 1
    if blocked.contains(Link(from: message.from, to: message.to)) || chance(options.dropRate) {
      stats.messagesDropped += 1
      return
    }
    schedule(after: UInt64.random(in: options.delay, using: &random), .deliver(message))
    if chance(options.duplicateRate) {
      schedule(after: UInt64.random(in: options.delay, using: &random), .deliver(message))
    }
  }

  private func partition() {
    let ids = nodes.map(\.id).shuffled(using: &random)
    let cut = Int.random(in: 1..<ids.count, using: &random)
    let side = Set(ids[..<cut])
    let oneWay = chance(0.3)
    for from in ids {
      for to in ids where side.contains(from) != side.contains(to) {
        if !oneWay || side.contains(from) { blocked.insert(Link(from: from, to: to)) }
      }
    }
    stats.partitions += 1
    let other = ids.filter { !side.contains($0) }
    log.append(
      "\(now) ms: partition \(side.sorted().map(String.init).joined(separator: " ")) \(oneWay ? "→" : "|") "
        + other.sorted().map(String.init).joined(separator: " ") + (oneWay ? " (one-way)" : ""))
    schedule(after: UInt64.random(in: 100...600, using: &random), .heal)
  }

  private func crash() throws {
    var victim = nodes.randomElement(using: &random)!
    if options.crashLeaders, let leader = nodes.first(where: { $0.peer?.node.role == .leader }) {
      victim = leader
    }
    if victim.peer != nil {
      let lost = try victim.crash()
      stats.crashes += 1
      log.append("\(now) ms: power cut on node \(victim.id)" + (lost.isEmpty ? "" : " (lost \(lost))"))
      schedule(after: UInt64.random(in: 50...400, using: &random), .restart(victim.id))
    }
    schedule(after: gap(options.crashEvery), .crash)
  }

  // MARK: Clients

  private func clientStarts(_ id: UInt64) {
    guard now < options.duration else { return }
    let client = clients[Int(id) - 1]
    let key = Bytes("k\(Int.random(in: 0..<options.keys, using: &random))".utf8)
    if chance(options.readShare) {
      let operation = history.invoke(client: id, key: key, kind: .get, at: now)
      client.begin(.get(client: id, key: key, operation: operation), historyID: operation)
    } else {
      client.sequence += 1
      let value = Bytes("\(id).\(client.sequence)".utf8)
      var batch = WriteBatch()
      batch.put(key, value)
      let command = ClientCommand(client: id, sequence: client.sequence, batch: batch)
      client.begin(
        .put(command), historyID: history.invoke(client: id, key: key, kind: .put(value), at: now))
    }
    sendAttempt(client)
  }

  private func sendAttempt(_ client: SimulatedClient) {
    guard let request = client.current else { return }
    client.attempt += 1
    schedule(after: UInt64.random(in: options.delay, using: &random), .request(client.target, request))
    schedule(after: options.clientTimeout, .clientTimeout(client.id, attempt: client.attempt))
  }

  private func receive(_ request: ClientRequest, at id: NodeID) throws {
    let node = node(id)
    guard let peer = node.peer else { return }
    do throws(RaftError) {
      switch request {
      case .put(let command):
        _ = try peer.propose(command)
        node.waitingWrites[WriteID(client: command.client, sequence: command.sequence)] = command.client
      case .get(let client, let key, let operation):
        sequence += 1
        try peer.read(key, context: sequence)
        node.waitingReads[sequence] = (client, operation)
      }
    } catch {
      // Not the leader: say who is. A leader not yet ready for reads says
      // nothing; the client times out and asks again.
      if case .notLeader(let leader) = error { respond(to: request.client, .redirect(leader)) }
      return
    }
    try process(id)
  }

  func respond(to client: UInt64, _ response: ClientResponse) {
    schedule(after: UInt64.random(in: options.delay, using: &random), .response(client, response))
  }

  private func clientReceives(_ response: ClientResponse, client id: UInt64) {
    let client = clients[Int(id) - 1]
    guard let request = client.current, let historyID = client.historyID else { return }
    switch response {
    case .redirect(let leader):
      client.target = leader == 0 ? client.nextTarget() : leader
      sendAttempt(client)
      return
    case .written(let sequence):
      guard case .put(let command) = request, command.sequence == sequence else { return }
      history.complete(historyID, at: now)
    case .read(let operation, let key, let value):
      guard case .get(_, let wanted, let current) = request, wanted == key, operation == current else { return }
      history.complete(historyID, at: now, observed: value)
    }
    stats.operationsCompleted += 1
    client.finish()
    schedule(after: UInt64.random(in: 0...20, using: &random), .clientNext(id))
  }

  private func clientTimedOut(_ id: UInt64, attempt: Int) {
    let client = clients[Int(id) - 1]
    guard client.current != nil, client.attempt == attempt else { return }
    client.target = client.nextTarget()
    sendAttempt(client)
  }

  // MARK: Checking

  /// Both checks over the finished run.
  public func check() -> Outcome {
    var violations = safetyViolations
    let clock = ContinuousClock()
    let start = clock.now
    let verdict = Linearizability.check(history)
    let checkDuration = clock.now - start
    switch verdict {
    case .linearizable: break
    case .violation(let violation): violations.append("not linearizable: \(violation)")
    case .unknown: violations.append("linearizability undecided: the checker's budget ran out")
    }
    return Outcome(
      options: options, stats: stats, history: history, violations: violations, verdict: verdict, log: log,
      checkDuration: checkDuration)
  }

  // MARK: Randomness and events

  private func chance(_ probability: Double) -> Bool {
    probability > 0 && Double.random(in: 0..<1, using: &random) < probability
  }

  /// A random gap with mean `mean`: uniform on [mean/2, 3·mean/2].
  private func gap(_ mean: UInt64) -> UInt64 { UInt64.random(in: mean / 2...mean + mean / 2, using: &random) }

  private func schedule(at time: UInt64, _ kind: Event.Kind) {
    sequence += 1
    events.insert(Event(time: time, order: sequence, kind: kind))
  }

  private func schedule(after delay: UInt64, _ kind: Event.Kind) { schedule(at: now + delay, kind) }

  /// The node a test or the shell wants to look at.
  public func peer(_ id: NodeID) -> RaftPeer? { node(id).peer }
}

struct Link: Hashable {
  var from: NodeID
  var to: NodeID
}

struct Event: Comparable {
  enum Kind {
    case tick(NodeID)
    case deliver(Message)
    case request(NodeID, ClientRequest)
    case response(UInt64, ClientResponse)
    case clientNext(UInt64)
    case clientTimeout(UInt64, attempt: Int)
    case partition
    case heal
    case crash
    case restart(NodeID)
  }

  var time: UInt64
  var order: UInt64
  var kind: Kind

  static func < (a: Event, b: Event) -> Bool { (a.time, a.order) < (b.time, b.order) }
  static func == (a: Event, b: Event) -> Bool { (a.time, a.order) == (b.time, b.order) }
}
