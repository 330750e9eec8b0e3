import ArgumentParser
import BeachShell
import Chapter1WAL
import Foundation

/// `beach [shell]`: the interactive, tracing shell.
struct ShellCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "shell",
    abstract: "Open the tracing shell (the default).",
    discussion: """
      On a terminal: line editing, history in ~/.beach_history, tab completion. \
      From a pipe or with --script: no prompt and no echo, one result per command.
      """
  )

  @Option(help: "The chapter whose engine to run (default: the newest).")
  var chapter: Int?

  @Option(help: "The database directory (default: a fresh temporary directory).")
  var dir: String?

  @Option(help: "How much of the engine's work to show: off, steps or explain.")
  var trace: TraceLevel = .steps

  @Option(help: "Run the commands in FILE instead of reading standard input.")
  var script: String?

  func validate() throws {
    if let chapter, EngineRegistry.engine(chapter: chapter) == nil {
      throw ValidationError("no engine for chapter \(chapter) (this build has \(EngineRegistry.chapterList))")
    }
  }

  func run() throws {
    // A person is typing: readline, a banner, a progress bar.
    let interactive = script == nil && isatty(0) == 1
    let directory: String
    let isTemporary = dir == nil
    if let dir {
      directory = URL(fileURLWithPath: dir).standardizedFileURL.path
    } else {
      directory = try makeTemporaryDirectory(prefix: "beach")
    }
    defer {
      // A directory nobody was told about is removed; an interactive
      // session's stays, since the banner named it.
      if isTemporary && !interactive { try? FileManager.default.removeItem(atPath: directory) }
    }

    let descriptor = chapter.flatMap(EngineRegistry.engine(chapter:)) ?? EngineRegistry.newest
    if interactive {
      print(
        "beach: chapter \(descriptor.chapter) (\(descriptor.title)) in \(directory); help lists commands, quit leaves")
    }

    let shell: Shell
    do {
      shell = try Shell(
        options: Shell.Options(
          chapter: descriptor.chapter, directory: directory, trace: trace.level,
          output: .standardOutput(terminal: interactive && StandardStream.output.isTerminal)))
    } catch {
      throw ValidationError(error.description)
    }

    if let script {
      guard let data = FileManager.default.contents(atPath: script) else {
        throw ValidationError("cannot read script \(script)")
      }
      shell.run(reader: ArrayLineReader(lines(of: data)))
    } else {
      let endOfInput = shell.run(reader: standardInputReader())
      if interactive && endOfInput { StandardStream.output.write("\n") }  // Ctrl-D leaves the cursor after the prompt
    }
  }

  private func lines(of data: Data) -> [String] {
    String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  }
}

/// `--trace` values.
enum TraceLevel: String, ExpressibleByArgument, CaseIterable {
  case off, steps, explain

  var level: Tracer.Level { Tracer.Level(name: rawValue)! }
}
