import Chapter1WAL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `show`, `files`, `hexdump`: looking at what the engine keeps, in its own
/// terms and byte by byte.
extension Shell {
  static let inspectionCommands: [Command] = [
    Command(
      name: "show", usage: "show TOPIC [FILE]", summary: "show engine state: wal, files, ...",
      help: """
        show wal: the log being written (size, how much of it is synced, how many \
        records), then every record: offset, payload length, checksum, sequence \
        numbers and operations.
        show files: the same as `files` until chapter 4; from then on, what \
        each file is to the engine: live, obsolete (and which reader keeps it), \
        or an orphan.
        Later chapters add topics: memtable and stats (chapter 2), sst FILE and \
        levels (chapter 3), manifest (chapter 4), ...; `help` in a chapter's \
        shell lists the ones its engine has.
        """,
      arity: 1...2, completions: [.none, .databaseFile]  // the topics depend on the engine; see `completionModel`
    ) { shell, arguments in
      let topic = arguments.text(0)
      let argument = arguments.count > 1 ? try shell.databaseFile(arguments.text(1)) : nil
      guard (argument != nil) == (topic == "sst") else {
        throw ShellError(topic == "sst" ? "usage: show sst FILE" : "usage: show \(topic) (it takes no FILE)")
      }
      if topic == "files" && !shell.engineDescriptor.showTopics.contains("files") {
        try shell.listFiles()
        return
      }
      guard shell.engineDescriptor.showTopics.contains(topic) else {
        let topics = shell.showTopics.joined(separator: ", ")
        throw ShellError("unknown topic '\(topic)'; chapter \(shell.engineDescriptor.chapter) can show: \(topics)")
      }
      for line in try shell.openEngineOrThrow.show(topic, argument: argument) { shell.say(line) }
    },
    Command(
      name: "files", usage: "files", summary: "list the database's files and what of them is durable",
      help: """
        One line per file in the database directory: its size, how many of its \
        bytes are durable (synced), and whether its name is durable (created or \
        renamed before the last directory sync). A power cut (`crash`) keeps only \
        the durable part.
        """,
      arity: 0...0
    ) { shell, _ in
      try shell.listFiles()
    },
    Command(
      name: "hexdump", usage: "hexdump FILE [OFFSET [LEN]]", summary: "dump a file's bytes, 16 a line",
      help: """
        Prints LEN bytes (default 512) of FILE, a name in the database directory, \
        starting at OFFSET (default 0; decimal or 0x hex): offset, hex, ASCII.
        """,
      arity: 1...3, completions: [.databaseFile, .none, .none]
    ) { shell, arguments in
      let name = try shell.databaseFile(arguments.text(0))
      let offset = arguments.count > 1 ? try arguments.integer(1, "OFFSET") : 0
      let length = arguments.count > 2 ? try arguments.integer(2, "LEN", in: 1...(1 << 24)) : 512
      try shell.hexdump(name, offset: offset, length: length)
    },
  ]

  /// Checks that `name` names a file inside the database directory and
  /// returns it.
  ///
  /// - Throws: `ShellError` for an absolute path or one that climbs out with `..`.
  func databaseFile(_ name: String) throws -> String {
    let components = name.split(separator: "/", omittingEmptySubsequences: false)
    guard !name.isEmpty, !name.hasPrefix("/"), !components.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty })
    else {
      throw ShellError("'\(name)' is not a name inside the database directory (try `files`)")
    }
    return name
  }

  /// The path of a database file on disk.
  func path(of name: String) -> String { joinPath(directory, name) }

  /// Prints a file's bytes with `Hexdump`.
  func hexdump(_ name: String, offset: Int, length: Int) throws {
    let file = try disk.openReadable(path(of: name))
    defer { try? file.close() }
    let size = file.size
    guard offset <= size else {
      throw ShellError("offset \(offset) is past the end of \(name) (\(size) bytes)")
    }
    if size == 0 {
      say("(\(name) is empty)")
      return
    }
    if offset == size {
      say("(nothing at offset \(offset): \(name) has \(size) bytes)")
      return
    }
    let bytes = try file.read(at: offset, count: min(length, size - offset))
    for line in Hexdump.lines(bytes, startingAt: offset) { say(line) }
    let rest = size - offset - bytes.count
    if rest > 0 {
      say("(\(rest) more byte\(rest == 1 ? "" : "s"): hexdump \(name) \(offset + bytes.count))")
    }
  }
}
