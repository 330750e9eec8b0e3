import BeachShell
import Testing

/// The result line is db_bench's, to the character.
@Suite struct BenchReportTests {
  @Test func aWriteLineHasMicrosOpsSecondsOperationsAndMegabytes() {
    let result = BenchResult(
      name: "fillseq", operations: 100_000, threadSeconds: 0.2999, elapsedSeconds: 0.2999, bytes: 11_600_000)
    #expect(
      result.line
        == "fillseq      :       2.999 micros/op 333444 ops/sec 0.300 seconds 100000 operations;   36.9 MB/s")
  }

  @Test func aReadLineEndsInItsFoundCountAndANewline() {
    var result = BenchResult(
      name: "readrandom", operations: 20_000, threadSeconds: 0.033, elapsedSeconds: 0.033, bytes: 2_014_108)
    result.message = "(17363 of 20000 found)\n"
    #expect(
      result.line
        == "readrandom   :       1.650 micros/op 606060 ops/sec 0.033 seconds 20000 operations;   58.2 MB/s "
        + "(17363 of 20000 found)\n")
  }

  @Test func noBytesMeansNoRate() {
    var result = BenchResult(name: "readmissing", operations: 20_000, threadSeconds: 0.034, elapsedSeconds: 0.034)
    result.message = "(0 of 20000 found)\n"
    #expect(result.line.hasSuffix("20000 operations; (0 of 20000 found)\n"))
    let delete = BenchResult(name: "deleterandom", operations: 10, threadSeconds: 0.001, elapsedSeconds: 0.001)
    #expect(delete.line.hasSuffix("10 operations;"))
  }

  @Test func threadsAddTheirTimeForMicrosButNotForOpsPerSecond() {
    // Four threads, each busy for the whole second: 4 µs per op as a thread
    // sees it, a million ops per second all together.
    let result = BenchResult(name: "fillrandom", operations: 1_000_000, threadSeconds: 4, elapsedSeconds: 1)
    #expect(result.line.hasPrefix("fillrandom   :       4.000 micros/op 1000000 ops/sec 1.000 seconds"))
  }

  @Test func aSkippedBenchmarkSaysWhy() {
    #expect(
      BenchResult.skipped("fillseq", because: "--use_existing_db is true").line
        == "fillseq      : skipped (--use_existing_db is true)")
  }

  @Test func dbBenchLinesParse() throws {
    let line =
      "readrandom   :       1.648 micros/op 605785 ops/sec 0.033 seconds 20000 operations;   58.2 MB/s "
      + "(17363 of 20000 found)"
    let result = try #require(BenchResult.parse(line))
    #expect(result.name == "readrandom")
    #expect(result.operations == 20_000)
    #expect(abs(result.microsecondsPerOperation - 1.648) < 1e-9)
    #expect(result.elapsedSeconds == 0.033)
    #expect(BenchResult.parse("DB path: [/tmp/rbx]") == nil)
    #expect(BenchResult.parse("fillseq      : skipped (--use_existing_db is true)") == nil)
  }

  @Test func theChapterTableHasARowPerBenchmarkAndAColumnPerChapter() {
    let runs = [
      BenchRun(
        chapter: 1, title: "one",
        results: [
          BenchResult(name: "fillseq", operations: 10, threadSeconds: 0.00002, elapsedSeconds: 0.00002),
          BenchResult(name: "reopen", operations: 1, threadSeconds: 0.5, elapsedSeconds: 0.5),
        ]),
      BenchRun(
        chapter: 2, title: "two",
        results: [
          BenchResult(name: "fillseq", operations: 10, threadSeconds: 0.0003, elapsedSeconds: 0.0003),
          .skipped("reopen", because: "no"),
        ]),
    ]
    #expect(
      BenchChart.markdownTable(runs) == """
        | benchmark | ch 1 µs/op | ch 2 µs/op |
        |---|---:|---:|
        | fillseq | 2.00 | 30.0 |
        | reopen | 500000 | — |

        """)
    let svg = BenchChart.svg(runs, title: "a <title>", caption: "workload")
    #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    #expect(svg.contains("a &lt;title&gt;"))
    #expect(svg.contains(">fillseq</text>") && svg.contains(">reopen</text>"))
    #expect(svg.contains("not supported"))
    #expect(svg == BenchChart.svg(runs, title: "a <title>", caption: "workload"))
  }
}
