import Chapter1WAL
import Chapter8Raft

/// Chapter 8 in the tools: a Raft cluster, simulated in this process and
/// driven by hand. `cluster N` builds one (three nodes when the shell
/// opens), `tick` moves its clocks, `partition`, `heal`, `kill` and
/// `restart` break and mend it, `status` draws it, and the data commands
/// (`put`, `get`, `delete`, `scan`, `batch`, `fill`) go through its leader.
/// `crash` cuts every node's power at once. `scenario figure-8` replays the
/// paper's Figure 8; `beach raft-sim` runs seeded simulations with faults.
enum Chapter8Adapter {
  static let adapter = ChapterAdapter(
    shell: shellEngine,
    bench: BenchEngineDescriptor(
      chapter: 8, hasFilters: true, flushes: true, iteratesBackward: false, compacts: true,
      open: Chapter6Engine.bench.open),
    tools: Chapter8Tools.all + [RaftSimCommand.self])

  /// The cluster, simulated in memory: not the shell's default engine
  /// (`--chapter 8` opens it), since it keeps nothing in the directory.
  static let shellEngine: EngineDescriptor = {
    var descriptor = EngineDescriptor(
      chapter: 8, title: "Raft",
      commands: [cluster, tick, partition, heal, kill, restart, status, scenario, crash, reopen, sync],
      showTopics: [
        .of(Chapter8Engine.self, "cluster", summary: "every node: role, term, vote, commit, applied; the logs") {
          engine, _ in ClusterPicture.lines(engine.cluster)
        }
      ],
      ownsFile: { _ in false }
    ) { environment in try Chapter8Engine(environment: environment, nodes: 3) }
    descriptor.keepsItsDirectory = false
    return descriptor
  }()

  static let cluster = Command(
    name: "cluster", usage: "cluster N [snapshot-every K]",
    summary: "start a fresh simulated cluster of N nodes (1 to 7)",
    help: """
      Throws away the current cluster and starts N new nodes, each with an \
      empty in-memory disk, all followers in term 0. Nothing happens until \
      you tick: after 10 to 19 ticks one of them times out and campaigns. \
      Each node snapshots its state machine every K applied entries \
      (default \(Chapter8Engine.snapshotEvery); 0: never) and drops the log \
      before it.
      """,
    arity: 1...3, completions: [.none, .words(["snapshot-every"])]
  ) { shell, arguments in
    let engine = try shell.engine(as: Chapter8Engine.self)
    let nodes = try arguments.integer(0, "the number of nodes", in: 1...7)
    var snapshotEvery = Chapter8Engine.snapshotEvery
    if arguments.count > 1 {
      guard arguments.count == 3, try arguments.choice(1, ["snapshot-every"]) == "snapshot-every" else {
        throw ShellError("usage: cluster N [snapshot-every K]")
      }
      snapshotEvery = try arguments.integer(2, "snapshot-every", in: 0...1_000_000)
    }
    try engine.rebuild(nodes: nodes, snapshotEvery: snapshotEvery)
    shell.say("\(Format.plural(nodes, "node")), all followers in term 0; tick to let one campaign")
  }

  static let tick = Command(
    name: "tick", usage: "tick [N]", summary: "move every running node's clock N ticks (default 1)",
    help: """
      One tick is what a node counts its timeouts in: a leader sends \
      heartbeats every tick; a follower campaigns after 10 to 19 ticks \
      without hearing from one. After each tick every message in flight is \
      delivered (unless a partition stops it), so the trace shows each \
      election and each round of replication.
      """,
    arity: 0...1
  ) { shell, arguments in
    let engine = try shell.engine(as: Chapter8Engine.self)
    let count = arguments.isEmpty ? 1 : try arguments.integer(0, "the number of ticks", in: 1...10_000)
    try engine.cluster.tick(count)
    shell.say(engine.oneLine)
  }

  static let partition = Command(
    name: "partition", usage: "partition 1 | 2 3   (or 1 -> 2 3, one way)",
    summary: "cut the network between groups of nodes",
    help: """
      partition 1 | 2 3: messages between node 1 and nodes 2 and 3 are lost, \
      both ways. partition 1 -> 2 3: only those from 1 to 2 and 3. Groups \
      may hold several nodes (partition 1 2 | 3 4 5). heal mends it.
      """,
    arity: 3...16
  ) { shell, arguments in
    let engine = try shell.engine(as: Chapter8Engine.self)
    let words = (0..<arguments.count).map { arguments.text($0) }
    let separator = words.first { $0 == "|" || $0 == "->" }
    guard let separator, let cut = words.firstIndex(of: separator) else {
      throw ShellError("usage: partition 1 | 2 3, or partition 1 -> 2 3")
    }
    func ids(_ slice: ArraySlice<String>) throws -> [NodeID] {
      try slice.map { word in
        guard let id = NodeID(word), id >= 1, id <= NodeID(engine.cluster.size) else {
          throw ShellError("'\(word)' is not a node: the cluster has nodes 1 to \(engine.cluster.size)")
        }
        return id
      }
    }
    let left = try ids(words[..<cut])
    let right = try ids(words[(cut + 1)...])
    guard !left.isEmpty, !right.isEmpty, Set(left).isDisjoint(with: right) else {
      throw ShellError("each side needs at least one node, and no node on both sides")
    }
    if separator == "|" {
      try engine.cluster.partition([left, right])
    } else {
      try engine.cluster.block(from: left, to: right)
    }
    let (from, arrow) = separator == "|" ? ("between ", " and ") : ("from ", " to ")
    shell.say(
      "messages " + from + left.map(String.init).joined(separator: " ") + arrow
        + right.map(String.init).joined(separator: " ") + " are now lost")
  }

  static let heal = Command(
    name: "heal", usage: "heal", summary: "mend every partition", help: "Every link between nodes works again.",
    arity: 0...0
  ) { shell, _ in
    try shell.engine(as: Chapter8Engine.self).cluster.heal()
    shell.say("every link works again")
  }

  static let kill = Command(
    name: "kill", usage: "kill N", summary: "cut node N's power (what it had not synced is lost)",
    help: """
      Node N stops at once; its disk keeps exactly what was synced (the \
      trace lists each loss). Messages to it are lost until restart N.
      """,
    arity: 1...1
  ) { shell, arguments in
    let engine = try shell.engine(as: Chapter8Engine.self)
    let id = NodeID(try arguments.integer(0, "the node", in: 1...engine.cluster.size))
    let lost = try engine.cluster.kill(id)
    shell.say("node \(id) is down" + (lost.isEmpty ? "" : " (\(lost))"))
  }

  static let restart = Command(
    name: "restart", usage: "restart N", summary: "boot node N again from its disk",
    help: """
      Node N recovers its term, vote and log from its Raft storage and its \
      state machine from its own store (which records the last index it \
      applied), and starts as a follower.
      """,
    arity: 1...1
  ) { shell, arguments in
    let engine = try shell.engine(as: Chapter8Engine.self)
    let id = NodeID(try arguments.integer(0, "the node", in: 1...engine.cluster.size))
    try engine.cluster.restart(id)
    let node = engine.cluster.peer(id)!.node
    shell.say(
      "node \(id) is up: a follower in term \(node.term), log to \(node.log.lastIndex), applied \(node.applied)")
  }

  static let status = Command(
    name: "status", usage: "status", summary: "every node's role, term, vote, commit, applied; the logs side by side",
    help: """
      One line per node, then the logs: a column per index, each cell the \
      term of the entry there; [t] is past that node's commit index, . is \
      an index its log does not reach, s one folded into a snapshot.
      """,
    arity: 0...0
  ) { shell, _ in
    for line in ClusterPicture.lines(try shell.engine(as: Chapter8Engine.self).cluster) { shell.say(line) }
  }

  static let scenario = Command(
    name: "scenario", usage: "scenario figure-8 [bug]",
    summary: "replay the paper's Figure 8 on five nodes, step by step",
    help: """
      scenario figure-8: five nodes, messages delivered and lost by hand, \
      to show an entry from an earlier term sitting on a majority and still \
      being replaced, and why the leader does not count it as committed \
      (§5.4.2). scenario figure-8 bug: the same, with a leader that commits \
      by counting: the write it acknowledges is lost. The shell's cluster \
      is left as it was.
      """,
    arity: 1...2, completions: [.words(["figure-8"]), .words(["bug"])]
  ) { shell, arguments in
    _ = try arguments.choice(0, ["figure-8"])
    let bug = arguments.count == 2 ? try arguments.choice(1, ["bug"]) == "bug" : false
    let replay = try Figure8.replay(bug: bug)
    for line in replay.lines { shell.say(line) }
  }

  static let crash = Command(
    name: "crash", usage: "crash", summary: "cut every node's power at once, then boot them all",
    help: """
      A power cut of the whole cluster: each node loses what it had not \
      synced, then restarts from its disk. Every acknowledged write is \
      still there: a leader acknowledges only what a majority has synced.
      """,
    arity: 0...0
  ) { shell, _ in
    let engine = try shell.engine(as: Chapter8Engine.self)
    for id in 1...NodeID(engine.cluster.size) where engine.cluster.peer(id) != nil { _ = try engine.cluster.kill(id) }
    for id in 1...NodeID(engine.cluster.size) { try engine.cluster.restart(id) }
    shell.say("every node lost power and booted again: " + engine.oneLine)
  }
}

extension Chapter8Adapter {
  static let reopen = Command(
    name: "reopen", usage: "reopen", summary: "stop every node cleanly and boot it again",
    help: """
      Each running node closes its store and its Raft storage (nothing is \
      lost) and recovers from its own disk: term, vote and log from the Raft \
      storage, the state machine from its store. Messages in flight are lost.
      """,
    arity: 0...0
  ) { shell, _ in
    let engine = try shell.engine(as: Chapter8Engine.self)
    try engine.cluster.restartAll()
    shell.say("every running node restarted: " + engine.oneLine)
  }

  static let sync = Command(
    name: "sync", usage: "sync", summary: "chapter 8 always syncs: a node fsyncs before it answers",
    help: """
      In chapter 8 there is no switch: a node syncs its Raft log and hard \
      state before it sends anything that depends on them (the Ready \
      contract), and a leader acknowledges a write once a majority has. \
      Only the state machine's own writes go unsynced, because the log can \
      replay them.
      """,
    arity: 0...1
  ) { shell, arguments in
    guard arguments.isEmpty else {
      throw ShellError("chapter 8 has no sync switch: every node syncs its log before it answers (help sync)")
    }
    shell.say("sync on (always, in chapter 8)")
  }
}

/// Chapter 8's engine in the shell: a simulated cluster, with the data
/// commands going through its leader.
final class Chapter8Engine: ShellEngine {
  let environment: EngineEnvironment
  private(set) var cluster: ManualCluster
  private var clusterStore: ClusterStore

  /// Small, so that a short session sees a snapshot.
  static let snapshotEvery = 8

  init(environment: EngineEnvironment, nodes: Int) throws {
    self.environment = environment
    let cluster = try ManualCluster(nodes: nodes, snapshotEvery: Self.snapshotEvery, tracer: environment.tracer)
    self.cluster = cluster
    self.clusterStore = ClusterStore(cluster: cluster)
  }

  func rebuild(nodes: Int, snapshotEvery: Int) throws {
    cluster = try ManualCluster(nodes: nodes, snapshotEvery: snapshotEvery, tracer: environment.tracer)
    clusterStore = ClusterStore(cluster: cluster)
  }

  var store: any KeyValueStore { clusterStore }
  var lastSequence: SequenceNumber { clusterStore.lastIndex }
  var summary: String { oneLine }
  var handles: [String] { [] }

  /// The cluster in one line: who leads, in which term, how far committed.
  var oneLine: String {
    let running = (1...NodeID(cluster.size)).compactMap { cluster.peer($0) }
    let ticks = "tick \(cluster.ticks)"
    guard let leader = cluster.leader, let node = cluster.peer(leader)?.node else {
      return "\(ticks): no leader; \(running.count) of \(cluster.size) nodes running"
    }
    return "\(ticks): node \(leader) leads term \(node.term), commit \(node.commit)"
  }
}

/// The cluster as the shell's data commands see it: writes proposed at
/// the leader and waited for until applied there; reads by ReadIndex.
final class ClusterStore: KeyValueStore, @unchecked Sendable {
  let cluster: ManualCluster
  private(set) var lastIndex: LogIndex = 0

  init(cluster: ManualCluster) { self.cluster = cluster }

  func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    for operation in batch.operations where !KVStateMachine.isClientKey(operation.key) {
      throw ShellError("keys beginning with 0xFF 0xFF belong to the state machine")
    }
    lastIndex = try cluster.write(batch)
    return lastIndex
  }

  func get(_ key: Bytes) throws -> Bytes? { try cluster.read(key) }

  func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] { try cluster.scan(from: from, to: to) }

  func close() throws {}
}
