/// A notebook: a Markdown file of prose and shell sessions whose output is
/// checked.
///
/// ## Format
///
/// ````markdown
/// ---
/// chapter: 1
/// trace: steps
/// ---
///
/// # The write-ahead log
///
/// Prose, in Markdown. Then a session:
///
/// ```beach session=first-put
/// beach[ch1]> put user:1 alice
///   wal       append    seq 1 PUT user:1  → 000001.log @ 0  (43 B)
///   ...
/// ok  seq 1
/// beach[ch1]> get user:1
/// alice
/// ```
/// ````
///
/// - **Front matter** (optional, between `---` lines at the very top):
///   `chapter: N` picks the engine (default: the newest), `trace:
///   off|steps|explain` the initial trace level (default `steps`). Other keys
///   are kept for other tools and ignored here.
/// - **Blocks** are fenced code blocks whose info string starts with the word
///   `beach`; `session=NAME` names the block so the book weaver can embed it.
///   Other fenced blocks are prose.
/// - **Inside a block**, a line that starts with a prompt is a command: the
///   shell's prompt `beach[chN]> ` or the batch prompt `batch> `. The lines
///   up to the next command are the exact output it prints.
///
/// All blocks of a notebook run in one shell, top to bottom, in a fresh
/// temporary directory, so a later block sees what an earlier one wrote.
public struct Notebook: Sendable {
  /// Where the notebook was read from (as given, for messages).
  public var path: String
  /// The file's lines, without newlines.
  public var lines: [String]
  /// The `key: value` pairs of the front matter.
  public var frontMatter: [String: String]
  /// The `beach` blocks, in order.
  public var blocks: [Block]

  /// One fenced `beach` block.
  public struct Block: Sendable, Equatable {
    /// 1-based position among the notebook's blocks.
    public var number: Int
    /// The `session=` name, if any.
    public var session: String?
    /// Index (0-based) of the opening fence line.
    public var openingLine: Int
    /// Index (0-based) of the closing fence line.
    public var closingLine: Int
    /// The commands and their expected output.
    public var steps: [Step]
  }

  /// One command line and the output written under it.
  public struct Step: Sendable, Equatable {
    /// The prompt written before the command: `beach[ch1]> ` or `batch> `.
    public var prompt: String
    /// The command as typed.
    public var command: String
    /// Index (0-based) of the command's line in the file.
    public var line: Int
    /// The output lines written under it.
    public var expected: [String]
  }

  /// A notebook that cannot be parsed.
  public struct FormatError: Error, CustomStringConvertible {
    public var path: String
    /// 1-based line number.
    public var line: Int
    public var message: String
    public var description: String { "\(path):\(line): \(message)" }
  }

  /// The chapter named in the front matter, if any.
  public var chapter: Int? { frontMatter["chapter"].flatMap { Int($0) } }

  /// Parses a notebook's text.
  ///
  /// - Throws: `FormatError` for an unterminated front matter or block, or
  ///   output written before a block's first command.
  public init(path: String, text: String) throws(FormatError) {
    self.path = path
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }  // the final newline
    self.lines = lines
    self.frontMatter = [:]
    self.blocks = []

    var index = 0
    if lines.first == "---" {
      guard let end = lines.dropFirst().firstIndex(of: "---") else {
        throw FormatError(path: path, line: 1, message: "front matter has no closing ---")
      }
      for line in lines[1..<end] {
        guard let colon = line.firstIndex(of: ":") else { continue }
        let key = line[..<colon].trimmingSpaces
        frontMatter[key] = line[line.index(after: colon)...].trimmingSpaces
      }
      index = end + 1
    }

    var fence: (marker: String, line: Int)?
    while index < lines.count {
      let line = lines[index]
      let trimmed = line.trimmingSpaces
      if let open = fence {
        if trimmed == open.marker {
          fence = nil
        }
      } else if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
        let marker = String(trimmed.prefix { $0 == trimmed.first })
        let info = trimmed.dropFirst(marker.count).split(separator: " ")
        if info.first == "beach" {
          let end = try Self.closingFence(marker, in: lines, after: index, path: path)
          let session = info.dropFirst().first { $0.hasPrefix("session=") }.map { String($0.dropFirst(8)) }
          let steps = try Self.steps(in: lines, from: index + 1, to: end, path: path)
          blocks.append(
            Block(number: blocks.count + 1, session: session, openingLine: index, closingLine: end, steps: steps))
          index = end + 1
          continue
        }
        fence = (marker, index)
      }
      index += 1
    }
  }

  /// The prompt a line starts with, if it is a command line.
  public static func prompt(of line: String) -> String? {
    if line.hasPrefix("batch> ") || line == "batch>" { return "batch> " }
    guard line.hasPrefix("beach[ch"), let close = line.firstIndex(of: "]") else { return nil }
    let digits = line[line.index(line.startIndex, offsetBy: 8)..<close]
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
    let rest = line[line.index(after: close)...]
    guard rest.hasPrefix("> ") || rest == ">" else { return nil }
    return "beach[ch\(digits)]> "
  }

  private static func closingFence(_ marker: String, in lines: [String], after open: Int, path: String)
    throws(FormatError) -> Int
  {
    guard let end = lines[(open + 1)...].firstIndex(where: { $0.trimmingSpaces == marker }) else {
      throw FormatError(path: path, line: open + 1, message: "beach block is never closed (no \(marker) line)")
    }
    return end
  }

  private static func steps(in lines: [String], from start: Int, to end: Int, path: String)
    throws(FormatError) -> [Step]
  {
    var steps: [Step] = []
    for index in start..<end {
      let line = lines[index]
      if let prompt = prompt(of: line) {
        let command = String(line.dropFirst(min(prompt.count, line.count)))
        steps.append(Step(prompt: prompt, command: command, line: index, expected: []))
      } else if steps.isEmpty {
        if line.trimmingSpaces.isEmpty { continue }
        throw FormatError(
          path: path, line: index + 1,
          message:
            "output before the block's first command (a command line starts with a prompt such as 'beach[ch1]> ')")
      } else {
        steps[steps.count - 1].expected.append(line)
      }
    }
    // Blank lines at the end of a block are layout, not output.
    if !steps.isEmpty {
      while steps[steps.count - 1].expected.last?.trimmingSpaces.isEmpty == true {
        steps[steps.count - 1].expected.removeLast()
      }
    }
    return steps
  }
}

extension StringProtocol {
  /// Without leading and trailing spaces and tabs.
  var trimmingSpaces: String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
    guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
    let last = lastIndex(where: { !isSpace($0) })!
    return String(self[first...last])
  }
}
