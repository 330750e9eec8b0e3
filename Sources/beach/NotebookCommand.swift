import ArgumentParser
import BeachShell
import Foundation

/// `beach notebook check|update|play|list`: the book's executable sessions.
struct NotebookCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "notebook",
    abstract: "Check, update, play or list the notebooks (Notebook/*.md).",
    subcommands: [Check.self, Update.self, Play.self, List.self]
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
        // Said here rather than as a ValidationError, whose usage line would
        // be the root command's.
        StandardStream.error.write(
          "beach notebook: no Notebook/*.md in \(FileManager.default.currentDirectoryPath) or any directory above "
            + "it: run beach from a clone of the repository, or name notebook files\n")
        throw ExitCode.validationFailure
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
      abstract: "Walk through a notebook in the live shell: its prose, then each command.",
      discussion: """
        Each command is shown with the shell's prompt, then you answer: Enter runs it on a \
        fresh database with the trace on, s skips it, q stops, ? lists the choices; \
        anything else you type runs as a command of your own, and then the notebook's \
        command is offered again. Without a terminal the answers are read line by line \
        from standard input.
        """)

    @Argument(help: "The notebook to play, e.g. Notebook/01-wal.md.")
    var file: String

    func run() throws {
      let typing = isatty(0) == 1
      let terminal = StandardStream.output.isTerminal
      // No history file: answers such as "s" and "q" are not commands.
      let input: any LineReader = typing ? ReadlineLineReader(historyFile: nil) : PlainLineReader()
      do {
        try NotebookPlayer.play(
          file,
          options: NotebookPlayer.Options(
            output: .standardOutput(terminal: terminal), input: input, terminal: terminal, echoAnswers: !typing))
      } catch {
        throw ValidationError("\(file): \(error)")
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List the notebooks: chapter, title, sessions and commands of each.")

    @Argument(help: "Notebooks to list (default: all of Notebook/*.md).")
    var files: [String] = []

    func run() throws {
      var entries: [(name: String, notebook: Notebook)] = []
      var failures: [String] = []
      for path in try NotebookCommand.resolve(files) {
        do {
          entries.append((NotebookCommand.displayName(path), try Notebook(contentsOf: path)))
        } catch {
          failures.append("FAIL  \(NotebookCommand.displayName(path)): \(error)")
        }
      }
      if !entries.isEmpty {
        for line in Notebook.listing(entries) { print(line) }
      }
      for line in failures { print(line) }
      if !failures.isEmpty { throw ExitCode.failure }
    }
  }

  /// `path` relative to the current directory when it is inside it.
  static func displayName(_ path: String) -> String {
    let current = FileManager.default.currentDirectoryPath
    let prefix = current.hasSuffix("/") ? current : current + "/"
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
    return absolute.hasPrefix(prefix) ? String(absolute.dropFirst(prefix.count)) : path
  }
}
