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
        Prints what the engine keeps about TOPIC, in its own terms. Each chapter \
        adds topics (the memtable in chapter 2, tables in chapter 3, the manifest \
        in chapter 4, ...); the list below is this chapter's. Topics that are \
        about one file take its name: show sst 000005.sst.
        """,
      arity: 1...2, completions: [.none, .databaseFile]  // the topics depend on the engine; see `completionModel`
    ) { shell, arguments in
      let name = arguments.text(0)
      guard let topic = shell.showTopics.first(where: { $0.name == name }) else {
        let topics = shell.showTopics.map(\.name).joined(separator: ", ")
        throw ShellError("unknown topic '\(name)'; chapter \(shell.engineDescriptor.chapter) can show: \(topics)")
      }
      guard (arguments.count > 1) == topic.takesFile else {
        throw ShellError(topic.takesFile ? "usage: show \(name) FILE" : "usage: show \(name) (it takes no FILE)")
      }
      let file = arguments.count > 1 ? try shell.databaseFile(arguments.text(1)) : nil
      shell.printListing(try topic.lines(shell, file))
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
      shell.printListing(shell.fileLines())
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

  /// Checks that `name` names a file that exists inside the database
  /// directory and returns its name there. A path into the directory
  /// (`/tmp/db/000004.sst`) names the file too.
  ///
  /// - Throws: `ShellError` for a path outside the directory, one that
  ///   climbs out with `..`, or a file that is not there.
  func databaseFile(_ path: String) throws -> String {
    let name = path.hasPrefix(directory + "/") ? String(path.dropFirst(directory.count + 1)) : path
    let components = name.split(separator: "/", omittingEmptySubsequences: false)
    guard !name.isEmpty, !name.hasPrefix("/"), !components.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty })
    else {
      throw ShellError("'\(path)' is not a name inside the database directory (try `files`)")
    }
    guard (try? disk.fileSize(self.path(of: name))) != nil else {
      throw ShellError("no file \(name) in the database directory (try `files`)")
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
