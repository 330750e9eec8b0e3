import Chapter1WAL
import Chapter6Compaction
import Chapter7Server
import NIOCore
import NIOPosix

/// How one node of a real cluster runs: who it is, where everyone is,
/// where its disk is, and how fast its clock ticks.
public struct RaftNodeOptions: Sendable {
  /// This node.
  public var id: NodeID
  /// Every node's address, this one's included (it listens there).
  public var members: ClusterMembers
  /// The node's directory: `raft/` for its log and snapshot, `data/` for
  /// chapter 6's database, the state machine's store.
  public var directory: String
  /// Snapshot (and drop the log before it) every this many applied
  /// entries; 0 never.
  public var snapshotEvery = Self.defaultSnapshotEvery
  /// 100,000 entries, etcd's default `--snapshot-count`. A snapshot here
  /// is a scan of the whole store written out on the driver loop, which
  /// stalls the node for as long as that takes: frequent ones put their
  /// stall in the tail of every client's latency.
  public static let defaultSnapshotEvery = 100_000
  /// Real time per tick of the Raft clock.
  public var tickInterval: TimeAmount = .milliseconds(10)
  /// Election timeout in ticks: with 10 ms ticks, 100 to 200 ms.
  public var electionTicks = 10
  /// Ticks between heartbeats. Two (20 ms) rather than one: five to ten
  /// heartbeats fit in an election timeout, so a follower campaigns only
  /// after several are lost in a row (an fsync that stalls a leader's loop
  /// for 30 ms does not start an election), at half the messages of one
  /// tick; a ReadIndex read sends its own heartbeat round and does not wait
  /// for this one.
  public var heartbeatTicks = 2
  /// The memtable size of the state machine's database.
  public var memtableSize = 4 << 20
  /// Where the node's role changes are told ("node 2 leads term 3"), for a
  /// log.
  public var onEvent: (@Sendable (String) -> Void)?

  public init(id: NodeID, members: ClusterMembers, directory: String) {
    self.id = id
    self.members = members
    self.directory = directory
  }
}

/// Why a node refused a chapter 7 request (GET, PUT, ...) it cannot serve:
/// it is not the leader, or it has stopped.
public struct RaftServerError: Error, Equatable, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}

/// A Raft node as chapter 7's `ServerEngine`: the server's frames, limits
/// and deadlines in front, a `RaftPeer` behind, on a driver loop of its own.
///
/// **One thread owns the peer.** `RaftPeer` is not thread-safe, so every
/// touch of it (a tick, a message from a peer, a client's proposal or
/// read, the rounds of `process()`) runs on one NIO event loop, the driver
/// loop, which nothing else uses. Connections live on the server's loops
/// and hand their requests over with `submit`; answers come back as
/// futures. Blocking the driver loop on fsync is its job: the log must be
/// on disk before the messages that promise it leave.
///
/// **One round for many events.** A message or a proposal does not run
/// `process()` at once: it asks for a round, and the round runs after every
/// task already queued on the loop. The messages and proposals that arrived
/// together are then persisted with one fsync, group commit as in chapter 1.
///
/// **Clients wait on promises.** A write is answered when the state machine
/// applies it (or its earlier copy: a retry), a read when ReadIndex says the
/// state machine is current; if the node stops being leader first, every
/// waiting client is told to go to the new leader, and retries with the same
/// client id and sequence number, which makes the retry safe.
public final class RaftServerEngine: ServerEngine, @unchecked Sendable {
  // @unchecked: the mutable state below is touched only on `loop`.
  public let id: NodeID
  public let members: ClusterMembers
  /// The driver loop.
  let loop: any EventLoop
  private let group: MultiThreadedEventLoopGroup
  private let peer: RaftPeer
  private let database: Chapter6Compaction.Database
  private let transport: RaftTransport
  private let onEvent: (@Sendable (String) -> Void)?
  /// The client id of chapter 7's requests sent to this node (PUT, BATCH…):
  /// fresh for each process, so its sequence numbers start again at 1.
  private let ownClient = UInt64.random(in: 1...UInt64.max)

  private var ownSequence: UInt64 = 0
  private var ticker: RepeatedTask?
  private var roundScheduled = false
  private var waitingWrites: [WaitingWrite: [EventLoopPromise<ClusterReply>]] = [:]
  private var waitingReads: [UInt64: (read: WaitingRead, promise: EventLoopPromise<ClusterReply>)] = [:]
  private var nextContext: UInt64 = 0
  private var leading: Term?
  private var stopped: String?
  private let closed = Locked(false)

  private struct WaitingWrite: Hashable {
    var client: UInt64
    var sequence: UInt64
  }

  private enum WaitingRead {
    case get
    case scan(ClusterScan)
  }

  /// Opens the node's directory and starts its clock.
  ///
  /// - Throws: if the directory cannot be opened (another process holds
  ///   it, its files are damaged), or the options are inconsistent.
  public static func open(_ options: RaftNodeOptions) throws -> RaftServerEngine {
    guard options.members.addresses[options.id] != nil else {
      throw ClusterConfigurationError("node \(options.id) is not among the members \(options.members)")
    }
    var config = RaftConfig(id: options.id, voters: options.members.ids)
    config.electionTicks = options.electionTicks
    config.heartbeatTicks = options.heartbeatTicks
    // Each start draws new timeouts, so two nodes restarted together do not
    // time out in step for ever.
    config.seed = UInt64.random(in: 1...UInt64.max)
    var databaseOptions = Chapter6Compaction.Database.Options()
    databaseOptions.memtableSize = options.memtableSize
    let fileSystem = DiskFileSystem()
    var database: Chapter6Compaction.Database?
    let peer = try RaftPeer.open(
      config: config, fileSystem: fileSystem, directory: options.directory, snapshotEvery: options.snapshotEvery
    ) { directory in
      let opened = try Chapter6Compaction.Database.open(
        directory: directory, fileSystem: fileSystem, options: databaseOptions)
      database = opened
      return opened
    }
    let engine = RaftServerEngine(options: options, peer: peer, database: database!)
    engine.loop.execute { engine.startTicking(every: options.tickInterval) }
    return engine
  }

  private init(options: RaftNodeOptions, peer: RaftPeer, database: Chapter6Compaction.Database) {
    self.id = options.id
    self.members = options.members
    self.peer = peer
    self.database = database
    self.onEvent = options.onEvent
    self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    self.loop = group.next()
    self.transport = RaftTransport(
      id: options.id, members: options.members, loop: loop, group: MultiThreadedEventLoopGroup.singleton)
  }

  // MARK: The driver

  // snippet: raft-server-engine
  private func startTicking(every interval: TimeAmount) {
    ticker = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
      guard stopped == nil else { return }
      do {
        try peer.tick()
      } catch {
        stop(because: "its disk failed: \(error)")
        return
      }
      round()
    }
  }

  /// Asks for a round of `process()` after the tasks already queued.
  private func scheduleRound() {
    guard !roundScheduled else { return }
    roundScheduled = true
    loop.execute { [self] in
      roundScheduled = false
      round()
    }
  }

  /// One round of the `Ready` contract (inside `RaftPeer.process`: persist,
  /// then apply), then the messages out and the replies to their clients.
  private func round() {
    guard stopped == nil else { return }
    let messages: [Message]
    let replies: [RaftPeer.Reply]
    do {
      (messages, replies) = try peer.process { [transport] early in for message in early { transport.send(message) } }
    } catch {
      // A node that cannot write its log must not say anything more: what
      // it would say might rest on what is not on disk. It stops, and the
      // cluster carries on without it.
      stop(because: "its disk failed: \(error)")
      return
    }
    for message in messages { transport.send(message) }
    for reply in replies { answer(reply) }
    noticeRole()
  }
  // end snippet

  private func answer(_ reply: RaftPeer.Reply) {
    switch reply {
    case .written(let client, let sequence, let index):
      for promise in waitingWrites.removeValue(forKey: WaitingWrite(client: client, sequence: sequence)) ?? [] {
        promise.succeed(.written(index: index))
      }
    case .read(let context, _, let value):
      guard let (read, promise) = waitingReads.removeValue(forKey: context) else { return }
      switch read {
      case .get: promise.succeed(.value(value))
      case .scan(let scan):
        do {
          promise.succeed(.page(try page(scan)))
        } catch {
          promise.fail(error)
        }
      }
    }
  }

  /// A page of clients' keys: the state machine's own (under
  /// `KVStateMachine.reservedPrefix`, which sorts last) are not shown.
  private func page(_ scan: ClusterScan) throws -> ScanPage {
    let reserved = KVStateMachine.reservedPrefix
    let end = scan.end.map { $0.lexicographicallyPrecedes(reserved) ? $0 : reserved } ?? reserved
    guard scan.start.lexicographicallyPrecedes(end) else { return ScanPage(entries: [], resumeKey: nil) }
    return try database.scanPage(from: scan.start, to: end, limit: scan.limit)
  }

  /// When the node stops leading (or leads a new term), the clients
  /// waiting on it are sent to the leader: their writes may yet commit,
  /// and a retry with the same sequence number is applied at most once.
  private func noticeRole() {
    let node = peer.node
    let now: Term? = node.role == .leader ? node.term : nil
    guard now != leading else { return }
    if let now {
      onEvent?("node \(id) leads term \(now)")
    } else if let leading {
      onEvent?("node \(id) no longer leads (term \(leading) ended; now term \(node.term))")
    }
    if leading != nil { redirectWaiting() }
    leading = now
  }

  private func redirectWaiting() {
    let redirect = redirection(to: peer.node.role == .leader ? id : peer.node.leader)
    let writes = waitingWrites.values.flatMap { $0 }
    let reads = waitingReads.values.map(\.promise)
    waitingWrites = [:]
    waitingReads = [:]
    for promise in writes + reads { promise.succeed(redirect) }
  }

  private func redirection(to leader: NodeID) -> ClusterReply {
    guard leader != id || peer.node.role != .leader else { return .retry("the leader changed; retry") }
    return .redirect(leader: leader, address: members.addresses[leader]?.description ?? "")
  }

  private func stop(because reason: String) {
    guard stopped == nil else { return }
    stopped = reason
    ticker?.cancel()
    onEvent?("node \(id) stops: \(reason)")
    let writes = waitingWrites.values.flatMap { $0 }
    let reads = waitingReads.values.map(\.promise)
    waitingWrites = [:]
    waitingReads = [:]
    for promise in writes + reads { promise.fail(RaftServerError("node \(id) has stopped: \(reason)")) }
  }

  private func refusal(_ error: RaftError) -> ClusterReply {
    switch error {
    case .notLeader(let leader): redirection(to: leader)
    case .droppedByLeader(let reason): .retry(reason)
    }
  }

  // MARK: Clients and peers, on the driver loop

  /// Steps a peer's message into the node.
  public func step(_ message: Message) -> EventLoopFuture<Void> {
    loop.submit { [self] in
      guard stopped == nil else { return }
      peer.step(message)
      scheduleRound()
    }
  }

  /// Proposes a client's write; the reply comes once it is applied.
  public func write(_ command: ClientCommand) -> EventLoopFuture<ClusterReply> {
    loop.flatSubmit { [self] in propose(command) }
  }

  private func propose(_ command: ClientCommand) -> EventLoopFuture<ClusterReply> {
    if let stopped { return loop.makeFailedFuture(RaftServerError("node \(id) has stopped: \(stopped)")) }
    do throws(RaftError) {
      _ = try peer.propose(command)
    } catch {
      return loop.makeSucceededFuture(refusal(error))
    }
    let promise = loop.makePromise(of: ClusterReply.self)
    waitingWrites[WaitingWrite(client: command.client, sequence: command.sequence), default: []].append(promise)
    scheduleRound()
    return promise.futureResult
  }

  /// A linearizable read of `key` (ReadIndex, dissertation §6.4).
  public func read(_ key: Bytes) -> EventLoopFuture<ClusterReply> {
    loop.flatSubmit { [self] in startRead(key, .get) }
  }

  /// A linearizable page of a scan: confirmed by ReadIndex like a read.
  public func scan(_ scan: ClusterScan) -> EventLoopFuture<ClusterReply> {
    loop.flatSubmit { [self] in startRead(scan.start, .scan(scan)) }
  }

  private func startRead(_ key: Bytes, _ read: WaitingRead) -> EventLoopFuture<ClusterReply> {
    if let stopped { return loop.makeFailedFuture(RaftServerError("node \(id) has stopped: \(stopped)")) }
    nextContext += 1
    let context = nextContext
    do throws(RaftError) {
      try peer.read(key, context: context)
    } catch {
      return loop.makeSucceededFuture(refusal(error))
    }
    let promise = loop.makePromise(of: ClusterReply.self)
    waitingReads[context] = (read, promise)
    scheduleRound()
    return promise.futureResult
  }

  /// The node's view of itself and its cluster.
  public func status() -> EventLoopFuture<NodeStatus> {
    loop.submit { [self] in
      let node = peer.node
      return NodeStatus(
        id: id, role: node.role, term: node.term, leader: node.role == .leader ? id : node.leader,
        commit: node.commit, applied: peer.machine.applied, firstIndex: peer.storage.firstIndex,
        lastIndex: peer.storage.lastIndex)
    }
  }

  // MARK: ServerEngine: the cluster's requests

  public func handleExtension(code: UInt8, body: Bytes, on connectionLoop: any EventLoop) -> EventLoopFuture<
    (Frame.Status, Bytes)
  > {
    func refuse(_ message: String) -> EventLoopFuture<(Frame.Status, Bytes)> {
      connectionLoop.makeSucceededFuture((.badRequest, Array(message.utf8)))
    }
    guard let code = ClusterRequestCode(rawValue: code) else { return refuse("no cluster request has code \(code)") }
    let reply: EventLoopFuture<ClusterReply>
    do {
      switch code {
      case .message:
        let message = try Message.decode(body)
        guard message.to == id else { return refuse("a message for node \(message.to) came to node \(id)") }
        guard message.from != id, members.addresses[message.from] != nil else {
          return refuse("node \(message.from) is not a peer of node \(id)")
        }
        return step(message).map { (.ok, []) }
      case .write:
        let command = try ClientCommand.decode(body)
        guard !command.batch.isEmpty else { return refuse("a write holds no operation") }
        guard command.batch.operations.allSatisfy({ KVStateMachine.isClientKey($0.key) }) else {
          return refuse("keys beginning ff ff are the state machine's own")
        }
        reply = write(command)
      case .read: reply = read(body)
      case .scan: reply = scan(try ClusterScan.decode(body))
      case .status: reply = status().map { .status($0) }
      }
    } catch {
      return refuse("not a \(code) request: \(error)")
    }
    return reply.map { (.ok, $0.encoded) }.flatMapErrorThrowing { error in
      (.internal, Array("\(error)".utf8))
    }
  }

  // MARK: ServerEngine: chapter 7's requests, through Raft

  /// A chapter 7 write (PUT, DELETE, BATCH) through Raft, under this node's
  /// own client id; it waits on an engine thread until the write is
  /// applied.
  ///
  /// - Returns: the write's log index (chapter 7's reply calls it the
  ///   sequence number).
  /// - Throws: `RaftServerError` on a follower, naming the leader.
  public func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    let reply = try loop.flatSubmit { [self] in
      // Numbered here, on the loop, so numbers go into the log in order.
      ownSequence += 1
      return propose(ClientCommand(client: ownClient, sequence: ownSequence, batch: batch))
    }.wait()
    guard case .written(let index) = reply else { throw refusal(reply, writing: true) }
    return index
  }

  public func get(_ key: Bytes) throws -> Bytes? {
    let reply = try read(key).wait()
    guard case .value(let value) = reply else { throw refusal(reply, writing: false) }
    return value
  }

  public func scanPage(from start: Bytes, to end: Bytes?, limit: Int) throws -> ScanPage {
    let reply = try scan(ClusterScan(start: start, end: end, limit: limit)).wait()
    guard case .page(let page) = reply else { throw refusal(reply, writing: false) }
    return page
  }

  private func refusal(_ reply: ClusterReply, writing: Bool) -> RaftServerError {
    // A write refused after it was proposed (its leader stepped down) may
    // still commit; one refused before it was proposed was not done. A
    // chapter 7 client cannot tell which, so the message says so.
    let maybe = writing ? " (a write proposed before the leader changed may still be applied)" : ""
    switch reply {
    case .redirect(let leader, let address) where leader != 0:
      return RaftServerError("node \(id) is not the leader: node \(leader) at \(address) is" + maybe)
    case .redirect: return RaftServerError("node \(id) is not the leader, and no leader is known yet" + maybe)
    case .retry(let reason): return RaftServerError(reason + maybe)
    default: return RaftServerError("unexpected answer \(reply)")
    }
  }

  /// Stops the clock, closes the connections to the peers, and closes the
  /// log and the database. Safe to call more than once.
  public func close() throws {
    guard
      closed.withLock({ closed in
        defer { closed = true }
        return !closed
      })
    else { return }
    let clients = try loop.submit { [self] () -> [Client] in
      stop(because: "it is shutting down")
      return transport.close()
    }.wait()
    for client in clients { _ = try? blockingRun { await client.close() } }
    try peer.storage.close()
    try database.close()
    try group.syncShutdownGracefully()
  }
}
