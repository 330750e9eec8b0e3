import ArgumentParser

/// `beach table-bench`: chapter 3's evidence, prefix compression, point
/// lookups and block size.
struct TableBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "table-bench",
    abstract: "Measure tables: prefix compression on and off, point lookups, block sizes 1 to 64 KiB.",
    discussion: """
      Builds tables of db_bench-like entries (16-byte keys, 100-byte values) on disk, then looks up present \
      and missing keys. Use a release build for figures: swift run -c release beach table-bench
      """
  )

  @Option(help: "Entries in each table.")
  var entries = 100_000

  @Option(help: "Lookups of present keys, and as many of missing keys.")
  var lookups = 100_000

  @Option(help: "Rounds; each lookup figure is the median of its rounds.")
  var rounds = 3

  @Option(help: "Directory for the scratch tables (default: a fresh temporary directory).")
  var dir: String?

  func run() throws {
    guard entries >= 1, entries <= 50_000_000, lookups >= 1, rounds >= 1 else {
      throw ValidationError("--entries needs 1 to 50000000; --lookups and --rounds positive numbers")
    }
    for line in try TableBenchmark.run(entries: entries, lookups: lookups, rounds: rounds, directory: dir) {
      print(line)
    }
  }
}
