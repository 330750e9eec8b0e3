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
import BeachShell

@main
struct Beach: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "beach",
    abstract: "BeachDB: a storage engine built chapter by chapter, and a shell that shows every step it takes.",
    usage: """
      beach [--chapter N] [--dir DIR] [--trace off|steps|explain] [--script FILE] [--bail] [COMMAND ...]
      beach <subcommand> [<options>]
      """,
    discussion: """
      With no subcommand, beach opens the tracing shell on the newest chapter's engine. Its options \
      (see beach shell --help): --chapter N picks a chapter's engine, --dir DIR keeps the database in \
      DIR (default: a fresh temporary directory), --trace sets how much of the engine's work to show, \
      --script FILE runs FILE's commands, --bail stops at the first failing one, and a COMMAND after \
      the options (beach --dir DIR get a) runs just that command.
      """,
    version: "BeachDB-Swift, chapters \(EngineRegistry.chapterList)",
    subcommands: subcommands,
    defaultSubcommand: ShellCommand.self
  )

  /// The subcommands: the shell, the benchmark driver and the book's tools,
  /// then each chapter's own (dumps, measurements), from its adapter.
  static var subcommands: [any ParsableCommand.Type] {
    [ShellCommand.self, BenchCommand.self, NotebookCommand.self, BookCommand.self] + EngineRegistry.tools
  }
}
