import BeachShell
import Chapter1WAL
import Foundation
import TestSupport
import Testing

/// A tiny run of every benchmark on every chapter's engine: the lines are
/// db_bench's, and the counts are what the workload implies. (Nothing here
/// looks at a time.)
@Suite struct BenchRunnerTests {
  private func run(_ flags: String) throws -> (runs: [BenchRun], lines: [String], notes: [String]) {
    let configuration = try BenchFlags.parse(flags.split(separator: " ").map(String.init))
    let lines = LineCollector()
    let notes = LineCollector()
    let runs = try BenchRunner.run(
      configuration, output: BenchOutput(line: { lines.append($0) }, note: { notes.append($0) }))
    return (runs, lines.lines, notes.lines)
  }

  @Test(arguments: BenchEngineRegistry.all.map(\.chapter))
  func everyBenchmarkRunsOnEveryChapter(chapter: Int) throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let names = "fillseq,readrandom,readseq,readreverse,seekrandom,readmissing,overwrite,deleterandom,reopen,fillsync"
    let (runs, lines, _) = try run(
      "--chapter=\(chapter) --num=200 --seed=7 --benchmarks=\(names) --db=\(directory.path)/db")
    let results = try #require(runs.first?.results)
    #expect(results.map(\.name) == names.split(separator: ",").map(String.init))
    let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0) })
    #expect(byName["fillseq"]?.operations == 200)
    // Engines that count their reads (chapter 5 on) add what a get cost.
    #expect(byName["readrandom"]?.message.hasPrefix("(200 of 200 found)") == true)
    #expect(
      byName["readrandom"]?.message.contains("per get: ") == BenchEngineRegistry.engine(chapter: chapter)?.hasFilters)
    #expect(byName["readseq"]?.operations == 200)
    #expect(byName["seekrandom"]?.message == "(200 of 200 found)\n")
    #expect(byName["readmissing"]?.message.hasPrefix("(0 of 200 found)") == true)
    #expect(byName["deleterandom"]?.operations == 200)
    #expect(byName["reopen"]?.operations == 1)
    #expect(byName["fillsync"]?.message == "(1 ops)")
    let reverse = try #require(byName["readreverse"])
    let descriptor = try #require(BenchEngineRegistry.engine(chapter: chapter))
    if descriptor.iteratesBackward {
      #expect(reverse.operations == 200)
    } else {
      #expect(reverse.line == "readreverse  : skipped (chapter \(chapter)'s engine iterates forward only)")
    }
    // Every result line is one a db_bench parser reads.
    for result in results where result.skipped == nil {
      #expect(lines.contains(result.line))
      #expect(BenchResult.parse(result.line)?.operations == result.operations)
    }
    #expect(lines.contains("Engine:     chapter \(chapter), \(descriptor.title)"))
  }

  @Test func eachThreadDoesAllOfABenchmarksOperations() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let (runs, _, _) = try run(
      "--num=100 --threads=3 --seed=1 --benchmarks=fillrandom,readrandom --db=\(directory.path)/db")
    #expect(runs[0].results.map(\.operations) == [300, 300])
  }

  @Test func anExistingDatabaseIsKeptAndFillsAreSkipped() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    _ = try run("--num=50 --seed=1 --benchmarks=fillseq --db=\(directory.path)/db")
    let (runs, _, _) = try run(
      "--num=50 --seed=1 --use_existing_db --benchmarks=fillseq,readseq --db=\(directory.path)/db")
    #expect(runs[0].results[0].skipped == "--use_existing_db is true")
    #expect(runs[0].results[1].operations == 50)
  }

  @Test func aDirectoryHoldingOtherFilesIsNotEmptied() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try "keep me".write(toFile: directory.path + "/notes.txt", atomically: true, encoding: .utf8)
    #expect(throws: BenchError.self) {
      _ = try run("--num=10 --seed=1 --benchmarks=fillseq --db=\(directory.path)")
    }
    #expect(FileManager.default.fileExists(atPath: directory.path + "/notes.txt"))
  }

  @Test func engineFlagsAnEngineCannotUseAreNoted() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let (_, _, notes) = try run(
      "--chapter=1 --num=10 --seed=1 --bloom_bits=10 --write_buffer_size=65536 --benchmarks=fillseq "
        + "--db=\(directory.path)/db")
    #expect(notes.contains { $0.contains("--bloom_bits=10 is ignored: chapter 1's engine has no bloom filters") })
    #expect(notes.contains { $0.contains("--write_buffer_size is ignored") })
  }

  @Test func aZeroSeedIsPickedAndPrinted() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let (_, lines, _) = try run("--num=10 --benchmarks=fillseq --db=\(directory.path)/db")
    #expect(lines.first?.hasPrefix("Set seed to ") == true)
  }
}
