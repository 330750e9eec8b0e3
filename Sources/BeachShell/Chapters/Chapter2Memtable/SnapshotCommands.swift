import Chapter1WAL
import Chapter2Memtable

/// An engine whose store has snapshots (chapter 2 on).
protocol SnapshotEngine: ShellEngine {
  /// The store, as a store with snapshots.
  var snapshotStore: any SnapshotStore { get }
  /// Its live snapshots, for error messages.
  var snapshotList: SnapshotList { get }
}

extension SnapshotEngine {
  /// The live snapshots, as `handles` names them.
  var snapshotHandles: [String] { snapshotList.all.map { "snapshot @\($0.id)" } }

  /// The live snapshot with this id, or an error listing the live ones.
  func liveSnapshot(_ id: Int) throws -> SnapshotList.Snapshot {
    guard let snapshot = snapshotStore.snapshot(id: id) else {
      let live = snapshotList.all.map { "@\($0.id)" }
      throw ShellError(
        "no live snapshot \(id)" + (live.isEmpty ? " (none is live)" : " (live: \(live.joined(separator: ", ")))"))
    }
    return snapshot
  }
}

/// `snapshot` and `release`, and `get` and `scan` with the `@ID` that names
/// a snapshot: reading the past, from chapter 2 on.
enum SnapshotCommands {
  static let all: [Command] = [get, scan, snapshot, release]

  static let get = Command(
    name: "get", usage: "get KEY [@ID]", summary: "print the value of KEY (as of snapshot ID)",
    help: """
      Prints the value on its own line, or (not found). With @ID (from \
      `snapshot`), reads the key as it was when the snapshot was taken.
      """,
    arity: 1...2, completions: [.none, .none], needsDatabase: true
  ) { shell, arguments in
    let (words, id) = try arguments.splitSnapshot()
    guard words.count == 1 else { throw ShellError.usage(arguments.command) }
    let engine = try shell.engine(as: (any SnapshotEngine).self)
    let key = words[0].bytes
    let value = try id.map { try engine.snapshotStore.get(key, at: engine.liveSnapshot($0)) } ?? engine.store.get(key)
    shell.printValue(value)
    // `get a@1` reads the key "a@1"; if that is not there, the reader
    // probably meant snapshot 1.
    if value == nil, id == nil, !words[0].isQuoted, let at = words[0].text.lastIndex(of: "@"),
      at != words[0].text.startIndex, Int(words[0].text[at...].dropFirst()) != nil
    {
      let text = words[0].text
      shell.say(
        "(to read \(text[..<at]) as of snapshot \(text[at...].dropFirst()), put a space before the @: get \(text[..<at]) \(text[at...]))"
      )
    }
  }

  static let scan = Command(
    name: "scan", usage: "scan [FROM [TO]] [@ID]", summary: "list keys in order, FROM ≤ key < TO",
    help: """
      Lists the live entries in key order, one `KEY = VALUE` a line, then the \
      count. FROM is inclusive, TO exclusive; leave them out for the whole range. \
      With @ID, lists them as of that snapshot.
      """,
    arity: 0...3, completions: [.none, .none, .none], needsDatabase: true
  ) { shell, arguments in
    let (words, id) = try arguments.splitSnapshot()
    guard words.count <= 2 else { throw ShellError.usage(arguments.command) }
    let (from, to) = arguments.scanRange(words)
    let engine = try shell.engine(as: (any SnapshotEngine).self)
    shell.printEntries(
      try id.map { try engine.snapshotStore.scan(from: from, to: to, at: engine.liveSnapshot($0)) }
        ?? engine.store.scan(from: from, to: to))
  }

  static let snapshot = Command(
    name: "snapshot", usage: "snapshot", summary: "take a snapshot; prints its id",
    help: """
      Records the last sequence number as a snapshot and prints its id. \
      `get KEY @ID` and `scan … @ID` then read the database as it was at that \
      moment, however many writes follow. `release ID` lets it go. Snapshots \
      live in memory: a crash or a reopen ends them all.
      """,
    arity: 0...0, needsDatabase: true
  ) { shell, _ in
    let snapshot = try shell.engine(as: (any SnapshotEngine).self).snapshotStore.snapshot()
    shell.say("ok  snapshot \(snapshot.id) at seq \(snapshot.sequence)")
  }

  static let release = Command(
    name: "release", usage: "release ID", summary: "release a snapshot",
    help: "Releases the snapshot with this id (with or without the @).",
    arity: 1...1, completions: [.none], needsDatabase: true
  ) { shell, arguments in
    var text = Substring(arguments.text(0))
    if text.first == "@" { text = text.dropFirst() }
    guard let id = Int(text), id > 0 else { throw ShellError("ID must be a snapshot id like 1 or @1") }
    let engine = try shell.engine(as: (any SnapshotEngine).self)
    let snapshot = try engine.liveSnapshot(id)
    engine.snapshotStore.release(snapshot)
    shell.say("ok  released snapshot \(snapshot.id) (seq \(snapshot.sequence))")
  }
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
