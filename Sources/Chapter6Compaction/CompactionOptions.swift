import Chapter4Manifest

/// When and how the compactor works. Level 0 is compacted at 4 tables
/// (LevelDB's and RocksDB's trigger); level 1 may hold 10 MiB, each level
/// below ten times the one above, and output tables are cut at 2 MiB
/// (LevelDB's sizes). Writes slow at 20 level-0 tables and stop at 36
/// (RocksDB's limits): LevelDB's 8 and 12, with a millisecond's delay per
/// write, cost a third of a million-key fill's time on two cores.
public struct CompactionOptions: Sendable {
  /// Level 0 tables that make level 0 due for compaction (score 1).
  public var level0Trigger = 4
  /// Level 0 tables at which each write is delayed by a millisecond, so
  /// that compaction catches up gradually rather than writes stopping dead.
  public var level0Slowdown = 20
  /// Level 0 tables at which writes wait for compaction.
  public var level0Stop = 36
  /// Bytes compaction owes (`CompactionPicker.pendingBytes`) at which each
  /// write is delayed, and at which writes wait: RocksDB's
  /// `soft_pending_compaction_bytes_limit` and `hard_…`, with its defaults.
  public var pendingBytesSlowdown: UInt64 = 64 << 30
  public var pendingBytesStop: UInt64 = 256 << 30
  /// The bytes level 1 may hold before it is due (score 1).
  public var level1Bytes: UInt64 = 10 << 20
  /// How much more each level below level 1 may hold than the one above.
  public var levelMultiplier: UInt64 = 10
  /// Output tables are cut once they reach this size (at a user key's end).
  public var targetTableSize: UInt64 = 2 << 20
  /// A compaction may take more tables from its input level, to cover the
  /// same overlap below, while its inputs stay under this many target sizes.
  public var expansionLimit: UInt64 = 25
  /// An output table is cut early once it overlaps this many target sizes
  /// of the level below its output level (the grandparents), so that the
  /// next compaction of that table stays small.
  public var grandparentLimit: UInt64 = 10
  /// Compact whenever a level is due (`true`), or only when asked
  /// (`compact`). With it off, writes never stall either: the stalls exist
  /// to let automatic compaction catch up (RocksDB's
  /// `disable_auto_compactions` works the same way).
  public var automatic = true
  /// Compact on a background thread (`true`), or inline, right after the
  /// write or flush that made a level due (`false`: deterministic, for the
  /// notebooks).
  public var background = true
  /// A deliberate bug, for the model test that must catch it: drop a
  /// tombstone even when a deeper level may still hold the key it deletes,
  /// which brings the deleted value back.
  public var dropTombstonesEverywhere = false

  public init() {}

  /// The number of levels: 0 to 6.
  public static var levelCount: Int { VersionEdit.levelCount }

  /// The bytes `level` (1 or deeper) may hold before it is due.
  public func targetBytes(level: Int) -> UInt64 {
    precondition(level >= 1, "level 0 is measured in tables")
    var bytes = level1Bytes
    for _ in 1..<level {
      let (product, overflow) = bytes.multipliedReportingOverflow(by: levelMultiplier)
      bytes = overflow ? .max : product
    }
    return bytes
  }
}
