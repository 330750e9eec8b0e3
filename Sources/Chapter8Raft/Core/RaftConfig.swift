import Chapter1WAL

extension TraceComponent {
  /// Raft: elections, votes, replication, commits, snapshots.
  public static let raft: TraceComponent = "raft"
}

/// How one node of a cluster behaves: who it is, who its peers are, how
/// long it waits, and which of the dissertation's refinements it uses.
///
/// Time is counted in ticks, not seconds: the core has no clock, and its
/// driver calls `tick()` at whatever pace it likes (the simulator every 10
/// virtual milliseconds, `beach serve --raft` every 10 ms of real time).
public struct RaftConfig: Sendable {
  /// This node.
  public var id: NodeID
  /// Every voter in the cluster, this node included.
  public var voters: [NodeID]
  /// Ticks a follower waits without hearing from a leader before it
  /// campaigns; the actual wait is drawn from `[electionTicks, 2 × electionTicks)`.
  public var electionTicks = 10
  /// Ticks between a leader's heartbeats.
  public var heartbeatTicks = 1
  /// Ask for pre-votes before raising the term (dissertation §9.6).
  public var preVote = true
  /// A leader steps down when it has not heard from a quorum for an
  /// election timeout, and a node that has heard from a leader within an
  /// election timeout ignores vote requests (dissertation §6.2 and §4.2.3).
  public var checkQuorum = true
  /// Answer reads from the leader's lease instead of a heartbeat round
  /// (dissertation §6.4.1). Safe only with `checkQuorum` and clocks whose
  /// rates differ by less than the gap between the lease and the election
  /// timeout.
  public var leaseReads = false
  /// At most this many entries in one append message.
  public var maxEntriesPerAppend = 64
  /// Seeds the randomized election timeouts.
  public var seed: UInt64 = 1
  /// Deliberate mistakes, for showing that the tests catch them.
  public var bugs: Set<RaftBug> = []

  public init(id: NodeID, voters: [NodeID]) {
    self.id = id
    self.voters = voters
  }

  /// How many voters make a majority.
  public var quorum: Int { voters.count / 2 + 1 }
}

// snippet: raft-bugs
/// Mistakes a Raft implementation can make, built in on purpose so that
/// the simulator and the checker can be shown to catch each one.
public enum RaftBug: String, Sendable, CaseIterable {
  /// Commit an entry from an earlier term as soon as a majority holds it,
  /// the mistake Figure 8 of the paper shows (§5.4.2).
  case commitPreviousTermByCounting = "commit-previous-term"
  /// Send messages before the hard state and entries they depend on are on
  /// disk; a crash then forgets a vote that was already given.
  case sendBeforePersist = "send-before-persist"
  /// Hand entries to the state machine as soon as they are appended, before
  /// they are committed.
  case applyBeforeCommit = "apply-before-commit"
}
// end snippet
