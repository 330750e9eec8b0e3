import Chapter1WAL

/// A snapshot is a sequence number someone is still reading at.
///
/// Taking a snapshot costs nothing: it records the last sequence number
/// published so far. Every read "at" the snapshot ignores entries with a
/// higher sequence number, so it sees the database exactly as it was, however
/// many writes follow. The memtable keeps every version anyway, so in this
/// chapter a snapshot needs no copying and no locking of data.
///
/// The list exists for later chapters: once versions are merged and dropped
/// (compaction, chapter 6), a version may go only if no live snapshot can see
/// it, and `oldest` is the number that decides it.
public final class SnapshotList: Sendable {
  /// A live snapshot: an id for the shell (`get k @2`) and the sequence
  /// number it reads at.
  public struct Snapshot: Hashable, Sendable, CustomStringConvertible {
    public let id: Int
    public let sequence: SequenceNumber

    public var description: String { "snapshot \(id) at seq \(sequence)" }
  }

  private struct State {
    var nextID = 1
    var live: [Int: Snapshot] = [:]
  }

  private let state = Locked(State())

  public init() {}

  // snippet: snapshot-acquire
  /// Takes a snapshot at `sequence` (the last published sequence number).
  public func acquire(at sequence: SequenceNumber) -> Snapshot {
    state.withLock { state in
      let snapshot = Snapshot(id: state.nextID, sequence: sequence)
      state.nextID += 1
      state.live[snapshot.id] = snapshot
      return snapshot
    }
  }

  /// Releases a snapshot; `false` if it was not live.
  @discardableResult
  public func release(_ snapshot: Snapshot) -> Bool {
    state.withLock { $0.live.removeValue(forKey: snapshot.id) != nil }
  }

  /// The sequence number of the oldest live snapshot: no version newer than
  /// the newest one at or below it may ever be dropped. `nil` if none is live.
  public var oldest: SequenceNumber? {
    state.withLock { $0.live.values.map(\.sequence).min() }
  }
  // end snippet

  /// The live snapshot with this id, if any.
  public func snapshot(id: Int) -> Snapshot? {
    state.withLock { $0.live[id] }
  }

  /// Every live snapshot, oldest id first.
  public var all: [Snapshot] {
    state.withLock { $0.live.values.sorted { $0.id < $1.id } }
  }
}
