import Chapter1WAL

/// A Raft node with its disk and its state machine: the driver that carries
/// out the core's `Ready` in the order the contract asks (persist, send,
/// apply, advance).
///
/// The simulator and `beach serve --raft` both run nodes through this one
/// class, so the code the simulator tests is the code the real cluster runs;
/// only the network and the clock differ. It is not thread-safe: one driver
/// thread (or event loop) owns it.
public final class RaftPeer: @unchecked Sendable {
  public private(set) var node: RaftNode
  public let storage: RaftStorage
  public let machine: KVStateMachine
  /// Take a snapshot (and drop the log it covers) every this many applied
  /// entries; 0 never.
  public var snapshotEvery: Int
  private let tracer: Tracer
  /// Called with each entry as it is applied (the simulator's safety check).
  public var onApply: ((Entry) -> Void)?
  private var readKeys: [UInt64: Bytes] = [:]
  private var waitingReads: [ReadState] = []
  /// With `RaftBug.sendBeforePersist`: a ready whose messages went out
  /// before its writes were made, kept until the next round writes them.
  private var unwritten: Ready?

  /// What the driver has for clients after a round.
  public enum Reply: Equatable, Sendable {
    /// The write `client`/`sequence` is applied (now, or before: a retry).
    case written(client: UInt64, sequence: UInt64, index: LogIndex)
    /// The read `context` of `key` may be answered with `value`.
    case read(context: UInt64, key: Bytes, value: Bytes?)
  }

  /// Opens (or creates) a node's directory: `raft/` for the log and
  /// snapshot, `data/` for the state machine's store.
  ///
  /// - Parameter makeStore: opens the state machine's store in a directory.
  public static func open(
    config: RaftConfig, fileSystem: any FileSystem, directory: String, snapshotEvery: Int = 0,
    tracer: Tracer = .disabled, makeStore: (String) throws -> any KeyValueStore
  ) throws -> RaftPeer {
    try fileSystem.prepareDatabaseDirectory(directory, create: true)
    let storage = try RaftStorage.open(fileSystem: fileSystem, directory: joinPath(directory, "raft"))
    let machine = try KVStateMachine(store: try makeStore(joinPath(directory, "data")))
    let snapshot = try storage.loadSnapshot()
    if let snapshot, machine.applied < snapshot.metadata.index {
      // The store lost writes the snapshot covers (they were not synced,
      // and the log entries that could replay them are gone): start from
      // the snapshot.
      try machine.restore(snapshot.data)
    }
    var hardState = storage.hardState
    hardState.commit = max(hardState.commit, min(machine.applied, storage.lastIndex))
    let node = RaftNode(
      config: config, hardState: hardState, snapshot: snapshot, entries: storage.entries, applied: machine.applied,
      tracer: tracer)
    return RaftPeer(node: node, storage: storage, machine: machine, snapshotEvery: snapshotEvery, tracer: tracer)
  }

  private init(node: RaftNode, storage: RaftStorage, machine: KVStateMachine, snapshotEvery: Int, tracer: Tracer) {
    self.node = node
    self.storage = storage
    self.machine = machine
    self.snapshotEvery = snapshotEvery
    self.tracer = tracer
  }

  public var id: NodeID { node.id }

  /// One tick of the node's clock. With `RaftBug.sendBeforePersist`, this
  /// is also when the writes behind messages already sent reach the disk,
  /// as a slow asynchronous disk would have them.
  public func tick() throws {
    if let unwritten {
      self.unwritten = nil
      try persist(unwritten)
    }
    node.tick()
  }

  public func step(_ message: Message) { node.step(message) }

  /// Proposes a client's write; see `RaftNode.propose`.
  public func propose(_ command: ClientCommand) throws(RaftError) -> LogIndex {
    try node.propose(command.encoded)
  }

  /// Starts a linearizable read of `key`; the answer comes back as a
  /// `Reply.read` with the same `context`.
  public func read(_ key: Bytes, context: UInt64) throws(RaftError) {
    try node.read(context)
    readKeys[context] = key
  }

  // snippet: raft-process-ready
  /// Carries out everything the node has asked for, round after round,
  /// until it asks for nothing more.
  ///
  /// - Parameter sendEarly: if given, a leader's appends are handed to it
  ///   *before* the leader's own fsync, so that the followers write while
  ///   the leader does (dissertation §10.2.1). That is safe because they
  ///   promise nothing about the leader's disk, and the leader counts its
  ///   own copy toward a majority only after `advance()`.
  /// - Returns: the messages to send (they may go out now: what they
  ///   promise is on disk) and the replies clients may now have.
  public func process(sendEarly: (([Message]) -> Void)? = nil) throws -> (messages: [Message], replies: [Reply]) {
    var messages: [Message] = []
    var replies: [Reply] = []
    while node.hasReady {
      let ready = node.ready()
      var after = ready.messages
      if let sendEarly, node.role == .leader {
        sendEarly(after.filter { $0.kind == .append })
        after.removeAll { $0.kind == .append }
      }
      if node.config.bugs.contains(.sendBeforePersist) && (ready.hardState != nil || !ready.entries.isEmpty) {
        if let earlier = unwritten { try persist(earlier) }
        messages += after
        unwritten = ready
      } else {
        try persist(ready)
        messages += after
      }
      if let snapshot = ready.snapshot { try machine.restore(snapshot.data) }
      for entry in ready.committed {
        onApply?(entry)
        let outcome = try machine.apply(entry)
        trace(outcome, of: entry)
        switch outcome {
        case .applied(let client, let sequence), .duplicate(let client, let sequence):
          replies.append(.written(client: client, sequence: sequence, index: entry.index))
        case .none: break
        }
      }
      waitingReads += ready.reads
      replies += try answerReads()
      node.advance()
      if unwritten == nil { try maybeSnapshot() }
    }
    return (messages, replies)
  }
  // end snippet

  private func trace(_ outcome: KVStateMachine.Outcome, of entry: Entry) {
    switch outcome {
    case .applied(let client, let sequence):
      tracer(.raft, "apply", "node \(id)", "\(entry): client \(client)'s write \(sequence)")
    case .duplicate(let client, let sequence):
      tracer(
        .raft, "skip", "node \(id)", "\(entry): client \(client)'s write \(sequence) again",
        why: "a retry of a write already applied; the state machine keeps each client's last sequence number (§6.3)")
    case .none:
      if entry.kind == .noop { tracer(.raft, "apply", "node \(id)", "\(entry)") }
    }
  }

  private func persist(_ ready: Ready) throws {
    if let snapshot = ready.snapshot { try storage.saveSnapshot(snapshot) }
    if !ready.entries.isEmpty { try storage.append(ready.entries) }
    if let hardState = ready.hardState { try storage.setHardState(hardState) }
    if ready.snapshot != nil || !ready.entries.isEmpty || ready.hardState != nil { try storage.sync() }
  }

  private func answerReads() throws -> [Reply] {
    var replies: [Reply] = []
    while let read = waitingReads.first, read.index <= machine.applied {
      waitingReads.removeFirst()
      guard let key = readKeys.removeValue(forKey: read.context) else { continue }
      replies.append(.read(context: read.context, key: key, value: try machine.get(key)))
    }
    return replies
  }

  private func maybeSnapshot() throws {
    let last = max(node.log.snapshot.index, storage.snapshotMetadata.index)
    guard snapshotEvery > 0, machine.applied >= last + LogIndex(snapshotEvery), machine.applied <= node.commit else {
      return
    }
    let metadata = SnapshotMetadata(index: machine.applied, term: machine.appliedTerm, voters: node.config.voters)
    let snapshot = Snapshot(metadata: metadata, data: try machine.snapshot())
    tracer(
      .raft, "snapshot", "node \(id)", "up to \(metadata.index)@\(metadata.term), \(snapshot.data.count) bytes",
      why: "\(snapshotEvery) entries applied since the last; the log before them can go (§7)")
    try storage.saveSnapshot(snapshot)
    node.compact(snapshot)
  }
}
