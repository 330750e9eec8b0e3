import Chapter1WAL

/// One shell command: its name, how to call it, what it does, and the code.
///
/// The shell keeps its commands in tables rather than in a `switch`, so
/// `help`, argument checking, tab completion and the "did you mean"
/// suggestion all read the same facts. The core's own commands are here;
/// a chapter adds its commands as values in its `EngineDescriptor`.
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
        range.upperBound == Int.max ? "\(range.lowerBound) or more" : "\(range.lowerBound)..\(range.upperBound)"
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

  var description: String { message }
}

extension Shell {
  /// The core's commands that come before a chapter's in `help`: `put`,
  /// `get`, ... (`dataCommands`); the rest come after.
  static let laterCoreCommands = inspectionCommands + failureCommands + sessionCommands

  /// The command named `name` (or aliased so) among those available now.
  /// Names are not case-sensitive: `PUT` is `put`.
  func command(named name: String) -> Command? {
    let name = name.lowercased()
    return availableCommands.first { $0.name == name || $0.aliases.contains(name) }
  }

  /// Every command name and alias some chapter's shell in this build has.
  public static var commandNames: [String] {
    let commands = dataCommands + laterCoreCommands + EngineRegistry.all.flatMap(\.commands)
    return Array(Set(commands.flatMap { [$0.name] + $0.aliases })).sorted()
  }

  /// Whether `word` names a command of some chapter's shell in this build.
  public static func isCommand(_ word: String) -> Bool { commandNames.contains(word.lowercased()) }

  /// The commands the current engine supports: the core's, with the
  /// engine's own after the data commands (or in place of a core command
  /// of the same name: chapter 2's `get` reads snapshots too).
  var availableCommands: [Command] {
    let own = engineDescriptor.commands
    return Self.dataCommands.replacing(own)
      + Self.laterCoreCommands.filter { core in !own.contains { $0.name == core.name } }
  }

  /// Whether some chapter's engine in this build has a command `name`.
  static func isChapterCommand(_ name: String) -> Bool {
    let name = name.lowercased()
    return EngineRegistry.all.contains { $0.commands.contains { $0.name == name || $0.aliases.contains(name) } }
  }

  /// The closest available command name to a mistyped one, if any is close.
  func suggestion(for name: String) -> String? {
    // No command name is longer than a dozen letters: a much longer word is
    // not a typo of one, and measuring its distance to each would take time
    // proportional to its length.
    guard name.count <= 24 else { return nil }
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
public func editDistance(_ a: String, _ b: String) -> Int {
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
