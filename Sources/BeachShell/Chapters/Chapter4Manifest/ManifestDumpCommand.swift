import ArgumentParser
import Chapter1WAL
import Chapter4Manifest

/// `beach manifest-dump DIR`: the manifest, edit by edit.
struct ManifestDumpCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "manifest-dump",
    abstract: "Print every edit of a database's manifest and the tables per level after each.",
    discussion: """
      DIR is a database directory (the manifest CURRENT names is dumped) or a MANIFEST-NNNNNN file. \
      The file is only read, never changed. Exits with status 1 if the manifest is corrupt.
      """
  )

  @Argument(help: "A database directory, or a manifest file.")
  var path: String

  @Flag(help: "Print only the edits, not the version after each.")
  var brief = false

  func run() throws {
    let result: ManifestDump.Result
    do {
      result = try ManifestDump.run(path: path, fileSystem: DiskFileSystem(), verbose: !brief)
    } catch {
      StandardStream.error.write("beach manifest-dump: \(error)\n")
      throw ExitCode.failure
    }
    for line in result.lines { print(line) }
    if result.isCorrupt { throw ExitCode.failure }
  }
}
