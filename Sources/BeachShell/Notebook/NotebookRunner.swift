import Chapter1WAL
import Foundation

/// Replays notebooks and compares, or rewrites, their output.
///
/// A notebook (see `Notebook`) runs in one fresh shell: a new temporary
/// directory, deterministic mode, the front matter's chapter and trace level.
/// What the shell prints while opening the empty directory is not part of
/// any block and is dropped. Each command then runs in order, and its output
/// is compared with the lines written under it, exactly (the shell never
/// prints trailing spaces, so Markdown editors cannot break a match).
///
/// `check` reports every difference; `update` writes the actual output back
/// into the file, leaving the prose and every other line untouched, for a
/// human to review in the diff.
public enum NotebookRunner {
  /// A command whose output differs from what the notebook says.
  public struct Mismatch: Sendable, Equatable, CustomStringConvertible {
    /// The notebook's path.
    public var notebook: String
    /// The block's number (1-based) and session name.
    public var block: Int
    public var session: String?
    /// The command's line in the file (1-based).
    public var line: Int
    /// The command (with the prompt the notebook wrote).
    public var command: String
    public var expected: [String]
    public var actual: [String]

    /// `file:line: block N: command`, then a line diff (`-` expected, `+` actual).
    public var description: String {
      let name = session.map { " (session \($0))" } ?? ""
      var text = "\(notebook):\(line): block \(block)\(name): \(command)"
      for line in lineDiff(expected, actual) { text += "\n    " + line }
      return text
    }
  }

  /// What one step printed when replayed.
  struct Outcome {
    /// The prompt the shell showed before the command.
    var prompt: String
    var output: [String]
  }

  // MARK: Check and update

  /// Replays the notebook at `path` and returns every difference.
  ///
  /// - Throws: `Notebook.FormatError` if the file cannot be parsed, or an
  ///   error if it cannot be read or the shell cannot start.
  public static func check(_ path: String) throws -> [Mismatch] {
    let notebook = try load(path)
    let outcomes = try replay(notebook)
    var mismatches: [Mismatch] = []
    for (block, results) in zip(notebook.blocks, outcomes) {
      for (step, outcome) in zip(block.steps, results)
      where step.expected != outcome.output || step.prompt != outcome.prompt {
        var actual = outcome.output
        if step.prompt != outcome.prompt {
          actual.insert("(the shell's prompt here is '\(outcome.prompt)', not '\(step.prompt)')", at: 0)
        }
        mismatches.append(
          Mismatch(
            notebook: path, block: block.number, session: block.session, line: step.line + 1,
            command: step.prompt + step.command, expected: step.expected, actual: actual))
      }
    }
    return mismatches
  }

  /// Replays the notebook at `path` and writes the actual output (and
  /// prompts) into its blocks.
  ///
  /// - Returns: whether the file changed.
  @discardableResult
  public static func update(_ path: String) throws -> Bool {
    let notebook = try load(path)
    let outcomes = try replay(notebook)
    var lines: [String] = []
    var next = 0
    for (block, results) in zip(notebook.blocks, outcomes) {
      lines += notebook.lines[next...block.openingLine]
      for (step, outcome) in zip(block.steps, results) {
        lines.append(outcome.prompt + step.command)
        lines += outcome.output
      }
      next = block.closingLine
    }
    lines += notebook.lines[next...]
    let text = lines.joined(separator: "\n") + "\n"
    let old = notebook.lines.joined(separator: "\n") + "\n"
    guard text != old else { return false }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return true
  }

  /// The notebooks in `directory/Notebook`, sorted, as paths.
  public static func notebooks(in directory: String) -> [String] {
    let folder = joinPath(directory, "Notebook")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasSuffix(".md") }.sorted().map { joinPath(folder, $0) }
  }

  // MARK: Replay

  static func load(_ path: String) throws -> Notebook {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
    }
    return try Notebook(path: path, text: String(decoding: data, as: UTF8.self))
  }

  /// Runs every block's commands in one fresh shell; one outcome per step.
  static func replay(_ notebook: Notebook) throws -> [[Outcome]] {
    let directory = try makeTemporaryDirectory(prefix: "beach-notebook")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let collector = LineCollector()
    let trace = notebook.frontMatter["trace"].flatMap(Tracer.Level.init(name:)) ?? .steps
    let shell = try Shell(
      options: Shell.Options(
        chapter: notebook.chapter, directory: joinPath(directory, "db"), trace: trace,
        output: .collecting(into: collector), deterministic: true))
    defer { shell.finish() }
    _ = collector.drain()  // opening the empty directory is not part of any block
    return notebook.blocks.map { block in
      block.steps.map { step in
        let prompt = shell.prompt
        shell.execute(line: step.command)
        return Outcome(prompt: prompt, output: collector.drain())
      }
    }
  }
}

/// Creates a fresh directory under the system's temporary directory.
public func makeTemporaryDirectory(prefix: String) throws -> String {
  let base = NSTemporaryDirectory()
  var template = Array(((base.hasSuffix("/") ? base : base + "/") + prefix + "-XXXXXX").utf8CString)
  let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
  guard made != nil else {
    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: NSTemporaryDirectory()])
  }
  return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A line diff: `  ` common, `- ` only in `old`, `+ ` only in `new`.
func lineDiff(_ old: [String], _ new: [String]) -> [String] {
  // Longest common subsequence, by dynamic programming: outputs are short.
  let n = old.count
  let m = new.count
  var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
  for i in stride(from: n - 1, through: 0, by: -1) {
    for j in stride(from: m - 1, through: 0, by: -1) {
      table[i][j] = old[i] == new[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
    }
  }
  var diff: [String] = []
  var i = 0
  var j = 0
  while i < n || j < m {
    if i < n, j < m, old[i] == new[j] {
      diff.append("  " + old[i])
      i += 1
      j += 1
    } else if i < n, j == m || table[i + 1][j] >= table[i][j + 1] {
      diff.append("- " + old[i])
      i += 1
    } else {
      diff.append("+ " + new[j])
      j += 1
    }
  }
  return diff
}
