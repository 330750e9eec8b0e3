import Chapter1WAL
import Foundation

/// `trace`, `chapter`, `help`, `source`, `quit`: the session itself.
extension Shell {
  static let sessionCommands: [Command] = [
    Command(
      name: "trace", usage: "trace [off|steps|explain]", summary: "how much of the engine's work to show",
      help: """
        steps (the default) prints one line per step the engine takes; explain \
        adds a `why:` line under each; off prints only results. Without an \
        argument, prints the current level.
        """,
      arity: 0...1, completions: [.words(["off", "steps", "explain"])]
    ) { shell, arguments in
      if !arguments.isEmpty {
        let name = try arguments.choice(0, Tracer.Level.allCases.map(\.description))
        shell.tracer.level = Tracer.Level(name: name)!
      }
      shell.say("trace \(shell.tracer.level)")
    },
    Command(
      name: "chapter", usage: "chapter [N]", summary: "switch to chapter N's engine (same directory)",
      help: """
        Closes the current engine and opens chapter N's on the same directory, \
        with recovery traced. Later chapters read what earlier ones wrote. \
        Without an argument, prints the current chapter and those available.
        """,
      arity: 0...1, completions: [.none]
    ) { shell, arguments in
      guard !arguments.isEmpty else {
        shell.say(
          "chapter \(shell.engineDescriptor.chapter): \(shell.engineDescriptor.title)"
            + "  (available: \(EngineRegistry.chapterList))")
        return
      }
      let number = try arguments.integer(0, "N", in: 1...99)
      guard let descriptor = EngineRegistry.engine(chapter: number) else {
        throw ShellError("no engine for chapter \(number) in this build (available: \(EngineRegistry.chapterList))")
      }
      try shell.closeEngine()
      shell.selectEngine(descriptor)
      if shell.openEngine() {
        shell.say("ok  chapter \(descriptor.chapter): \(descriptor.title); \(shell.engine!.summary)")
      }
    },
    Command(
      name: "help", usage: "help [COMMAND]", summary: "list commands, or explain one",
      help: "Without an argument, lists the commands this chapter's engine supports.",
      arity: 0...1, completions: [.command]
    ) { shell, arguments in
      if arguments.isEmpty {
        shell.printCommandList()
        return
      }
      let name = arguments.text(0)
      guard let command = shell.command(named: name) else {
        let hint = shell.suggestion(for: name).map { "; did you mean '\($0)'?" } ?? ""
        throw ShellError("no command '\(name)'\(hint)")
      }
      shell.say("usage: \(command.usage)")
      if !command.aliases.isEmpty { shell.say("also: \(command.aliases.joined(separator: ", "))") }
      shell.say(command.summary)
      for paragraph in command.help.split(separator: "\n") {
        for line in wrap(String(paragraph), width: 78) { shell.say("  " + line) }
      }
      if command.name == "show" {
        shell.say("  topics here: \((shell.engineDescriptor.showTopics + ["files"]).joined(separator: ", "))")
      }
    },
    Command(
      name: "source", usage: "source FILE", summary: "run the commands in FILE",
      help: """
        Runs FILE (a path relative to where the shell was started, not the \
        database directory) line by line, as if typed. Lines starting with # \
        are comments. A failing line prints its error and the rest still runs.
        """,
      arity: 1...1, completions: [.localPath]
    ) { shell, arguments in
      let file = arguments.text(0)
      guard shell.sourceDepth < 8 else { throw ShellError("source: nested too deeply (does \(file) source itself?)") }
      guard let data = FileManager.default.contents(atPath: file) else {
        throw ShellError("source: cannot read \(file)")
      }
      shell.sourceDepth += 1
      defer { shell.sourceDepth -= 1 }
      shell.run(
        lines: String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(
          String.init))
    },
    Command(
      name: "quit", aliases: ["exit"], usage: "quit", summary: "close the database and leave",
      help: "Closes the engine cleanly (no power cut) and ends the session. So does end of input (Ctrl-D).",
      arity: 0...0
    ) { shell, _ in
      shell.requestQuit()
    },
  ]

  /// Prints `help`'s list: usage and summary, one command a line.
  func printCommandList() {
    let commands = availableCommands
    let width = commands.map(\.usage.count).max() ?? 0
    say("chapter \(engineDescriptor.chapter) (\(engineDescriptor.title)) commands:")
    for command in commands {
      say("  " + command.usage + String(repeating: " ", count: width - command.usage.count) + "  " + command.summary)
    }
    say("help COMMAND explains one. Keys and values: plain words, \"quoted\", 'quoted', or hex x'00ff'.")
  }
}

/// Breaks `text` into lines of at most `width` characters at spaces.
func wrap(_ text: String, width: Int) -> [String] {
  var lines: [String] = []
  var current = ""
  for word in text.split(separator: " ") {
    if !current.isEmpty && current.count + 1 + word.count > width {
      lines.append(current)
      current = ""
    }
    current += (current.isEmpty ? "" : " ") + word
  }
  if !current.isEmpty { lines.append(current) }
  return lines
}
