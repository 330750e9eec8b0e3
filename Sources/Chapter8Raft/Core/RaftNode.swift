import Chapter1WAL

/// One member of a Raft cluster as a pure state machine.
///
/// Nothing happens inside a `RaftNode` unless its driver asks: `tick()`
/// moves its clock one step, `step(_:)` hands it a message from a peer,
/// `propose(_:)` and `read(_:)` hand it a client's request. Each call only
/// changes memory and queues output; `ready()` collects the output (what to
/// persist, send and apply) and `advance()` says it was done. There are no
/// threads, no clock, no disk and no network in here, which is what lets the
/// simulator run a cluster of these in one thread, the same way every time
/// for one seed, and lets a test walk the paper's Figure 8 one message at a
/// time.
///
/// The rules are the paper's (Ongaro and Ousterhout, "In Search of an
/// Understandable Consensus Algorithm", 2014) and the dissertation's
/// refinements (Ongaro, "Consensus: Bridging Theory and Practice", 2014):
/// PreVote (§9.6), CheckQuorum (§6.2), ReadIndex and lease reads (§6.4), a
/// no-op at the start of each term (§6.4, §8 of the paper). The section each
/// rule comes from is named beside it.
public struct RaftNode: Sendable {
  public let config: RaftConfig
  public var id: NodeID { config.id }

  // Persistent state (hard state), written out through `Ready.hardState`.
  public private(set) var term: Term = 0
  public private(set) var vote: NodeID = 0
  public private(set) var commit: LogIndex = 0
  public private(set) var log: RaftLog

  // Volatile state.
  public private(set) var role: Role = .follower
  /// The leader of the current term, as far as this node knows (0: none).
  public private(set) var leader: NodeID = 0
  /// The highest index handed to the driver to apply.
  public private(set) var applied: LogIndex
  /// The latest snapshot, kept to send to followers too far behind.
  public private(set) var snapshot: Snapshot?

  /// Per follower, on a leader: how much of its log matches ours.
  public private(set) var progress: [NodeID: Progress] = [:]

  private var electionElapsed = 0
  /// Ticks since this node started: the leader's lease is measured on it.
  private var clock = 0
  private var heartbeatElapsed = 0
  private var randomizedElectionTimeout = 0
  private var votes: [NodeID: Bool] = [:]
  private var random: SeededGenerator
  private let tracer: Tracer

  // Output waiting for `ready()`.
  private var messages: [Message] = []
  private var reads: [ReadState] = []
  private var pendingReads: [PendingRead] = []
  private var unstableSnapshot: Snapshot?
  /// Entries from this index on have not been handed out to persist.
  private var unstableFrom: LogIndex
  /// The last index known to be on this node's own disk.
  private var persisted: LogIndex
  private var lastHardState: HardState
  private var handedOut: (persistedTo: LogIndex, hardState: HardState)?

  /// What a leader knows about one follower.
  public struct Progress: Sendable, Equatable {
    /// The highest index known to match the leader's log.
    public var match: LogIndex = 0
    /// The next index to send.
    public var next: LogIndex
    /// Probing: one append at a time until the follower's log is found to
    /// match; otherwise appends are sent without waiting (pipelined).
    public var probing = true
    /// Heard from since the last CheckQuorum round.
    public var recentlyActive = true
    /// The send time (on the leader's clock) of the latest heartbeat this
    /// follower has answered: the start of the lease it grants.
    public var acknowledgedHeartbeat = -1
    /// When a snapshot was last sent to it (`nil`: none in flight); it is
    /// sent again only if an election timeout passes without an answer.
    public var snapshotSentAt: Int?
  }

  private struct PendingRead: Sendable {
    var state: ReadState
    var acks: Set<NodeID>
  }

  /// A node starting from what its storage holds.
  ///
  /// - Parameters:
  ///   - config: who it is and how it behaves.
  ///   - hardState: term, vote and commit as last persisted.
  ///   - snapshot: the last snapshot saved, if any.
  ///   - entries: the log entries after the snapshot.
  ///   - applied: the last index the state machine holds (its own record of
  ///     it, stored with its data).
  public init(
    config: RaftConfig, hardState: HardState = .init(), snapshot: Snapshot? = nil, entries: [Entry] = [],
    applied: LogIndex = 0, tracer: Tracer = .disabled
  ) {
    self.config = config
    self.tracer = tracer
    self.log = RaftLog(snapshot: snapshot?.metadata ?? .init(), entries: entries)
    self.snapshot = snapshot
    self.term = hardState.term
    self.vote = hardState.vote
    self.commit = min(max(hardState.commit, log.snapshot.index), log.lastIndex)
    self.applied = max(min(applied, commit), log.snapshot.index)
    self.lastHardState = hardState
    self.unstableFrom = log.lastIndex + 1
    self.persisted = log.lastIndex
    self.random = SeededGenerator(seed: config.seed &* 0x9E37_79B9 &+ config.id)
    resetElectionTimer()
  }

  public var hardState: HardState { HardState(term: term, vote: vote, commit: commit) }

  private var subject: String { "node \(id)" }
  private var peers: [NodeID] { config.voters.filter { $0 != id } }

  // MARK: Time

  // snippet: raft-tick
  /// Moves this node's clock one tick: a follower or candidate may time out
  /// and campaign; a leader sends heartbeats and, once an election timeout,
  /// checks that a quorum still answers it (CheckQuorum, §6.2).
  public mutating func tick() {
    clock += 1
    electionElapsed += 1
    if role == .leader {
      heartbeatElapsed += 1
      if heartbeatElapsed >= config.heartbeatTicks {
        heartbeatElapsed = 0
        broadcastHeartbeat(context: 0)
      }
      if electionElapsed >= config.electionTicks {
        electionElapsed = 0
        if config.checkQuorum { checkQuorum() }
      }
    } else if electionElapsed >= randomizedElectionTimeout {
      tracer(
        .raft, "timeout", subject, "no leader heard for \(electionElapsed) ticks",
        why: "a follower that hears nothing for an election timeout assumes the leader is gone (§5.2)")
      campaign(preVote: config.preVote)
    }
  }
  // end snippet

  private mutating func checkQuorum() {
    let active = 1 + peers.filter { progress[$0]?.recentlyActive == true }.count
    for peer in peers { progress[peer]?.recentlyActive = false }
    if active < config.quorum {
      tracer(
        .raft, "step down", subject, "heard from \(active) of \(config.voters.count) in an election timeout",
        why: "CheckQuorum: a leader cut off from a majority stops acting as one (§6.2)")
      becomeFollower(term: term, leader: 0)
    }
  }

  private mutating func resetElectionTimer() {
    electionElapsed = 0
    randomizedElectionTimeout = config.electionTicks + Int(random.next() % UInt64(config.electionTicks))
  }

  /// The election timeout this node drew for its current wait, in ticks.
  public var electionTimeout: Int { randomizedElectionTimeout }

  // MARK: Roles

  private mutating func becomeFollower(term newTerm: Term, leader newLeader: NodeID) {
    if newTerm != term {
      term = newTerm
      vote = 0
    }
    role = .follower
    leader = newLeader
    progress = [:]
    pendingReads = []
    resetElectionTimer()
  }

  // snippet: raft-campaign
  /// Starts an election: with PreVote, first a poll that changes no one's
  /// term; then the real thing, which raises this node's term and votes for
  /// itself (§5.2).
  private mutating func campaign(preVote: Bool) {
    votes = [id: true]
    resetElectionTimer()
    leader = 0
    let campaignTerm: Term
    if preVote {
      role = .preCandidate
      campaignTerm = term + 1
      tracer(
        .raft, "pre-vote", subject, "asks whether it could win term \(campaignTerm)",
        why:
          "a pre-vote raises no one's term, so a node that was cut off cannot disrupt a healthy leader when it returns (dissertation §9.6)"
      )
    } else {
      role = .candidate
      term += 1
      vote = id
      campaignTerm = term
      tracer(.raft, "campaign", subject, "term \(term), votes for itself")
    }
    if config.quorum == 1 { return winVotes(preVote: preVote) }
    for peer in peers {
      var message = Message(kind: preVote ? .preVote : .vote, from: id, to: peer, term: campaignTerm)
      message.index = log.lastIndex
      message.logTerm = log.lastTerm
      send(message)
    }
  }
  // end snippet

  private mutating func winVotes(preVote: Bool) {
    if preVote { campaign(preVote: false) } else { becomeLeader() }
  }

  // snippet: raft-become-leader
  /// Takes office: every follower is assumed to be missing everything after
  /// our last entry, and the term begins with a no-op entry, so that the
  /// leader has an entry of its own term to commit, and with it everything
  /// before (§5.4.2, and §6.4 of the dissertation for reads).
  private mutating func becomeLeader() {
    role = .leader
    leader = id
    heartbeatElapsed = 0
    electionElapsed = 0
    progress = [:]
    for peer in peers { progress[peer] = Progress(next: log.lastIndex + 1) }
    tracer(
      .raft, "leader", subject,
      "won term \(term) with \(votes.values.filter { $0 }.count) of \(config.voters.count) votes")
    appendLocal([Entry(term: term, index: log.lastIndex + 1, kind: .noop)])
    for peer in peers { sendAppend(to: peer) }
  }
  // end snippet

  // MARK: Client requests

  /// Appends a client's command to the log, if this node leads.
  ///
  /// - Returns: the index the command will have if it commits.
  /// - Throws: `RaftError.notLeader` with the leader this node knows of.
  public mutating func propose(_ data: Bytes) throws(RaftError) -> LogIndex {
    guard role == .leader else { throw .notLeader(leader: leader) }
    let index = log.lastIndex + 1
    appendLocal([Entry(term: term, index: index, kind: .command, data: data)])
    for peer in peers where progress[peer]?.probing == false { sendAppend(to: peer) }
    return index
  }

  // snippet: raft-read-index
  /// Starts a linearizable read (ReadIndex, dissertation §6.4): note the
  /// commit index, confirm with a round of heartbeats that this node still
  /// leads, then answer once that index is applied. With `leaseReads` the
  /// round is skipped while the leader's lease holds.
  ///
  /// The answer comes out of `ready().reads` with the same `context`.
  public mutating func read(_ context: UInt64) throws(RaftError) {
    guard role == .leader else { throw .notLeader(leader: leader) }
    // Until an entry of this term commits, the commit index may be behind
    // what an earlier leader acknowledged (§6.4, step 1).
    guard log.term(at: commit) == term else {
      throw .droppedByLeader(reason: "the leader has not committed an entry of its term yet; retry")
    }
    let state = ReadState(context: context, index: commit)
    if config.quorum == 1 || (config.leaseReads && leaseHolds) {
      reads.append(state)
      return
    }
    pendingReads.append(PendingRead(state: state, acks: [id]))
    broadcastHeartbeat(context: context)
  }
  // end snippet

  // snippet: raft-lease
  /// Whether this leader's lease still holds: a majority (this node
  /// included) answered heartbeats sent less than an election timeout ago,
  /// by this node's clock, less a tick for the clocks' drift.
  ///
  /// Why that is enough: a follower that heard a heartbeat ignores vote
  /// requests for an election timeout after (CheckQuorum's other half), so
  /// no majority can elect anyone else before the lease ends, provided the
  /// clocks tick at nearly the same rate. Without CheckQuorum the followers
  /// make no such promise, and the lease means nothing.
  private var leaseHolds: Bool {
    var starts = peers.map { progress[$0]?.acknowledgedHeartbeat ?? -1 }
    starts.append(clock)
    starts.sort(by: >)
    let start = starts[config.quorum - 1]
    return start >= 0 && clock < start + config.electionTicks - 1
  }
  // end snippet

  // MARK: Messages

  // snippet: raft-step
  /// Hands this node one message from a peer.
  ///
  /// First the term: a message from a later term makes this node a follower
  /// in that term (§5.1), except a pre-vote, which changes nothing until it
  /// wins, and, with CheckQuorum, a vote request while this node has heard
  /// from a leader within the election timeout (the leader's lease). A
  /// message from an earlier term is answered only so its sender learns the
  /// term, or dropped.
  public mutating func step(_ message: Message) {
    guard message.to == id, config.voters.contains(message.from) else { return }
    if message.term > term {
      let isVoteRequest = message.kind == .vote || message.kind == .preVote
      if isVoteRequest && config.checkQuorum && leader != 0 && electionElapsed < config.electionTicks {
        tracer(
          .raft, "ignore", subject, "\(message.kind) from node \(message.from) for term \(message.term)",
          why:
            "it heard from leader \(leader) \(electionElapsed) ticks ago; the leader's lease stands (dissertation §4.2.3)"
        )
        return
      }
      if message.kind == .preVote || (message.kind == .preVoteResponse && !message.reject) {
        // Pre-votes are about a term nobody has yet.
      } else {
        let newLeader: NodeID = [.append, .heartbeat, .snapshot].contains(message.kind) ? message.from : 0
        tracer(.raft, "term", subject, "\(term) → \(message.term), from node \(message.from)'s \(message.kind)")
        becomeFollower(term: message.term, leader: newLeader)
      }
    } else if message.term < term {
      if [.append, .heartbeat].contains(message.kind) {
        // Tell a deposed leader the new term, so it steps down.
        send(Message(kind: .appendResponse, from: id, to: message.from, term: term))
      } else if message.kind == .preVote {
        var reply = Message(kind: .preVoteResponse, from: id, to: message.from, term: term)
        reply.reject = true
        send(reply)
      }
      return
    }
    switch message.kind {
    case .preVote, .vote: handleVoteRequest(message)
    case .preVoteResponse, .voteResponse: handleVoteResponse(message)
    case .append: handleAppend(message)
    case .appendResponse: handleAppendResponse(message)
    case .heartbeat: handleHeartbeat(message)
    case .heartbeatResponse: handleHeartbeatResponse(message)
    case .snapshot: handleSnapshot(message)
    }
  }
  // end snippet

  // snippet: raft-vote
  /// Grants a vote (or a pre-vote) only to a candidate whose log is at least
  /// as up to date as ours (the election restriction, §5.4.1), and a real
  /// vote only once per term (§5.2).
  private mutating func handleVoteRequest(_ message: Message) {
    let isPreVote = message.kind == .preVote
    let upToDate = log.isUpToDate(index: message.index, term: message.logTerm)
    let free =
      isPreVote ? (message.term > term && (role != .leader)) : (vote == 0 || vote == message.from) && leader == 0
    var reply = Message(kind: isPreVote ? .preVoteResponse : .voteResponse, from: id, to: message.from, term: term)
    if upToDate && free {
      if isPreVote {
        reply.term = message.term
      } else {
        vote = message.from
        resetElectionTimer()
      }
      tracer(
        .raft, isPreVote ? "pre-vote" : "vote", subject, "granted to node \(message.from) for term \(message.term)")
    } else {
      reply.reject = true
      let reason =
        !upToDate
        ? "its log ends at \(message.index)@\(message.logTerm), behind ours at \(log.lastIndex)@\(log.lastTerm) (§5.4.1)"
        : vote != 0 ? "already voted for node \(vote) in term \(term) (§5.2)" : "it follows leader \(leader)"
      tracer(
        .raft, "deny", subject, "\(isPreVote ? "pre-vote" : "vote") for node \(message.from), term \(message.term)",
        why: reason)
    }
    send(reply)
  }
  // end snippet

  private mutating func handleVoteResponse(_ message: Message) {
    let isPre = message.kind == .preVoteResponse
    guard (isPre && role == .preCandidate) || (!isPre && role == .candidate) else { return }
    votes[message.from] = !message.reject
    let granted = votes.values.filter { $0 }.count
    let denied = votes.values.filter { !$0 }.count
    if granted >= config.quorum {
      winVotes(preVote: isPre)
    } else if denied >= config.quorum {
      tracer(
        .raft, "lost", subject,
        "\(isPre ? "pre-vote" : "election") for term \(isPre ? term + 1 : term): \(denied) denied")
      becomeFollower(term: term, leader: 0)
    }
  }

  // snippet: raft-append
  /// A follower's side of replication (§5.3): accept entries only after an
  /// entry matching the leader's `index`@`logTerm`; on a mismatch, say
  /// where our log might agree, so the leader can skip back a whole term at
  /// a time instead of one entry per round trip.
  private mutating func handleAppend(_ message: Message) {
    becomeFollowerOf(message.from)
    var reply = Message(kind: .appendResponse, from: id, to: message.from, term: term)
    if message.index < commit {
      reply.index = commit
    } else if log.matches(index: message.index, term: message.logTerm) {
      let newEntries = message.entries
      if let first = log.append(newEntries) {
        unstableFrom = min(unstableFrom, first)
        persisted = min(persisted, first - 1)
        // Entries handed out but replaced before `advance()` are not the
        // ones on disk.
        if let handed = handedOut { handedOut = (min(handed.persistedTo, first - 1), handed.hardState) }
      }
      let lastNew = message.index + LogIndex(newEntries.count)
      advanceCommit(to: min(message.commit, lastNew))
      reply.index = lastNew
    } else {
      reply.reject = true
      reply.index = message.index
      reply.hintIndex = log.lastIndex(atOrBelow: message.index, withTermAtMost: message.logTerm)
      reply.hintTerm = log.term(at: reply.hintIndex) ?? 0
      tracer(
        .raft, "reject", subject, "append after \(message.index)@\(message.logTerm) from node \(message.from)",
        why:
          "our log has \(log.term(at: message.index).map { "term \($0)" } ?? "nothing") there; hint \(reply.hintIndex)@\(reply.hintTerm)"
      )
    }
    send(reply)
  }
  // end snippet

  private mutating func becomeFollowerOf(_ sender: NodeID) {
    if role != .follower || leader != sender { becomeFollower(term: term, leader: sender) }
    electionElapsed = 0
  }

  private mutating func handleHeartbeat(_ message: Message) {
    becomeFollowerOf(message.from)
    advanceCommit(to: min(message.commit, log.lastIndex))
    var reply = Message(kind: .heartbeatResponse, from: id, to: message.from, term: term)
    reply.context = message.context
    reply.index = message.index
    send(reply)
  }

  private mutating func advanceCommit(to index: LogIndex) {
    guard index > commit else { return }
    commit = index
  }

  private mutating func handleSnapshot(_ message: Message) {
    becomeFollowerOf(message.from)
    guard let incoming = message.snapshot else { return }
    var reply = Message(kind: .appendResponse, from: id, to: message.from, term: term)
    let meta = incoming.metadata
    if meta.index <= commit {
      reply.index = commit
    } else if log.matches(index: meta.index, term: meta.term) {
      advanceCommit(to: meta.index)
      reply.index = meta.index
    } else {
      tracer(
        .raft, "install", subject, "snapshot up to \(meta.index)@\(meta.term) from node \(message.from)",
        why: "the leader no longer has the entries we lack; its snapshot replaces our log (§7)")
      log.compact(through: meta)
      snapshot = incoming
      unstableSnapshot = incoming
      commit = meta.index
      applied = meta.index
      unstableFrom = meta.index + 1
      persisted = meta.index
      reply.index = meta.index
    }
    send(reply)
  }

  // MARK: Leader

  private mutating func appendLocal(_ entries: [Entry]) {
    log.append(entries)
    unstableFrom = min(unstableFrom, entries[0].index)
    maybeCommit()
  }

  // snippet: raft-send-append
  /// Sends a follower what it lacks, from `next` on; a snapshot if those
  /// entries are already compacted away (§7).
  private mutating func sendAppend(to peer: NodeID) {
    guard var state = progress[peer] else { return }
    let previous = state.next - 1
    guard let previousTerm = log.term(at: previous) else {
      guard let snapshot else { return }
      var message = Message(kind: .snapshot, from: id, to: peer, term: term)
      message.snapshot = snapshot
      tracer(
        .raft, "send", subject, "snapshot up to \(snapshot.metadata.index) to node \(peer)",
        why: "it needs entry \(state.next), which the log no longer holds (§7)")
      send(message)
      state.probing = true
      state.next = snapshot.metadata.index + 1
      state.snapshotSentAt = clock
      progress[peer] = state
      return
    }
    var message = Message(kind: .append, from: id, to: peer, term: term)
    message.index = previous
    message.logTerm = previousTerm
    message.entries = log.entries(from: state.next, limit: config.maxEntriesPerAppend)
    message.commit = commit
    if !state.probing, let last = message.entries.last { state.next = last.index + 1 }
    progress[peer] = state
    send(message)
  }
  // end snippet

  private mutating func handleAppendResponse(_ message: Message) {
    guard role == .leader, var state = progress[message.from] else { return }
    state.recentlyActive = true
    if message.reject {
      // A stale rejection (of something already acknowledged) changes nothing.
      guard message.index >= state.match, message.index + 1 >= state.next || state.probing else {
        progress[message.from] = state
        return
      }
      let agreed = log.lastIndex(atOrBelow: message.hintIndex, withTermAtMost: message.hintTerm)
      state.next = max(state.match + 1, min(agreed + 1, log.lastIndex + 1))
      state.probing = true
      progress[message.from] = state
      sendAppend(to: message.from)
      return
    }
    if message.index >= state.next - 1 { state.snapshotSentAt = nil }
    if message.index > state.match {
      state.match = message.index
      state.next = max(state.next, message.index + 1)
      state.probing = false
    }
    progress[message.from] = state
    maybeCommit()
    if state.next <= log.lastIndex { sendAppend(to: message.from) }
  }

  private mutating func handleHeartbeatResponse(_ message: Message) {
    guard role == .leader, var state = progress[message.from] else { return }
    state.recentlyActive = true
    state.acknowledgedHeartbeat = max(state.acknowledgedHeartbeat, Int(clamping: message.index))
    progress[message.from] = state
    // Behind: send what comes next. If an append was lost, the follower
    // rejects this one (it does not hold `next - 1`) and the leader probes
    // back from its hint; a snapshot in flight is not sent again until an
    // election timeout passes without an answer.
    if state.match < log.lastIndex {
      if let sentAt = state.snapshotSentAt, clock - sentAt < config.electionTicks { return }
      progress[message.from]?.snapshotSentAt = nil
      sendAppend(to: message.from)
    }
    if message.context != 0 { acknowledgeRead(context: message.context, from: message.from) }
  }

  private mutating func acknowledgeRead(context: UInt64, from peer: NodeID) {
    guard let position = pendingReads.firstIndex(where: { $0.state.context == context }) else { return }
    pendingReads[position].acks.insert(peer)
    guard pendingReads[position].acks.count >= config.quorum else { return }
    // Confirmed: this read, and every read that arrived before it.
    for confirmed in pendingReads[...position] { reads.append(confirmed.state) }
    pendingReads.removeSubrange(...position)
  }

  private mutating func broadcastHeartbeat(context: UInt64) {
    for peer in peers {
      var message = Message(kind: .heartbeat, from: id, to: peer, term: term)
      message.commit = min(commit, progress[peer]?.match ?? 0)
      message.context = context
      // The send time, echoed back: the lease runs from here.
      message.index = LogIndex(clock)
      send(message)
    }
  }

  // snippet: raft-commit-rule
  /// Advances the commit index to the highest index a majority holds, but
  /// only if that entry is from the current term. An entry from an earlier
  /// term can be on a majority and still be overwritten (Figure 8); it
  /// commits only indirectly, when an entry of this term after it does
  /// (§5.4.2).
  private mutating func maybeCommit() {
    guard role == .leader else { return }
    var matches = peers.map { progress[$0]?.match ?? 0 }
    matches.append(persisted)
    matches.sort(by: >)
    let candidate = matches[config.quorum - 1]
    guard candidate > commit, let candidateTerm = log.term(at: candidate) else { return }
    if candidateTerm != term && !config.bugs.contains(.commitPreviousTermByCounting) {
      tracer(
        .raft, "wait", subject, "entry \(candidate) is on a majority but from term \(candidateTerm), not \(term)",
        why: "a leader counts replicas only for entries of its own term (§5.4.2, Figure 8)")
      return
    }
    tracer(
      .raft, "commit", subject,
      "\(commit) → \(candidate), on \(matches.filter { $0 >= candidate }.count) of \(config.voters.count)")
    commit = candidate
  }
  // end snippet

  private mutating func send(_ message: Message) {
    messages.append(message)
  }

  // MARK: Ready

  /// Whether `ready()` has anything to hand out.
  public var hasReady: Bool {
    !messages.isEmpty || !reads.isEmpty || unstableSnapshot != nil || unstableFrom <= log.lastIndex
      || hardState != lastHardState || nextApplyIndex <= applyLimit
  }

  private var applyLimit: LogIndex {
    config.bugs.contains(.applyBeforeCommit) ? log.lastIndex : commit
  }

  private var nextApplyIndex: LogIndex { applied + 1 }

  /// Collects everything this node wants done; see `Ready` for the order.
  public mutating func ready() -> Ready {
    var ready = Ready()
    if hardState != lastHardState { ready.hardState = hardState }
    ready.snapshot = unstableSnapshot
    ready.entries = log.entries(from: max(unstableFrom, log.firstIndex), limit: Int.max)
    ready.messages = messages
    ready.reads = reads
    if nextApplyIndex <= applyLimit {
      ready.committed = log.entries(from: nextApplyIndex, limit: Int(applyLimit - applied))
      applied = ready.committed.last?.index ?? applied
    }
    messages = []
    reads = []
    unstableSnapshot = nil
    unstableFrom = log.lastIndex + 1
    lastHardState = hardState
    handedOut = (log.lastIndex, hardState)
    return ready
  }

  /// Says the last `ready()` was carried out: its entries are on disk.
  public mutating func advance() {
    guard let handedOut else { return }
    persisted = max(persisted, min(handedOut.persistedTo, log.lastIndex))
    self.handedOut = nil
    maybeCommit()
  }

  // MARK: Snapshots

  /// Records a snapshot the state machine took at `snapshot.metadata.index`
  /// (at or below `applied`) and drops the log entries it covers.
  public mutating func compact(_ snapshot: Snapshot) {
    guard snapshot.metadata.index > log.snapshot.index, snapshot.metadata.index <= applied else { return }
    log.compact(through: snapshot.metadata)
    self.snapshot = snapshot
  }
}
