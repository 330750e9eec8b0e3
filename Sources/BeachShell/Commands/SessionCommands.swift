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
        with recovery traced. A later chapter reads what an earlier one wrote \
        (chapter 4 adopts chapter 3's tables into its manifest) and records \
        itself in FORMAT; from then on an earlier chapter refuses the \
        directory, without touching it, rather than misread it. Without an \
        argument, prints the current chapter and those available.
        """,
      arity: 0...1, completions: [.words(EngineRegistry.all.map { String($0.chapter) })]
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
      name: "set", usage: "set [limit N|all] [memtable-size BYTES]", summary: "change a setting, or list them",
      help: """
        set limit N: listings (scan, show, files) print at most N lines, then \
        how many more there are; set limit all prints everything. The default \
        is 40.
        set memtable-size BYTES: the memtable size at which engines from \
        chapter 3 on flush, then reopens the database with it. The shell's \
        default is 4096 (4 KiB), so that a session watches flushes after a few \
        dozen writes; the engines' own default is 4 MiB. Also --memtable-size.
        Without an argument, lists the settings.
        """,
      arity: 0...2, completions: [.words(["limit", "memtable-size"]), .none]
    ) { shell, arguments in
      guard !arguments.isEmpty else {
        shell.say("limit          " + (shell.listingLimit.map(String.init) ?? "all"))
        shell.say("memtable-size  \(shell.memtableSize) (\(Format.size(shell.memtableSize)))")
        shell.say("sync           \(shell.syncWrites ? "on" : "off")")
        shell.say("trace          \(shell.tracer.level)")
        return
      }
      guard arguments.count == 2 else { throw ShellError.usage(arguments.command) }
      switch try arguments.choice(0, ["limit", "memtable-size"]) {
      case "limit":
        shell.listingLimit = arguments.text(1) == "all" ? nil : try arguments.integer(1, "N", in: 1...1_000_000)
        shell.say("limit " + (shell.listingLimit.map(String.init) ?? "all"))
      default:
        shell.memtableSize = try arguments.integer(1, "BYTES", in: 1024...(1 << 30))
        try shell.closeEngine()
        if shell.openEngine() {
          shell.say("ok  memtable-size \(Format.size(shell.memtableSize)); reopened: \(shell.engine!.summary)")
        }
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
        let topics = shell.showTopics
        let width = topics.map(\.name.count).max() ?? 0
        shell.say("topics in chapter \(shell.engineDescriptor.chapter):")
        for topic in topics {
          let name = topic.name + (topic.takesFile ? " FILE" : "")
          shell.say("  " + name.padding(toLength: width + 5, withPad: " ", startingAt: 0) + topic.summary)
        }
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
      shell.inputs.append((file, 0))
      defer { shell.inputs.removeLast() }
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
    // Usage in a column of 24, the summary beside it (or under it, for a
    // long usage), wrapped to fit 80 columns.
    let column = 26
    say("chapter \(engineDescriptor.chapter) (\(engineDescriptor.title)) commands:")
    for command in availableCommands {
      let also = command.aliases.isEmpty ? "" : " (also: \(command.aliases.joined(separator: ", ")))"
      let summary = wrap(command.summary + also, width: 80 - column)
      let pad = String(repeating: " ", count: column)
      var first = "  " + command.usage
      if first.count + 2 > column {
        say(first)
        first = pad
      } else {
        first += String(repeating: " ", count: column - first.count)
      }
      say(first + summary[0])
      for line in summary.dropFirst() { say(pad + line) }
    }
    say("help COMMAND explains one. Command names are not case-sensitive.")
    say("Keys and values: plain words, \"quoted\" or 'quoted' (for spaces), or hex x'00ff';")
    say("inside double quotes \\\" \\\\ \\n \\t \\r \\0 and \\xHH are escapes.")
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
