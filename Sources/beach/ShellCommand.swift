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
      From a pipe or with --script: no prompt and no echo, one result per command; \
      an error names its line, and the exit status is 1 if any command failed. \
      With a COMMAND (beach --dir D get a), runs that one command and exits.
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

  @Option(help: "The memtable size, in bytes, of engines that flush (chapter 3 on); small, so sessions see flushes.")
  var memtableSize = Shell.defaultMemtableSize

  @Flag(help: "Stop at the first command that fails (exit status 1).")
  var bail = false

  @Argument(help: "One shell command to run instead of reading input, e.g. get a.")
  var command: [String] = []

  func validate() throws {
    if let chapter, EngineRegistry.engine(chapter: chapter) == nil {
      throw ValidationError("no engine for chapter \(chapter) (this build has \(EngineRegistry.chapterList))")
    }
    if let script, !FileManager.default.isReadableFile(atPath: script) {
      throw ValidationError("cannot read script \(script)")
    }
    guard (1024...(1 << 30)).contains(memtableSize) else {
      throw ValidationError("--memtable-size must be 1024 to 1073741824 bytes")
    }
    if script != nil && !command.isEmpty {
      throw ValidationError("give a --script or a COMMAND, not both")
    }
    if let word = command.first, !Shell.isCommand(word) {
      var hint = ""
      if word.count <= 24 {
        let names = Shell.commandNames + Beach.subcommands.map { $0._commandName }
        let close = names.min { editDistance($0, word.lowercased()) < editDistance($1, word.lowercased()) }
        hint = close.flatMap { editDistance($0, word.lowercased()) <= 2 ? "; did you mean '\($0)'?" : nil } ?? ""
      }
      let shown = word.count <= 40 ? word : word.prefix(40) + "…"
      throw ValidationError("unknown command '\(shown)'\(hint) (beach --help lists the subcommands, help the shell's)")
    }
  }

  func run() throws {
    // A person is typing: readline, a banner, a progress bar.
    let interactive = script == nil && command.isEmpty && isatty(0) == 1
    let directory: String
    let isTemporary = dir == nil
    if let dir {
      directory = URL(fileURLWithPath: dir).standardizedFileURL.path
      try prepare(directory)
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
      Interrupt.install()
      print(
        "beach: chapter \(descriptor.chapter) (\(descriptor.title)), database in \(directory)\n"
          + "help lists commands; Ctrl-C cancels a line or a command; quit or Ctrl-D leaves")
    }

    let shell: Shell
    do {
      shell = try Shell(
        options: Shell.Options(
          chapter: descriptor.chapter, directory: directory, trace: trace.level,
          output: .standardOutput(terminal: interactive && StandardStream.output.isTerminal),
          errorsNameTheirLine: !interactive && command.isEmpty, bail: bail, memtableSize: memtableSize))
    } catch {
      throw ValidationError(error.description)
    }

    if !command.isEmpty {
      shell.run(reader: ArrayLineReader([command.map(Tokenizer.quoted).joined(separator: " ")]))
    } else if let script {
      guard let data = FileManager.default.contents(atPath: script) else {
        throw ValidationError("cannot read script \(script)")
      }
      shell.run(reader: ArrayLineReader(lines(of: data)))
    } else {
      let endOfInput = shell.run(reader: standardInputReader())
      if interactive && endOfInput { StandardStream.output.write("\n") }  // Ctrl-D leaves the cursor after the prompt
    }
    // A script's caller learns that something failed; a person saw it.
    if !interactive && shell.failures > 0 { throw ExitCode.failure }
  }

  /// Creates the database directory if it is missing.
  ///
  /// - Throws: a one-line error naming the path if it is not a directory or
  ///   cannot be made.
  private func prepare(_ directory: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw fatal("--dir \(directory) is not a directory") }
      return
    }
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw fatal("cannot create the database directory \(directory): \((error as NSError).localizedDescription)")
    }
  }

  /// Prints `beach: message` on standard error; returns the exit to throw.
  private func fatal(_ message: String) -> ExitCode {
    StandardStream.error.write("beach: \(message)\n")
    return ExitCode.failure
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
