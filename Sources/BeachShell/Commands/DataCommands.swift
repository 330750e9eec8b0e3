import Chapter1WAL

/// `put`, `get`, `delete`, `scan`, `batch`, `fill`: the key-value interface
/// every chapter's engine has.
extension Shell {
  static let dataCommands: [Command] = [
    Command(
      name: "put", usage: "put KEY VALUE", summary: "set KEY to VALUE",
      help: """
        Writes one key. The trace shows the log append, the fsync (with sync on) \
        and the update of the in-memory state; `ok seq N` comes only after the \
        write returned, so it is as durable as the sync setting promises.
        Quote keys and values with spaces ("my key" or 'my key'); write binary \
        as hex: x'00ff'.
        """,
      arity: 2...2, completions: [.none, .none], needsDatabase: true
    ) { shell, arguments in
      var batch = WriteBatch()
      batch.put(arguments.bytes(0), arguments.bytes(1))
      try shell.write(batch)
    },
    Command(
      name: "get", usage: "get KEY", summary: "print the value of KEY",
      help: "Prints the value on its own line, or (not found).",
      arity: 1...1, completions: [.none], needsDatabase: true
    ) { shell, arguments in
      shell.printValue(try shell.openEngineOrThrow.store.get(arguments.bytes(0)))
    },
    Command(
      name: "delete", aliases: ["del"], usage: "delete KEY", summary: "remove KEY",
      help: """
        Removes a key. A delete is a write like any other: it goes through the \
        log, and deleting a key that is not there is not an error.
        """,
      arity: 1...1, completions: [.none], needsDatabase: true
    ) { shell, arguments in
      var batch = WriteBatch()
      batch.delete(arguments.bytes(0))
      try shell.write(batch)
    },
    Command(
      name: "scan", usage: "scan [FROM [TO]]", summary: "list keys in order, FROM ≤ key < TO",
      help: """
        Lists the live entries in key order, one `KEY = VALUE` a line, then the \
        count. FROM is inclusive, TO exclusive; leave them out for the whole range.
        """,
      arity: 0...2, completions: [.none, .none], needsDatabase: true
    ) { shell, arguments in
      let (from, to) = arguments.scanRange(arguments.tokens)
      shell.printEntries(try shell.openEngineOrThrow.store.scan(from: from, to: to))
    },
    Command(
      name: "batch", usage: "batch [OP ; OP ...]",
      summary: "apply puts and deletes atomically, as one record",
      help: """
        Applies several puts and deletes as one WriteBatch: one log record, so \
        after a crash either all of them are there or none is.
        On one line: batch put a 1 ; delete b ; put c 3
        Or type `batch` alone, then one operation per line at the `batch>` \
        prompt, and `commit` (or `abort`) to finish.
        """,
      arity: 0...Int.max, completions: [.words(["put", "delete"])], needsDatabase: true,
      acceptsSeparators: true
    ) { shell, arguments in
      if arguments.isEmpty {
        shell.pendingBatch = WriteBatch()
        shell.say("batch: enter put/delete lines, then commit or abort")
        return
      }
      var batch = WriteBatch()
      try shell.appendOperations(arguments.tokens, to: &batch)
      try shell.write(batch)
    },
    Command(
      name: "fill", usage: "fill N [VALUE_SIZE]", summary: "put N generated keys (trace off meanwhile)",
      help: """
        Puts keys key000000, key000001, ... (N of them) with deterministic values \
        of VALUE_SIZE bytes (default 100), one write each, with the current sync \
        setting. The trace is silenced while it runs; one summary line follows.
        """,
      arity: 1...2, completions: [.none, .none], needsDatabase: true
    ) { shell, arguments in
      let count = try arguments.integer(0, "N", in: 1...10_000_000)
      let valueSize = arguments.count > 1 ? try arguments.integer(1, "VALUE_SIZE", in: 0...(1 << 20)) : 100
      try shell.fill(count: count, valueSize: valueSize)
    },
  ]

  // MARK: Reading

  /// Prints what `get` found: the value, or `(not found)`.
  func printValue(_ value: Bytes?) {
    say(value.map(Format.printable) ?? "(not found)")
  }

  /// Prints what `scan` found: `KEY = VALUE` lines, then the count.
  /// At most `listingLimit` of them, then a line on the rest.
  func printEntries(_ entries: [KeyValuePair]) {
    let shown = min(entries.count, listingLimit ?? entries.count)
    for (index, entry) in entries.prefix(shown).enumerated() {
      if Interrupt.isEnabled && Interrupt.take() {
        say("(interrupted after \(index) of \(entries.count) entries)")
        return
      }
      say("\(Format.printable(entry.key)) = \(Format.printable(entry.value))")
    }
    if shown < entries.count { say(moreLine(entries.count - shown, "entry", "entries")) }
    say("(\(entries.count) " + (entries.count == 1 ? "entry)" : "entries)"))
  }

  /// Prints a listing's lines, at most `listingLimit` of them, then a line
  /// on the rest.
  func printListing(_ lines: [String]) {
    let shown = min(lines.count, listingLimit ?? lines.count)
    for line in lines.prefix(shown) { say(line) }
    if shown < lines.count { say(moreLine(lines.count - shown, "line")) }
  }

  /// `… and 12 more entries (set limit all shows them all)`.
  private func moreLine(_ count: Int, _ noun: String, _ nouns: String? = nil) -> String {
    "… and \(Format.plural(count, "more " + noun, "more " + (nouns ?? noun + "s"))) (`set limit all` shows them all)"
  }

  // MARK: Writing

  /// Writes a batch with the current sync setting and prints `ok`.
  ///
  /// The trace lines appear while the engine works; `ok` is printed after
  /// `write` returned, never before.
  func write(_ batch: WriteBatch) throws {
    let last = try openEngineOrThrow.store.write(batch, options: writeOptions)
    if batch.count == 1 {
      say("ok  seq \(last)")
    } else {
      let first = last - SequenceNumber(batch.count) + 1
      say("ok  seq \(first)..\(last)  (\(operationCount(batch.count)))")
    }
  }

  /// Parses `put K V` / `delete K` operations separated by `;` into `batch`.
  ///
  /// - Throws: `ShellError` for an unknown or malformed operation; `batch`
  ///   may then hold part of the operations, so callers build a fresh one.
  func appendOperations(_ tokens: [Token], to batch: inout WriteBatch) throws {
    let segments = tokens.split(omittingEmptySubsequences: true, whereSeparator: \.isSeparator)
    guard !segments.isEmpty else { throw ShellError("empty batch; usage: batch put K V ; delete K") }
    for segment in segments {
      let words = Array(segment)
      switch words[0].text {
      case "put":
        guard words.count == 3 else { throw ShellError("usage inside a batch: put KEY VALUE") }
        batch.put(words[1].bytes, words[2].bytes)
      case "delete", "del":
        guard words.count == 2 else { throw ShellError("usage inside a batch: delete KEY") }
        batch.delete(words[1].bytes)
      default:
        throw ShellError("a batch holds only put and delete, not '\(words[0].text)'")
      }
    }
  }

  /// Handles a line typed at the `batch>` prompt.
  func executeInBatch(_ tokens: [Token]) throws {
    guard var batch = pendingBatch else { return }
    switch tokens[0].text {
    case "commit":
      guard tokens.count == 1 else { throw ShellError("usage: commit") }
      guard !batch.isEmpty else {
        pendingBatch = nil
        say("ok  empty batch, nothing written")
        return
      }
      if engine == nil { throw noDatabase() }
      // The batch stays pending if the write fails, so it can be retried or aborted.
      try write(batch)
      pendingBatch = nil
    case "abort":
      guard tokens.count == 1 else { throw ShellError("usage: abort") }
      pendingBatch = nil
      say("ok  batch aborted, \(operationCount(batch.count)) discarded")
    case "help":
      say("inside a batch: put KEY VALUE, delete KEY, then commit (write them atomically) or abort")
    case "put", "delete", "del":
      try appendOperations(tokens, to: &batch)
      pendingBatch = batch
    case let other:
      throw ShellError("inside a batch only put, delete, commit and abort work, not '\(other)'")
    }
  }

  // MARK: Fill

  /// The key `fill` writes at `index`: `key000042`.
  static func fillKey(_ index: Int, width: Int = 6) -> Bytes {
    let digits = String(index)
    return Bytes(utf8: "key" + String(repeating: "0", count: max(0, width - digits.count)) + digits)
  }

  /// The value `fill` writes for `index`: `value000042:` then the alphabet,
  /// repeated and cut to `size` bytes. The same on every run.
  static func fillValue(_ index: Int, size: Int) -> Bytes {
    let digits = String(index)
    var value = Bytes(utf8: "value" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ":")
    var letter: UInt8 = 0
    while value.count < size {
      value.append(UInt8(ascii: "a") + letter)
      letter = (letter + 1) % 26
    }
    return Array(value.prefix(size))
  }

  /// Puts `count` generated keys, one write each, with the trace silenced.
  func fill(count: Int, valueSize: Int) throws {
    let store = try openEngineOrThrow.store
    let width = max(6, String(count - 1).count)
    let savedLevel = tracer.level
    tracer.level = .off
    defer {
      tracer.level = savedLevel
      output.progress?(nil)
    }
    var first: SequenceNumber?
    var last: SequenceNumber = 0
    let step = max(1, count / 100)
    for index in 0..<count {
      if Interrupt.isEnabled && Interrupt.take() {
        output.progress?(nil)
        say("interrupted after \(index) of \(count) writes" + (first.map { ", seq \($0)..\(last)" } ?? ""))
        return
      }
      var batch = WriteBatch()
      batch.put(Self.fillKey(index, width: width), Self.fillValue(index, size: valueSize))
      last = try store.write(batch, options: writeOptions)
      if first == nil { first = last }
      if let progress = output.progress, index % step == 0 || index == count - 1 {
        progress(progressBar(done: index + 1, of: count))
      }
    }
    let keys =
      count == 1
      ? Format.printable(Self.fillKey(0, width: width))
      : "\(Format.printable(Self.fillKey(0, width: width)))..\(Format.printable(Self.fillKey(count - 1, width: width)))"
    output.progress?(nil)
    say(
      "ok  filled \(count) key\(count == 1 ? "" : "s") \(keys) with \(valueSize)-byte values, seq "
        + (count == 1 ? "\(last)" : "\(first!)..\(last)"))
  }

  /// `[#########.........]  45%  4500/10000`
  private func progressBar(done: Int, of total: Int) -> String {
    let width = 30
    let filled = total == 0 ? width : done * width / total
    let percent = total == 0 ? 100 : done * 100 / total
    return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
      + String(percent) + "%  \(done)/\(total)"
  }
}

extension Arguments {
  /// `scan`'s FROM and TO among `words` (either may be missing).
  func scanRange(_ words: [Token]) -> (from: Bytes?, to: Bytes?) {
    (words.count > 0 ? words[0].bytes : nil, words.count > 1 ? words[1].bytes : nil)
  }
}
