import Chapter1WAL
import Foundation
import TestSupport

@testable import BeachShell

/// A shell over a fresh temporary directory, driven line by line, the way
/// a test reads best: a script in, a transcript out.
final class ShellSession {
  let directory: TemporaryDirectory
  let collector = LineCollector()
  let shell: Shell

  /// Opens a shell; what opening printed is available as `openingOutput`.
  init(trace: Tracer.Level = .off, chapter: Int? = 1) throws {
    directory = try TemporaryDirectory(prefix: "beach-shell-test")
    shell = try Shell(
      options: Shell.Options(
        chapter: chapter, directory: directory.path + "/db", trace: trace, output: .collecting(into: collector),
        deterministic: true))
    openingOutput = collector.drain()
  }

  /// What the shell printed while opening the directory.
  private(set) var openingOutput: [String] = []

  deinit {
    shell.finish()
    directory.remove()
  }

  /// The database directory.
  var databasePath: String { directory.path + "/db" }

  /// Runs one line; returns what it printed.
  @discardableResult
  func run(_ line: String) -> [String] {
    shell.execute(line: line)
    return collector.drain()
  }

  /// Runs each line of `script` and returns a transcript in notebook form:
  /// the prompt and the command, then its output.
  func transcript(_ script: String) -> String {
    var lines: [String] = []
    for line in script.split(separator: "\n") {
      lines.append(shell.prompt + line)
      lines += run(String(line))
    }
    return lines.joined(separator: "\n")
  }

  /// Everything `scan` prints, for before/after comparisons.
  var contents: [String] { run("scan") }
}
