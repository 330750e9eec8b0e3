import Chapter1WAL

/// One shell command: its name, how to call it, what it does, and the code.
///
/// The shell keeps its commands in one table (`Shell.commandTable`) rather
/// than in a `switch`, so `help`, argument checking, tab completion and the
/// "did you mean" suggestion all read the same facts, and a later chapter adds
/// a command by adding a row.
struct Command: Sendable {
  /// The word that invokes it.
  var name: String
  /// Other words that invoke it (`exit` for `quit`).
  var aliases: [String] = []
  /// The call, as `help` and usage errors show it: `put KEY VALUE`.
  var usage: String
  /// One line for the `help` list.
  var summary: String
  /// The longer text `help NAME` prints after the usage.
  var help: String
  /// How many arguments it takes.
  var arity: ClosedRange<Int>
  /// What each argument position completes to.
  var completions: [ArgumentCompletion] = []
  /// The capability the current engine must have for the command to exist.
  var requires: Capability? = nil
  /// Whether it needs an open database (a failed recovery leaves none).
  var needsDatabase = false
  /// Whether unquoted `;` may appear in its arguments (only `batch`).
  var acceptsSeparators = false
  /// Runs the command. Output goes through the shell; failures are thrown.
  var run: @Sendable (Shell, Arguments) throws -> Void
}

/// A command's arguments, with typed accessors that throw usage errors.
struct Arguments {
  /// The words after the command name.
  var tokens: [Token]
  /// The command they belong to (for its usage line).
  var command: Command

  var count: Int { tokens.count }
  var isEmpty: Bool { tokens.isEmpty }

  subscript(index: Int) -> Token { tokens[index] }

  /// Argument `index` as bytes (a key or a value).
  func bytes(_ index: Int) -> Bytes { tokens[index].bytes }

  /// Argument `index` as text.
  func text(_ index: Int) -> String { tokens[index].text }

  /// Argument `index` as a non-negative integer, decimal or `0x` hex.
  ///
  /// - Throws: `ShellError` naming the argument if it is not a number in `range`.
  func integer(_ index: Int, _ what: String, in range: ClosedRange<Int> = 0...Int.max) throws -> Int {
    let text = self.text(index)
    let value: Int?
    if text.hasPrefix("0x") || text.hasPrefix("0X") {
      value = Int(text.dropFirst(2), radix: 16)
    } else {
      value = Int(text)
    }
    guard let value, range.contains(value) else {
      let bounds =
        range.upperBound == Int.max ? "\(range.lowerBound) or more" : "\(range.lowerBound)…\(range.upperBound)"
      throw ShellError("\(what) must be a number, \(bounds) (got '\(text)')")
    }
    return value
  }

  /// Argument `index`, which must be one of `choices`.
  func choice(_ index: Int, _ choices: [String]) throws -> String {
    let text = self.text(index)
    guard choices.contains(text) else {
      throw ShellError("expected \(choices.joined(separator: " or ")), got '\(text)'; usage: \(command.usage)")
    }
    return text
  }
}

/// A command that failed: the shell prints `error: ` and the message.
struct ShellError: Error, CustomStringConvertible {
  var message: String

  init(_ message: String) { self.message = message }

  /// A call with the wrong arguments.
  static func usage(_ command: Command) -> ShellError { ShellError("usage: \(command.usage)") }

  /// For `@ID` and the snapshot commands on an engine without snapshots.
  static let noSnapshots = ShellError("this engine has no snapshots (chapter 2 adds them)")

  /// For `iter` on an engine without long-lived iterators.
  static let noIterators = ShellError("this engine has no long-lived iterators (chapter 4 adds them)")

  var description: String { message }
}

extension Shell {
  /// Every command any engine may offer, in the order `help` lists them.
  ///
  /// Which of them the shell accepts depends on the current engine's
  /// capabilities (see `availableCommands`).
  static let commandTable: [Command] =
    dataCommands + engineCommands + versionCommands + inspectionCommands + failureCommands + sessionCommands

  /// The command named `name` (or aliased so) among those available now.
  func command(named name: String) -> Command? {
    availableCommands.first { $0.name == name || $0.aliases.contains(name) }
  }

  /// The commands the current engine supports.
  var availableCommands: [Command] {
    Self.commandTable.filter { $0.requires.map(engineDescriptor.capabilities.contains) ?? true }
  }

  /// The closest available command name to a mistyped one, if any is close.
  func suggestion(for name: String) -> String? {
    let names = availableCommands.flatMap { [$0.name] + $0.aliases }
    // A typo first (one or two edits away, fewer for short words), then an
    // abbreviation or an overshoot (`sh` for `show`, `quitt` for `quit`).
    if let (best, distance) = names.map({ ($0, editDistance($0, name)) }).min(by: { $0.1 < $1.1 }),
      distance <= max(1, min(2, name.count / 2))
    {
      return best
    }
    guard name.count >= 2 else { return nil }
    return names.first { $0.hasPrefix(name) || name.hasPrefix($0) }
  }
}

/// Edit distance with transpositions (optimal string alignment): the fewest
/// insertions, deletions, substitutions and swaps of two neighbouring
/// characters from `a` to `b`, so that `gte` is one edit from `get`.
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a)
  let b = Array(b)
  guard !a.isEmpty else { return b.count }
  guard !b.isEmpty else { return a.count }
  var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
  for i in 0...a.count { d[i][0] = i }
  for j in 0...b.count { d[0][j] = j }
  for i in 1...a.count {
    for j in 1...b.count {
      d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
        d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
      }
    }
  }
  return d[a.count][b.count]
}
