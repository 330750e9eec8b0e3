#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What the words of a command's arguments can be, for tab completion.
public enum ArgumentCompletion: Sendable, Equatable {
  /// Free text: nothing to offer.
  case none
  /// One of a fixed set of words (`on`, `off`).
  case words([String])
  /// The name of a file in the database directory.
  case databaseFile
  /// The name of a file in the database directory ending so (`.sst`).
  case databaseFileEnding(String)
  /// A path on the local file system (for `source`).
  case localPath
  /// A command name (for `help`).
  case command
}

/// Everything tab completion needs to know, as a value.
///
/// Readline calls its completer through a C function pointer that cannot
/// capture anything, so the shell hands the line reader a snapshot of its
/// state instead of itself: the commands it accepts right now and the
/// directory whose files are candidates for file arguments.
public struct CompletionModel: Sendable, Equatable {
  /// The command names available, with what each argument position takes.
  public var commands: [String: [ArgumentCompletion]]
  /// The database directory (listed when a file argument is completed).
  public var directory: String

  public init(commands: [String: [ArgumentCompletion]] = [:], directory: String = "") {
    self.commands = commands
    self.directory = directory
  }

  /// What completing the word `line[start..<end]` should offer.
  public enum Result: Equatable, Sendable {
    /// These candidates (possibly none).
    case matches([String])
    /// Let readline complete a path in the current directory itself.
    case localPaths
  }

  /// Candidates for the word that ends at `end` and starts at `start`.
  ///
  /// - Parameters:
  ///   - line: the whole line being edited.
  ///   - start: where the word being completed starts (a UTF-8 offset, as
  ///     readline counts).
  ///   - end: where the cursor is.
  public func complete(line: String, start: Int, end: Int) -> Result {
    let utf8 = Array(line.utf8)
    let before = String(decoding: utf8[..<min(start, utf8.count)], as: UTF8.self)
    let word = String(decoding: utf8[min(start, utf8.count)..<min(max(start, end), utf8.count)], as: UTF8.self)
    // The words typed after the last `;` (so batch operations complete too).
    let segments = before.split(separator: ";", omittingEmptySubsequences: false)
    var words = (segments.last ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    // After `batch`, and after any `;`, a word is an operation: put or delete.
    let inBatch = segments.count > 1 || words.first == "batch"
    if words.first == "batch" { words.removeFirst() }
    guard let name = words.first else {
      let names = inBatch ? ["put", "delete"] : commands.keys.filter { !$0.contains(" ") }
      return .matches(names.filter { $0.hasPrefix(word) }.sorted())
    }
    var position = words.count - 1
    var kinds = commands[name]
    // A command's second word can pick what follows (`show sst FILE`):
    // the model then has an entry for the two words.
    if position >= 1, let two = commands[name + " " + words[1]] {
      kinds = [.none] + two
      position = words.count - 1
    }
    guard let kinds, position < kinds.count else { return .matches([]) }
    switch kinds[position] {
    case .none: return .matches([])
    case .words(let choices): return .matches(choices.filter { $0.hasPrefix(word) })
    case .command: return .matches(commands.keys.filter { $0.hasPrefix(word) && !$0.contains(" ") }.sorted())
    case .localPath: return .localPaths
    case .databaseFile:
      return .matches(listDirectory(directory).filter { $0.hasPrefix(word) && !$0.hasPrefix(".") })
    case .databaseFileEnding(let suffix):
      return .matches(listDirectory(directory).filter { $0.hasPrefix(word) && $0.hasSuffix(suffix) })
    }
  }

  /// The longest prefix every candidate shares.
  public static func commonPrefix(_ candidates: [String]) -> String {
    guard var prefix = candidates.first.map({ Array($0.utf8) }) else { return "" }
    for candidate in candidates.dropFirst() {
      let bytes = Array(candidate.utf8)
      var length = 0
      while length < prefix.count && length < bytes.count && prefix[length] == bytes[length] { length += 1 }
      prefix.removeLast(prefix.count - length)
    }
    return String(decoding: prefix, as: UTF8.self)
  }
}

/// The names in a directory, sorted; empty if it cannot be read.
func listDirectory(_ path: String) -> [String] {
  guard let directory = opendir(path) else { return [] }
  defer { closedir(directory) }
  var names: [String] = []
  while let entry = readdir(directory) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
      String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
    if name != "." && name != ".." { names.append(name) }
  }
  return names.sorted()
}
