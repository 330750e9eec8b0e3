import ArgumentParser
import Foundation

/// `beach wal-bench`: chapter 1's evidence, synced writes against the disk's
/// own fdatasync rate, and group commit with several writers.
struct WALBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "wal-bench",
    abstract: "Measure synced writes: raw fdatasync, then synced puts with 1, 4 and 16 writers.",
    discussion: """
      Every row runs on the same disk in one run, so compare rows, not runs. Use a \
      release build for figures: swift run -c release beach wal-bench
      """
  )

  @Option(help: "Operations per row.")
  var ops = 5000

  @Option(help: "Rounds; each row's median round is reported.")
  var rounds = 3

  @Option(help: "Writer thread counts, comma-separated.")
  var writers = "1,4,16"

  @Option(help: "Directory for the scratch files (default: a fresh temporary directory).")
  var dir: String?

  func run() throws {
    let counts = writers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 && $0 <= 256 }), ops >= 1, rounds >= 1 else {
      throw ValidationError("--writers needs numbers from 1 to 256; --ops and --rounds positive numbers")
    }
    let directory = dir ?? FileManager.default.temporaryDirectory.path + "/beach-wal-bench-\(getpid())"
    defer { if dir == nil { try? FileManager.default.removeItem(atPath: directory) } }
    for line in try WALBenchmark.run(directory: directory, operations: ops, writerCounts: counts, rounds: rounds) {
      print(line)
    }
  }
}
