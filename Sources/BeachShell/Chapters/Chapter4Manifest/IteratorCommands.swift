import Chapter1WAL

/// An engine with long-lived iterators that pin what they read (chapter 4
/// on).
protocol IteratorEngine: ShellEngine {
  /// Opens an iterator at `from` (or the first key), as of a snapshot if
  /// given; returns its id and a line on what it holds.
  func openIterator(from: Bytes?, snapshot: Int?) throws -> (id: Int, description: String)
  /// The next `count` entries of an iterator, and whether it reached the end.
  func iteratorNext(id: Int, count: Int) throws -> (entries: [KeyValuePair], atEnd: Bool)
  /// Closes an iterator.
  func closeIterator(id: Int) throws
}

/// `iter` and `merge`, from chapter 4 on: a reader that holds a version
/// while the files change underneath, and a change that makes tables
/// obsolete.
enum IteratorCommands {
  static let all: [Command] = [
    Command(
      name: "iter", usage: "iter open [FROM] [@ID] | next ID [N] | close ID",
      summary: "a long-lived iterator that pins a version",
      help: """
        iter open [FROM] [@ID]: opens an iterator at FROM (or the first key), as \
        of snapshot ID if given, and prints its id and the version it pins: \
        the tables it will read, which stay on disk until it is closed.
        iter next ID [N]: prints the iterator's next N entries (default 1), \
        then (end) when it has run out. Flushes and merges since it opened do \
        not change what it returns.
        iter close ID: lets the version go; tables no other version names are \
        removed, and the trace says why.
        """,
      arity: 1...3, completions: [.words(["open", "next", "close"]), .none, .none], needsDatabase: true
    ) { shell, arguments in
      let engine = try shell.engine(as: (any IteratorEngine).self)
      switch arguments.text(0) {
      case "open":
        let (words, snapshot) = try arguments.splitSnapshot()
        guard words.count <= 2 else { throw ShellError.usage(arguments.command) }
        let (id, description) = try engine.openIterator(
          from: words.count > 1 ? words[1].bytes : nil, snapshot: snapshot)
        shell.say("ok  iterator \(id) \(description)")
      case "next":
        guard arguments.count >= 2 else { throw ShellError("usage: iter next ID [N]") }
        let id = try arguments.integer(1, "ID", in: 1...Int.max)
        let count = arguments.count > 2 ? try arguments.integer(2, "N", in: 1...100_000) : 1
        let (entries, atEnd) = try engine.iteratorNext(id: id, count: count)
        for entry in entries { shell.say("\(Format.printable(entry.key)) = \(Format.printable(entry.value))") }
        if atEnd { shell.say("(end)") }
      case "close":
        guard arguments.count == 2 else { throw ShellError("usage: iter close ID") }
        let id = try arguments.integer(1, "ID", in: 1...Int.max)
        try engine.closeIterator(id: id)
        shell.say("ok  closed iterator \(id)")
      default:
        let word = arguments.text(0)
        let close = ["open", "next", "close"].first { editDistance($0, word) == 1 }
        throw ShellError(
          "iter takes open, next or close, not '\(word)'" + (close.map { "; did you mean '\($0)'?" } ?? ""))
      }
    },
    Command(
      name: "merge", usage: "merge", summary: "merge every table into one",
      help: """
        Merges every table into one new table on level 1, keeping every version \
        of every key, and records it in the manifest as one edit that deletes \
        the old tables and adds the new one. The old tables leave the disk once \
        no iterator holds a version that names them. (Chapter 6 turns this into \
        compaction: incremental, in the background, dropping what no snapshot \
        can see.)
        """,
      arity: 0...0, needsDatabase: true
    ) { shell, _ in
      shell.say("ok  " + (try shell.engine(as: (any ManifestShellEngine).self).merge()))
    },
  ]
}
