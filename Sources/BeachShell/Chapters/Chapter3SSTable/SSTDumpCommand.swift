import ArgumentParser
import Chapter1WAL
import Chapter3SSTable

/// `beach sst-dump FILE`: a table file, part by part.
struct SSTDumpCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sst-dump",
    abstract: "Print a table file's footer, properties and index, and check every data block.",
    discussion: "Exits with status 1 if any part of the table is corrupt."
  )

  @Argument(help: "The table file, e.g. /tmp/db/000005.sst.")
  var file: String

  @Flag(help: "Also print a line per data block: offset, size, checksum, entries, restart points.")
  var blocks = false

  @Flag(help: "Also print every entry: key #sequence KIND = value.")
  var entries = false

  func run() throws {
    let result: TableDump.Result
    do {
      result = try TableDump.run(path: file, fileSystem: DiskFileSystem(), blocks: blocks, entries: entries)
    } catch {
      StandardStream.error.write("beach sst-dump: \(error)\n")
      throw ExitCode.failure
    }
    for line in result.lines { print(line) }
    if result.isCorrupt { throw ExitCode.failure }
  }
}
