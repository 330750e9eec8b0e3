import ArgumentParser
import BeachShell
import Foundation

/// `beach notebook check|update|play`: the book's executable sessions.
struct NotebookCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "notebook",
    abstract: "Check, update or play the notebooks (Notebook/*.md).",
    subcommands: [Check.self, Update.self, Play.self]
  )

  /// Notebook paths given, or every `Notebook/*.md` above the current directory.
  static func resolve(_ files: [String]) throws -> [String] {
    if !files.isEmpty { return files }
    var directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    while true {
      let found = NotebookRunner.notebooks(in: directory.path)
      if !found.isEmpty { return found }
      let parent = directory.deletingLastPathComponent()
      if parent.path == directory.path {
        throw ValidationError("no Notebook/*.md found in the current directory or above it")
      }
      directory = parent
    }
  }

  struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Replay notebooks and report any output that differs. Exits 1 on a mismatch.")

    @Argument(help: "Notebooks to check (default: all of Notebook/*.md).")
    var files: [String] = []

    func run() throws {
      var failed = false
      for path in try NotebookCommand.resolve(files) {
        do {
          let mismatches = try NotebookRunner.check(path)
          if mismatches.isEmpty {
            print("ok    \(path)")
          } else {
            failed = true
            print("FAIL  \(path): \(mismatches.count) command\(mismatches.count == 1 ? "" : "s") differ")
            for mismatch in mismatches { print(mismatch.description) }
          }
        } catch {
          failed = true
          print("FAIL  \(path): \(error)")
        }
      }
      if failed { throw ExitCode.failure }
    }
  }

  struct Update: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Replay notebooks and write the actual output into them, for review.")

    @Argument(help: "Notebooks to update (default: all of Notebook/*.md).")
    var files: [String] = []

    func run() throws {
      var failed = false
      for path in try NotebookCommand.resolve(files) {
        do {
          print((try NotebookRunner.update(path) ? "updated    " : "unchanged  ") + path)
        } catch {
          failed = true
          print("FAIL  \(path): \(error)")
        }
      }
      if failed { throw ExitCode.failure }
    }
  }

  struct Play: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Walk through a notebook: its prose, then each command when you press Enter.")

    @Argument(help: "The notebook to play.")
    var file: String

    func run() throws {
      try NotebookPlayer.play(file, output: .standardOutput(terminal: StandardStream.output.isTerminal)) {
        readLine() != nil
      }
    }
  }
}
