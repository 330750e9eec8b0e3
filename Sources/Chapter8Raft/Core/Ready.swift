import Chapter1WAL

// snippet: raft-ready
/// What a node asks of its driver after a batch of `step` and `tick` calls.
///
/// The contract, in the order the driver must follow it:
///
/// 1. **Persist** `snapshot`, `entries` and `hardState`, and sync. `entries`
///    may begin at or below the last stored index: the stored suffix from
///    there on is replaced (a follower's log giving way to its leader's).
/// 2. **Send** `messages`. Only now: a vote or an acknowledgement promises
///    something about the disk, and a crash must not take the promise back.
/// 3. **Apply** `snapshot` (if any), then `committed`, in order, to the state
///    machine; answer `reads` once the state machine has applied their index.
/// 4. Call `advance()`.
///
/// Entries in `committed` are on a majority of disks; nothing else is.
public struct Ready: Sendable {
  public var hardState: HardState?
  public var entries: [Entry] = []
  public var snapshot: Snapshot?
  public var messages: [Message] = []
  public var committed: [Entry] = []
  public var reads: [ReadState] = []

  public var isEmpty: Bool {
    hardState == nil && entries.isEmpty && snapshot == nil && messages.isEmpty && committed.isEmpty && reads.isEmpty
  }
}
// end snippet

/// A read the leader may now answer: once the state machine has applied
/// `index`, its contents reflect every write acknowledged before the read
/// began (ReadIndex, dissertation §6.4).
public struct ReadState: Equatable, Sendable {
  /// The caller's name for the read, from `RaftNode.read(_:)`.
  public var context: UInt64
  /// The commit index when the read arrived.
  public var index: LogIndex
}

/// What a node is doing now.
public enum Role: String, Sendable, CustomStringConvertible {
  case follower
  case preCandidate = "pre-candidate"
  case candidate
  case leader

  public var description: String { rawValue }
}

/// Why a proposal or a read was refused.
public enum RaftError: Error, Equatable, CustomStringConvertible {
  /// This node is not the leader; `leader` is the one it knows of (0: none).
  case notLeader(leader: NodeID)
  /// The leader is stepping aside and takes no new work.
  case droppedByLeader(reason: String)

  public var description: String {
    switch self {
    case .notLeader(let leader):
      leader == 0 ? "not the leader, and no leader is known" : "not the leader; node \(leader) is"
    case .droppedByLeader(let reason): reason
    }
  }
}
