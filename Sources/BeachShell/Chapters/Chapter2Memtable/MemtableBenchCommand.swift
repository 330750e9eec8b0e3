import ArgumentParser
import Foundation

/// `beach memtable-bench`: chapter 2's evidence, the arena-backed skip list
/// against the same skip list with an object per node.
struct MemtableBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "memtable-bench",
    abstract: "Measure the arena skip list against an object-per-node skip list: inserts, lookups, memory.",
    discussion: """
      Both lists get the same keys and the same tower heights, so the rows differ only in how nodes \
      are stored. Use a release build for figures: swift run -c release beach memtable-bench
      """
  )

  @Option(help: "Entry counts, comma-separated.")
  var sizes = "10000,100000,1000000"

  @Option(help: "Rounds; each figure is the median of its rounds.")
  var rounds = 3

  func run() throws {
    let counts = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 && $0 <= 20_000_000 }), rounds >= 1 else {
      throw ValidationError("--sizes needs numbers from 1 to 20000000; --rounds a positive number")
    }
    for line in MemtableBenchmark.run(sizes: counts, rounds: rounds) {
      print(line)
    }
  }
}
