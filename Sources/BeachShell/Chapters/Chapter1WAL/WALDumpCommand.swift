import ArgumentParser
import Chapter1WAL

/// `beach wal-dump FILE`: a log file, record by record.
struct WALDumpCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "wal-dump",
    abstract: "Print a log file's records: offset, length, checksum status.",
    discussion: "Exits with status 1 if the log is corrupt (a torn tail alone is not corruption)."
  )

  @Argument(help: "The log file, e.g. /tmp/db/000001.log.")
  var file: String

  @Flag(help: "Also print each record's operations.")
  var decode = false

  func run() throws {
    let result: LogDump.Result
    do {
      result = try LogDump.run(path: file, fileSystem: DiskFileSystem(), decode: decode)
    } catch {
      StandardStream.error.write("beach wal-dump: \(error)\n")
      throw ExitCode.failure
    }
    for line in result.lines { print(line) }
    if result.isCorrupt { throw ExitCode.failure }
  }
}
