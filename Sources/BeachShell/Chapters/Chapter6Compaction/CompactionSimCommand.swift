import ArgumentParser
import Chapter6Compaction
import Foundation

/// `beach compaction-sim`: chapter 6's picker on made-up flushes, to see
/// the shape of the levels and the write amplification of a setting
/// without doing any I/O.
struct CompactionSimCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compaction-sim",
    abstract: "Run chapter 6's compaction picker on simulated flushes: level shape and write amplification.",
    discussion: """
      Each flush is a table of random keys; each compaction the union of its inputs, cut into tables of the \
      target size. Nothing is written to disk. Try --multiplier 4 against 10, or --level0-trigger 8.
      """
  )

  @Option(help: "Flushes to simulate.") var flushes = 1000
  @Option(help: "Keys per flushed table.") var keysPerFlush = 20_000
  @Option(help: "Keys are drawn from 0 ..< this.") var keySpace = 10_000_000
  @Option(help: "Bytes per entry.") var entryBytes = 120
  @Option(help: "Level 0 tables that make level 0 due.") var level0Trigger = 4
  @Option(help: "Bytes level 1 may hold.") var level1Bytes = 10 << 20
  @Option(help: "Each level's limit over the one above's.") var multiplier = 10
  @Option(help: "Bytes at which an output table is cut.") var tableSize = 2 << 20
  @Option(help: "The seed of the random keys.") var seed: UInt64 = 1

  func run() throws {
    guard (1...100_000).contains(flushes), (1...1_000_000).contains(keysPerFlush), keySpace >= 1,
      (1...65536).contains(entryBytes), (1...1000).contains(level0Trigger), level1Bytes >= 1024,
      (2...100).contains(multiplier), tableSize >= entryBytes
    else { throw ValidationError("a setting is out of range (see --help)") }
    var options = CompactionOptions()
    options.level0Trigger = level0Trigger
    options.level1Bytes = UInt64(level1Bytes)
    options.levelMultiplier = UInt64(multiplier)
    options.targetTableSize = UInt64(tableSize)
    let simulator = CompactionSimulator(
      options: options, entryBytes: entryBytes, keysPerFlush: keysPerFlush, keySpace: UInt64(keySpace), seed: seed)
    let report = simulator.run(flushes: flushes)
    for line in Self.lines(report, options: options) { print(line) }
  }

  static func lines(_ report: CompactionSimulator.Report, options: CompactionOptions) -> [String] {
    func entryBytesOf(_ report: CompactionSimulator.Report) -> Int { report.entryBytes }
    func mib(_ bytes: UInt64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
    var lines = ["level  tables  size        limit"]
    for (level, shape) in report.levels.enumerated() where shape.tables > 0 || level < 2 {
      let limit = level == 0 ? "\(options.level0Trigger) tables" : mib(options.targetBytes(level: level))
      lines.append(
        "L\(level)".padding(toLength: 7, withPad: " ", startingAt: 0)
          + String(shape.tables).padding(toLength: 8, withPad: " ", startingAt: 0)
          + mib(shape.bytes).padding(toLength: 12, withPad: " ", startingAt: 0) + limit)
    }
    lines.append(
      "\(report.compactions) compactions, \(report.moves) moves; flushed \(mib(report.bytesFlushed)), "
        + "compacted \(mib(report.bytesCompacted))")
    lines.append(
      String(format: "write amplification %.2f (table bytes written per byte flushed)", report.writeAmplification))
    let stored = report.levels.reduce(0) { $0 + $1.bytes }
    let live = UInt64(report.liveKeys) * UInt64(entryBytesOf(report))
    if live > 0 {
      lines.append(
        String(
          format: "space amplification %.2f (bytes in tables per byte of live keys)", Double(stored) / Double(live)))
    }
    return lines
  }
}
