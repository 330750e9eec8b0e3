import Chapter1WAL

/// `snapshot` and `release`: reading the past, from chapter 2 on (`get` and
/// `scan` take the `@ID` that names a snapshot); `flush`, from chapter 3 on.
extension Shell {
  static let engineCommands: [Command] = [
    Command(
      name: "snapshot", usage: "snapshot", summary: "take a snapshot; prints its id",
      help: """
        Records the last sequence number as a snapshot and prints its id. \
        `get KEY @ID` and `scan … @ID` then read the database as it was at that \
        moment, however many writes follow. `release ID` lets it go. Snapshots \
        live in memory: a crash or a reopen ends them all.
        """,
      arity: 0...0, requires: .snapshots, needsDatabase: true
    ) { shell, _ in
      let (id, sequence) = try shell.openEngineOrThrow.takeSnapshot()
      shell.say("ok  snapshot \(id) at seq \(sequence)")
    },
    Command(
      name: "release", usage: "release ID", summary: "release a snapshot",
      help: "Releases the snapshot with this id (with or without the @).",
      arity: 1...1, completions: [.none], requires: .snapshots, needsDatabase: true
    ) { shell, arguments in
      var text = Substring(arguments.text(0))
      if text.first == "@" { text = text.dropFirst() }
      guard let id = Int(text), id > 0 else { throw ShellError("ID must be a snapshot id like 1 or @1") }
      let (released, sequence) = try shell.openEngineOrThrow.releaseSnapshot(id: id)
      shell.say("ok  released snapshot \(released) (seq \(sequence))")
    },
    Command(
      name: "flush", usage: "flush", summary: "write the memtable to a table now",
      help: """
        Freezes the memtable (writes go to a new memtable and a new log), writes \
        it out as a sorted table, makes it durable, and only then retires the old \
        log. In chapter 3 the table is published by a rename; from chapter 4 on, \
        by an edit in the manifest. The trace shows each step. A memtable that \
        passes its size limit is flushed the same way without being asked.
        """,
      arity: 0...0, requires: .flush, needsDatabase: true
    ) { shell, _ in
      try shell.openEngineOrThrow.flush()
      shell.say("ok  flushed")
    },
  ]
}

extension Arguments {
  /// Splits a trailing `@ID` (unquoted) off the arguments.
  ///
  /// - Returns: the other arguments and the snapshot id, if there was one.
  /// - Throws: if the `@` is not followed by a positive number.
  func splitSnapshot() throws -> (words: [Token], snapshot: Int?) {
    guard let last = tokens.last, !last.isQuoted, last.text.hasPrefix("@") else { return (tokens, nil) }
    guard let id = Int(last.text.dropFirst()), id > 0 else {
      throw ShellError("'\(last.text)' is not a snapshot: write @ID with the id `snapshot` printed")
    }
    return (Array(tokens.dropLast()), id)
  }
}
