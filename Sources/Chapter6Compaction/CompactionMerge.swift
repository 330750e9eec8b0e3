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
/// sequence `s` sees, for each key, the newest version at or below `s`. The
/// oldest reader anyone may still start is the oldest live snapshot (or,
/// with none, a read at the newest sequence). So once a version of a key
/// at or below that horizon has been kept, every older version of the key
/// is invisible to every reader, present and future: it is shadowed, and
/// dropped.
///
/// A tombstone at or below the horizon hides older versions of its key,
/// and it is itself still needed while an older version might exist below
/// the output level: drop it too early and that value comes back to life.
/// Only where no deeper level's tables cover the key may it go.
public struct CompactionMerge {
  /// Versions at or below this sequence are what the oldest reader sees.
  public let horizon: SequenceNumber
  /// Whether the deliberate bug is on: tombstones dropped regardless of
  /// what lies below.
  let dropTombstonesEverywhere: Bool
  /// The levels below the output level, to ask whether a key may live there.
  private var deeper: [DeeperLevel]
  private var currentKey: Bytes?
  /// The sequence of the newest version of `currentKey` kept or seen so
  /// far; `maxSequence` before the first.
  private var newerSequence = InternalKeyEncoding.maxSequence

  public init(horizon: SequenceNumber, levelsBelowOutput: [[TableMetadata]], dropTombstonesEverywhere: Bool = false) {
    self.horizon = horizon
    self.deeper = levelsBelowOutput.map(DeeperLevel.init)
    self.dropTombstonesEverywhere = dropTombstonesEverywhere
  }

  /// Whether to drop `key` (and why); `nil` keeps it. Call once per entry,
  /// in iterator order.
  public mutating func decide(_ key: InternalKey) -> DropReason? {
    if currentKey.map({ compareBytes($0, key.userKey) != 0 }) ?? true {
      currentKey = key.userKey
      newerSequence = InternalKeyEncoding.maxSequence
    }
    defer { newerSequence = key.sequence }
    if newerSequence <= horizon { return .shadowed }
    if key.kind == .deletion, key.sequence <= horizon,
      dropTombstonesEverywhere || !mayLiveBelow(key.userKey)
    {
      return .tombstone
    }
    return nil
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
