import ArgumentParser
import BeachShell
import Foundation

/// `beach bench`: RocksDB's `db_bench`, spoken by this project's engines.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Run db_bench's workloads on a chapter's engine and print db_bench's result lines.",
    usage: "beach bench [--benchmarks=fillseq,readrandom] [--num=1000000] [--chapter=N] [more db_bench flags]",
    discussion: """
      Same names, flags and output as RocksDB's db_bench (from Debian's rocksdb-tools), so that the two \
      can run back to back on one workload and be compared line by line:

        db_bench    --benchmarks=fillseq,readrandom --num=1000000 --compression_type=none --db=/tmp/rocks
        beach bench --benchmarks=fillseq,readrandom --num=1000000 --compression_type=none --db=/tmp/beach

      Use a release build for figures: swift run -c release beach bench ...

      BENCHMARKS (--benchmarks, comma-separated, run in order)
      \(benchmarkList)

      FLAGS (gflags style: --num=1000, --num 1000, --sync, --sync=true|false|1|0, --nosync)
        --benchmarks=LIST        default fillseq,fillrandom,overwrite,readrandom,readseq
        --num=N                  key space, and writes per thread (default 1000000)
        --reads=N                reads per thread; -1 means num (default -1)
        --key_size=N             bytes per key (default 16)
        --value_size=N           bytes per value (default 100)
        --compression_ratio=R    random fraction of each value (default 0.5)
        --batch_size=N           entries per write batch (default 1)
        --sync                   sync every write (default false)
        --threads=N              threads per benchmark, each doing all its operations: several writers \
      share one log sync (group commit) (default 1)
        --db=DIR                 database directory (default $TMPDIR/beachtest-UID/dbbench); it is emptied \
      first unless --use_existing_db, and only if it holds nothing but database files
        --use_existing_db        keep the database; fill benchmarks are skipped
        --seed=N                 seed for the random key orders; 0 picks one from the clock (default 0)
        --bloom_bits=N           for engines with bloom filters (chapter 5 on); noted and ignored before
        --write_buffer_size=N    memtable bytes before a flush, for engines that flush (default: the engine's)
        --chapter=N              the engine (default: the newest chapter's)
        --chapters=1,2,3         run the list on each of these engines in turn and print a table
        --svg=FILE, --markdown=FILE   with --chapters: write the comparison as a chart and a table
      Other db_bench flags that do not apply yet (--compression_type, --cache_size, --statistics, ...) are \
      accepted with a note on standard error; unknown flags are an error.

      WHAT IS THE SAME AS DB_BENCH
        Keys: key_size bytes, the key number big-endian in the first 8, then '0' padding. Values: slices of \
      one 1 MiB buffer of compressible text made by the same seeded generator, so byte for byte the same \
      values. Fill benchmarks start from an empty database; each thread does all of a benchmark's \
      operations; fillsync writes num synced values into num/1000 keys; readmissing reads keys one byte \
      longer. The result line and its fields (micros/op per thread, ops/sec, seconds, operations, MB/s, \
      found counts).

      WHAT DIFFERS
        The random key order: uniform over 0..num-1 with repeats in both, but from this project's own \
      generator, so the sequence differs (the distribution does not). Nothing is compressed. The header \
      lines above the results differ. readreverse needs an engine that iterates backward (chapters 1 and 2; \
      from chapter 3 on, the merged iterator walks forward only). reopen is ours: the time to open the database again.

      A terminal gets a progress bar; a pipe gets the result lines only.
      """
  )

  @Argument(parsing: .allUnrecognized, help: "db_bench flags, as in --num=100000 (see above).")
  var flags: [String] = []

  private static var benchmarkList: String {
    BenchFlags.benchmarkNames.map { name, summary in
      "  " + name + String(repeating: " ", count: max(1, 14 - name.count)) + summary
    }.joined(separator: "\n")
  }

  func run() throws {
    let configuration: BenchConfiguration
    do {
      configuration = try BenchFlags.parse(flags)
    } catch {
      // One line, not the whole usage: the flags are too many for it.
      StandardStream.error.write("beach bench: \(error.message)\n")
      throw ExitCode.validationFailure
    }
    #if DEBUG
      StandardStream.error.write(
        "note: this is a debug build, many times slower than a release one: swift run -c release beach bench\n")
    #endif
    let output = BenchOutput.standard(terminal: StandardStream.output.isTerminal)
    let runs: [BenchRun]
    do {
      runs = try BenchRunner.run(configuration, output: output)
    } catch {
      StandardStream.error.write("error: \(error)\n")
      throw ExitCode.failure
    }
    guard configuration.chapters != nil else { return }
    let table = BenchChart.markdownTable(runs)
    output.line("")
    output.line(table, terminator: "")
    if let path = configuration.markdownPath {
      try (Self.caption(configuration) + "\n\n" + table).write(toFile: path, atomically: true, encoding: .utf8)
    }
    if let path = configuration.svgPath {
      let chart = BenchChart.svg(
        runs, title: "One workload, each chapter's engine (µs per operation, shorter is faster)",
        caption: Self.caption(configuration))
      try chart.write(toFile: path, atomically: true, encoding: .utf8)
    }
  }

  /// The workload in one line, for the chart and the table.
  private static func caption(_ c: BenchConfiguration) -> String {
    "beach bench --num=\(c.num) --key_size=\(c.keySize) --value_size=\(c.valueSize) --threads=\(c.threads)"
      + (c.sync ? " --sync" : "") + "; one release run, each chapter in a fresh directory"
  }
}

extension BenchOutput {
  fileprivate func line(_ text: String, terminator: String) {
    line(text.hasSuffix("\n") ? String(text.dropLast()) : text)
  }
}
