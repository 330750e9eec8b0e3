/// `beach`: the BeachDB shell and its tools.
///
/// Run with no subcommand it opens the tracing shell on the newest chapter's
/// engine (`swift run beach`, `beach --chapter 1 --dir /tmp/db`). The other
/// subcommands are the chapters' tools and evidence:
///
/// - dumps: `wal-dump` (a log, record by record), `sst-dump` (a table:
///   footer, properties, index, blocks) and `manifest-dump` (a manifest, edit
///   by edit);
/// - measurements: `bench` (RocksDB's `db_bench` workloads, flags and
///   result lines, on any chapter's engine), `wal-bench` (synced writes,
///   group commit),
///   `memtable-bench` (arena skip list against one object per node) and
///   `table-bench` (prefix compression, block sizes, blocks per lookup);
/// - the book: `notebook` (list, play, check, update) and `book` (weave
///   `Book/`, check it, or render HTML);
/// - the hidden `crash-worker`, the child process of the SIGKILL crash test.
import ArgumentParser

@main
struct Beach: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "beach",
    abstract: "BeachDB: a storage engine built chapter by chapter, and a shell that shows every step it takes.",
    subcommands: subcommands,
    defaultSubcommand: ShellCommand.self
  )

  /// The subcommands, with each chapter's evidence tools present only when
  /// that chapter is (a milestone tag cuts the later chapters).
  static var subcommands: [any ParsableCommand.Type] {
    var commands: [any ParsableCommand.Type] = [
      ShellCommand.self, WALDumpCommand.self, BenchCommand.self, WALBenchCommand.self, NotebookCommand.self,
      BookCommand.self, CrashWorkerCommand.self,
    ]
    #if canImport(Chapter2Memtable)
      commands.append(MemtableBenchCommand.self)
    #endif
    #if canImport(Chapter3SSTable)
      commands += [SSTDumpCommand.self, TableBenchCommand.self]
    #endif
    #if canImport(Chapter4Manifest)
      commands.append(ManifestDumpCommand.self)
    #endif
    return commands
  }
}
