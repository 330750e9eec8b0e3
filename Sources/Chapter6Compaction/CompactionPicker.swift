import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest

/// One compaction, decided: which tables of `level` and of the level below
/// it to merge, and what to watch while writing the output.
public struct CompactionPlan: Sendable, Equatable {
  /// The input level; the output goes to `level + 1`.
  public var level: Int
  /// The tables of `level` to compact.
  public var inputs: [TableMetadata]
  /// The tables of `level + 1` whose keys overlap the inputs'.
  public var overlapping: [TableMetadata]
  /// The tables of `level + 2` whose keys overlap: an output table that
  /// overlaps too many of them is cut early.
  public var grandparents: [TableMetadata]
  /// Whether the one input can simply be moved down a level: nothing below
  /// overlaps it, so no byte needs rewriting.
  public var isTrivialMove: Bool
  /// Why the picker chose it: `L0 holds 4 tables (trigger 4)`.
  public var reason: String

  /// The level the outputs go to.
  public var outputLevel: Int { level + 1 }
  /// Every input table, with its level.
  public var allInputs: [(level: Int, table: TableMetadata)] {
    inputs.map { (level, $0) } + overlapping.map { (level + 1, $0) }
  }
  /// The bytes the compaction reads.
  public var inputBytes: UInt64 { (inputs + overlapping).reduce(0) { $0 + $1.fileSize } }

  public static func == (a: CompactionPlan, b: CompactionPlan) -> Bool {
    a.level == b.level && a.inputs.map(\.number) == b.inputs.map(\.number)
      && a.overlapping.map(\.number) == b.overlapping.map(\.number)
      && a.grandparents.map(\.number) == b.grandparents.map(\.number) && a.isTrivialMove == b.isTrivialMove
  }
}

/// How full one level is: 1 or more means due for compaction.
public struct LevelScore: Sendable {
  public var level: Int
  /// Level 0: tables over the trigger; deeper levels: bytes over target.
  public var score: Double
  /// Level 0: its table count; deeper levels: their bytes.
  public var size: UInt64
  /// Level 0: the trigger in tables; deeper levels: the target in bytes.
  public var target: UInt64
}

// snippet: compaction-picker
/// Decides what to compact, from the manifest's metadata alone: no table
/// is opened to decide.
///
/// Each level gets a score. Level 0's tables overlap one another, so every
/// read consults each of them: its score counts tables against the
/// trigger. Deeper levels are sorted runs, read one table per level, and
/// their cost is space: their score is bytes against the level's target,
/// ten times the level above's. The level with the highest score of at
/// least 1 is compacted into the one below it.
///
/// From level 0 every table is taken (their ranges overlap, so a part
/// would leave older versions above newer ones). From a deeper level one
/// table is taken, the next after where the level's last compaction ended
/// (its *compaction pointer*), so that over time the whole key space of a
/// level is rewritten evenly, round robin, rather than one hot range again
/// and again.
public struct CompactionPicker: Sendable {
  public var options: CompactionOptions

  public init(options: CompactionOptions) { self.options = options }

  /// The score of every level that can be compacted (all but the last).
  public func scores(_ levels: [[TableMetadata]]) -> [LevelScore] {
    (0..<(levels.count - 1)).map { level in
      if level == 0 {
        let trigger = UInt64(options.level0Trigger)
        return LevelScore(
          level: 0, score: Double(levels[0].count) / Double(trigger), size: UInt64(levels[0].count), target: trigger)
      }
      let bytes = totalBytes(levels[level])
      let target = options.targetBytes(level: level)
      return LevelScore(level: level, score: Double(bytes) / Double(target), size: bytes, target: target)
    }
  }

  /// The bytes compaction owes: for each level over its limit, the bytes
  /// above the limit, which must move down, and for a level 0 at its
  /// trigger, all of it. (RocksDB's estimate also counts the bytes of the
  /// level below that moving them will rewrite; this one is a lower bound.)
  public func pendingBytes(_ levels: [[TableMetadata]]) -> UInt64 {
    var owed: UInt64 = levels[0].count >= options.level0Trigger ? totalBytes(levels[0]) : 0
    for level in 1..<(levels.count - 1) {
      let bytes = totalBytes(levels[level])
      let target = options.targetBytes(level: level)
      if bytes > target { owed += bytes - target }
    }
    return owed
  }

  /// The compaction to run now, or `nil` if no level is due.
  ///
  /// - Parameter pointers: per level, the largest key its last compaction
  ///   took; the next one starts after it.
  public func pick(_ levels: [[TableMetadata]], pointers: [Int: Bytes] = [:]) -> CompactionPlan? {
    guard let due = scores(levels).filter({ $0.score >= 1 }).max(by: { $0.score < $1.score }) else { return nil }
    let level = due.level
    let seeds: [TableMetadata]
    let reason: String
    if level == 0 {
      seeds = levels[0]
      reason = "L0 holds \(Format.plural(levels[0].count, "table")) (trigger \(options.level0Trigger))"
    } else {
      let tables = levels[level]
      let after = pointers[level]
      let next = after.flatMap { key in tables.first { compareBytes($0.largest.userKey, key) > 0 } }
      seeds = [next ?? tables[0]]
      reason =
        "L\(level) holds \(Format.size(Int(clamping: due.size))) of \(Format.size(Int(clamping: due.target)))"
        + String(format: " (score %.2f)", due.score)
    }
    return plan(level: level, seeds: seeds, levels: levels, reason: reason)
  }

  /// The full plan for compacting `seeds` from `level`: the overlapping
  /// tables below, any more tables of `level` that fit within that same
  /// overlap, and the grandparents.
  public func plan(level: Int, seeds: [TableMetadata], levels: [[TableMetadata]], reason: String) -> CompactionPlan {
    precondition(level + 1 < levels.count, "the last level has nowhere to go")
    var inputs = seeds
    if level == 0 { inputs = closeOverlaps(levels[0], around: inputs) }
    var range = keyRange(inputs)
    var overlapping = tables(in: levels[level + 1], overlapping: range)
    // Expansion: with the level below fixed, more of this level may come
    // along for free (no more bytes below to rewrite), within a limit.
    if !overlapping.isEmpty {
      let whole = keyRange(inputs + overlapping)
      var expanded = tables(in: levels[level], overlapping: whole)
      if level == 0 { expanded = closeOverlaps(levels[0], around: expanded) }
      let limit = options.expansionLimit * options.targetTableSize
      if expanded.count > inputs.count, totalBytes(expanded) + totalBytes(overlapping) < limit {
        let below = tables(in: levels[level + 1], overlapping: keyRange(expanded))
        if below.map(\.number) == overlapping.map(\.number) {
          inputs = expanded
          range = keyRange(inputs)
          overlapping = below
        }
      }
    }
    let all = keyRange(inputs + overlapping)
    let grandparents = level + 2 < levels.count ? tables(in: levels[level + 2], overlapping: all) : []
    let isTrivialMove =
      inputs.count == 1 && overlapping.isEmpty
      && totalBytes(grandparents) <= options.grandparentLimit * options.targetTableSize
    return CompactionPlan(
      level: level, inputs: inputs, overlapping: overlapping, grandparents: grandparents,
      isTrivialMove: isTrivialMove, reason: reason)
  }
  // end snippet

  /// Level 0's tables overlap each other: taking one means taking every
  /// table whose range touches the growing range, until it stops growing.
  private func closeOverlaps(_ level0: [TableMetadata], around seeds: [TableMetadata]) -> [TableMetadata] {
    guard !seeds.isEmpty else { return seeds }
    var chosen = seeds
    while true {
      let more = tables(in: level0, overlapping: keyRange(chosen))
      if more.count == chosen.count { return more }
      chosen = more
    }
  }
}

/// The smallest and largest user keys of `tables` (which must not be empty).
func keyRange(_ tables: [TableMetadata]) -> (smallest: Bytes, largest: Bytes) {
  var smallest = tables[0].smallest.userKey
  var largest = tables[0].largest.userKey
  for table in tables.dropFirst() {
    if compareBytes(table.smallest.userKey, smallest) < 0 { smallest = table.smallest.userKey }
    if compareBytes(table.largest.userKey, largest) > 0 { largest = table.largest.userKey }
  }
  return (smallest, largest)
}

/// The tables of `level` whose user keys meet `range`, in the level's order.
func tables(in level: [TableMetadata], overlapping range: (smallest: Bytes, largest: Bytes)) -> [TableMetadata] {
  level.filter {
    compareBytes($0.largest.userKey, range.smallest) >= 0 && compareBytes($0.smallest.userKey, range.largest) <= 0
  }
}

func totalBytes(_ tables: [TableMetadata]) -> UInt64 { tables.reduce(0) { $0 + $1.fileSize } }
