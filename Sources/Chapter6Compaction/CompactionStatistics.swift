import Chapter1WAL

/// What compaction has done since the database opened, level by level, as
/// RocksDB's `compaction stats` reports it.
public struct CompactionStatistics: Sendable {
  /// One output level's totals.
  public struct Level: Sendable {
    /// Compactions (and moves) whose output went to this level.
    public var compactions = 0
    public var moves = 0
    /// Bytes read from the input level, and from this level itself.
    public var bytesReadAbove: UInt64 = 0
    public var bytesReadHere: UInt64 = 0
    /// Bytes of table written to this level (by compaction; level 0's are
    /// flushes).
    public var bytesWritten: UInt64 = 0
    public var tablesIn = 0
    public var tablesOut = 0
    public var entriesDropped = 0
    public var seconds: Double = 0
  }

  public var levels = Array(repeating: Level(), count: CompactionOptions.levelCount)
  /// Bytes flushed from memtables into level 0: the data as it arrived.
  public var bytesFlushed: UInt64 = 0
  /// Writes delayed a millisecond (`level0Slowdown`), and writes that waited
  /// for compaction (`level0Stop`), with the total time they waited.
  public var slowedWrites = 0
  public var stoppedWrites = 0
  public var stallSeconds: Double = 0

  /// Every table byte written, flushes and compactions, per byte flushed:
  /// how many times each byte that arrived has been written as a table.
  public var writeAmplification: Double {
    guard bytesFlushed > 0 else { return 0 }
    let compacted = levels.reduce(0) { $0 + $1.bytesWritten }
    return Double(bytesFlushed + compacted) / Double(bytesFlushed)
  }

  /// The table `show compaction` and the benchmark print: one line per
  /// level that anything was written to, then the totals; with `times`,
  /// the seconds spent too (a notebook leaves them out: they vary).
  public func lines(times: Bool = true) -> [String] {
    func mib(_ bytes: UInt64) -> String { String(format: "%8.2f", Double(bytes) / 1_048_576) }
    var lines = ["level  compactions  moves  read MiB  write MiB  tables in/out  dropped" + (times ? "  seconds" : "")]
    lines.append(
      "L0     " + padText("-", 11) + "  " + padText("-", 5) + "  " + padText("-", 8) + "   " + mib(bytesFlushed)
        + "  " + padText("-", 13) + "  " + padText("-", 7) + (times ? "  " + padText("-", 7) : "") + "  (flushes)")
    for (number, level) in levels.enumerated() where number > 0 && (level.compactions + level.moves) > 0 {
      lines.append(
        "L\(number)     " + pad(level.compactions, 11) + "  " + pad(level.moves, 5) + "  "
          + mib(level.bytesReadAbove + level.bytesReadHere) + "   " + mib(level.bytesWritten) + "  "
          + padText("\(level.tablesIn)/\(level.tablesOut)", 13) + "  " + pad(level.entriesDropped, 7)
          + (times ? "  " + String(format: "%7.2f", level.seconds) : ""))
    }
    lines.append(
      String(format: "write amplification %.2f", writeAmplification)
        + " (table bytes written, flushes and compactions, per byte flushed)")
    lines.append(
      "stalls  \(Format.plural(slowedWrites, "write")) slowed, \(Format.plural(stoppedWrites, "write")) stopped"
        + (times ? String(format: ", %.3f s waited", stallSeconds) : ""))
    return lines
  }
}

private func pad(_ value: Int, _ width: Int) -> String { padText(String(value), width) }

private func padText(_ text: String, _ width: Int) -> String {
  String(repeating: " ", count: max(0, width - text.count)) + text
}
