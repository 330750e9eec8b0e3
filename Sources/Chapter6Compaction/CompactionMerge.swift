import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest

/// Why a compaction left an entry out of its output.
public enum DropReason: String, Sendable {
  /// A newer version of the key is visible to every reader, so no one can
  /// read this one.
  case shadowed
  /// A tombstone every reader sees, with no older version of its key left
  /// anywhere below the output level: there is nothing left for it to hide.
  case tombstone
}

// snippet: compaction-merge
/// Decides, entry by entry, what a compaction keeps. The entries arrive as
/// a merging iterator yields them: by user key, and within one key newest
/// first.
///
/// The rule that makes compaction safe is about readers. A reader at
/// sequence `s` sees, for each key, the newest version at or below `s`.
/// The readers that can exist are the live snapshots and a read of the
/// present, and no new reader can start in the past. The snapshots cut
/// the sequence numbers into *stripes*: with snapshots at 13 and 40, the
/// stripes are ...13, 14...40 and 41 on. Every reader sees the newest
/// version of a key in some stripe, never an older one in the same
/// stripe. So of each key's versions, only the newest in each stripe is
/// kept: the others are shadowed, and dropped. (LevelDB keeps everything
/// newer than the oldest snapshot; RocksDB drops by stripes, as here.)
///
/// A tombstone hides the older versions of its key, and it is itself
/// still needed while an older version might exist below the output
/// level: drop it too early and that value comes back to life. Only in the
/// oldest stripe (no snapshot needs the value before it), and only where
/// no deeper level's tables cover the key, may it go.
public struct CompactionMerge {
  /// The live snapshots' sequence numbers, ascending, without repeats.
  public let snapshots: [SequenceNumber]
  /// Whether the deliberate bug is on: tombstones dropped regardless of
  /// what lies below.
  let dropTombstonesEverywhere: Bool
  /// The levels below the output level, to ask whether a key may live there.
  private var deeper: [DeeperLevel]
  private var currentKey: Bytes?
  /// The stripe of the entry before this one, if it had the same user key.
  private var previousStripe: Int?

  public init(
    snapshots: [SequenceNumber], levelsBelowOutput: [[TableMetadata]], dropTombstonesEverywhere: Bool = false
  ) {
    self.snapshots = Array(Set(snapshots)).sorted()
    self.deeper = levelsBelowOutput.map(DeeperLevel.init)
    self.dropTombstonesEverywhere = dropTombstonesEverywhere
  }

  /// Whether to drop `key` (and why); `nil` keeps it. Call once per entry,
  /// in iterator order.
  public mutating func decide(_ key: InternalKey) -> DropReason? {
    if currentKey.map({ compareBytes($0, key.userKey) != 0 }) ?? true {
      currentKey = key.userKey
      previousStripe = nil
    }
    let stripe = stripe(of: key.sequence)
    defer { previousStripe = stripe }
    if stripe == previousStripe { return .shadowed }
    if key.kind == .deletion, stripe == 0, dropTombstonesEverywhere || !mayLiveBelow(key.userKey) {
      return .tombstone
    }
    return nil
  }

  /// The stripe `sequence` falls in: 0 up to the oldest snapshot, and the
  /// snapshot count for what is newer than every snapshot.
  func stripe(of sequence: SequenceNumber) -> Int {
    var low = 0
    var high = snapshots.count
    while low < high {
      let middle = (low + high) / 2
      if snapshots[middle] < sequence { low = middle + 1 } else { high = middle }
    }
    return low
  }

  /// Whether a table of a level below the output covers `userKey`. Keys
  /// arrive in order, so each level's position only moves forward.
  private mutating func mayLiveBelow(_ userKey: Bytes) -> Bool {
    for index in deeper.indices where deeper[index].covers(userKey) { return true }
    return false
  }
}
// end snippet

/// One level below a compaction's output, walked in key order.
private struct DeeperLevel {
  let tables: [TableMetadata]
  var position = 0

  init(_ tables: [TableMetadata]) { self.tables = tables }

  /// Whether some table covers `userKey`, which is at or after every key
  /// asked before.
  mutating func covers(_ userKey: Bytes) -> Bool {
    while position < tables.count, compareBytes(tables[position].largest.userKey, userKey) < 0 { position += 1 }
    return position < tables.count && compareBytes(tables[position].smallest.userKey, userKey) <= 0
  }
}
