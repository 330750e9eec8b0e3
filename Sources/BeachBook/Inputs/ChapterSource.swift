/// One chapter as written: `Chapters/NN-name.md`, with its directives found.
///
/// A chapter is Markdown that starts with a `# Title` line. A **directive**
/// is a line of its own, starting in the first column, outside any fenced
/// code block:
///
/// - `@snippet Sources/PATH.swift NAME`: the code between `// snippet: NAME`
///   and `// end snippet` in that file;
/// - `@session NOTEBOOK NAME`: the block of `Notebook/NOTEBOOK.md` whose info
///   string is `beach session=NAME`.
///
/// Parsing never fails: a line that starts like a directive but is not a
/// well-formed one becomes a problem, and the line stays in the text.
public struct ChapterSource: Sendable {
  /// The path relative to the repository root: `Chapters/01-wal.md`.
  public var path: String
  /// The file name without `.md`: `01-wal`. The woven chapter keeps it.
  public var name: String
  /// The file's lines, without newlines.
  public var lines: [String]
  /// The text of the `# Title` line, if the chapter starts with one.
  public var title: String?
  /// A sentence or two from the chapter's first paragraph, for the contents.
  public var summary: String
  /// The directives, in order.
  public var directives: [Directive]
  /// Malformed directives and a missing title.
  public var problems: [BookProblem]

  /// Parses a chapter's text.
  ///
  /// - Parameters:
  ///   - path: the chapter's path relative to the repository root.
  ///   - text: its contents.
  public init(path: String, text: String) {
    self.path = path
    let file = path.split(separator: "/").last.map(String.init) ?? path
    self.name = file.hasSuffix(".md") ? String(file.dropLast(3)) : file
    self.lines = splitLines(text)
    self.directives = []
    self.problems = []

    let titleIndex = lines.firstIndex { !$0.trimmingSpaces.isEmpty }
    if let titleIndex, lines[titleIndex].hasPrefix("# ") {
      title = lines[titleIndex].dropFirst(2).trimmingSpaces
    } else {
      title = nil
      problems.append(
        BookProblem(
          .missingTitle, file: path, line: titleIndex.map { $0 + 1 } ?? 1,
          "a chapter starts with its title, a line '# Title'"))
    }
    summary = Self.summary(of: lines, after: title == nil ? -1 : titleIndex!)

    var fence: Fence?
    for (index, line) in lines.enumerated() {
      if let open = fence {
        if open.isClosed(by: line) { fence = nil }
        continue
      }
      if let opening = Fence(opening: line) {
        fence = opening
        continue
      }
      switch Directive.parse(line, line: index + 1) {
      case .none: break
      case .directive(let directive): directives.append(directive)
      case .malformed(let message):
        problems.append(BookProblem(.malformedDirective, file: path, line: index + 1, message))
      }
    }
  }

  // MARK: The summary

  /// The first paragraph after the title (a blockquote counts, without its
  /// `>`), cut to its first sentence, or its first two when the first is
  /// short. Headings, code, tables, lists and HTML comments are skipped.
  static func summary(of lines: [String], after titleIndex: Int) -> String {
    var index = titleIndex + 1
    while index < lines.count {
      let line = lines[index].trimmingSpaces
      if line.isEmpty {
        index += 1
        continue
      }
      if let fence = Fence(opening: lines[index]) {
        index += 1
        while index < lines.count && !fence.isClosed(by: lines[index]) { index += 1 }
        index += 1
        continue
      }
      var paragraph: [String] = []
      while index < lines.count && !lines[index].trimmingSpaces.isEmpty {
        paragraph.append(lines[index].trimmingSpaces)
        index += 1
      }
      if isProse(paragraph[0]) {
        let text = paragraph.map { $0.hasPrefix(">") ? $0.dropFirst().trimmingSpaces : $0 }
          .joined(separator: " ")
        return firstSentences(of: text)
      }
    }
    return ""
  }

  /// Whether a paragraph starting with `line` is running text.
  private static func isProse(_ line: String) -> Bool {
    if line.hasPrefix("#") || line.hasPrefix("|") || line.hasPrefix("<") || line.hasPrefix("@") { return false }
    if line.hasPrefix("- ") || line.hasPrefix("* ") || line.hasPrefix("+ ") { return false }
    let digits = line.prefix { $0.isASCII && $0.isNumber }
    if !digits.isEmpty && (line.dropFirst(digits.count).hasPrefix(". ") || line.dropFirst(digits.count).hasPrefix(") "))
    {
      return false
    }
    return true
  }

  /// The first sentence of `text`, or the first two if the first is shorter
  /// than 60 characters.
  static func firstSentences(of text: String) -> String {
    let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    var sentences: [String] = []
    var current: [String] = []
    for word in words {
      current.append(word)
      if endsSentence(word) {
        sentences.append(current.joined(separator: " "))
        current = []
        if sentences.count == 2 || sentences[0].count >= 60 { break }
      }
    }
    if sentences.isEmpty || (sentences.count == 1 && sentences[0].count < 60 && !current.isEmpty) {
      sentences.append(current.joined(separator: " "))
    }
    return sentences.filter { !$0.isEmpty }.joined(separator: " ")
  }

  /// Whether a word ends a sentence: it ends in `.`, `!` or `?`, perhaps
  /// followed by closing emphasis, brackets or quotes, and is not an
  /// abbreviation.
  private static func endsSentence(_ word: String) -> Bool {
    let closers: Set<Character> = ["*", "_", ")", "\"", "'", "\u{2019}", "\u{201D}", "`"]
    let core = word.reversed().drop { closers.contains($0) }
    guard let last = core.first, last == "." || last == "!" || last == "?" else { return false }
    let stem = String(core.dropFirst().reversed()).lowercased()
    let abbreviations: Set<String> = ["e.g", "i.e", "etc", "vs", "cf"]
    return !abbreviations.contains(stem) && stem.count > 1
  }
}

/// A directive line in a chapter.
public struct Directive: Sendable, Equatable, CustomStringConvertible {
  /// What the directive quotes.
  public enum Target: Sendable, Equatable {
    /// `@snippet FILE NAME`: `file` is relative to the repository root.
    case snippet(file: String, name: String)
    /// `@session NOTEBOOK NAME`: `notebook` is the path of the notebook
    /// relative to the repository root (`Notebook/01-wal.md`).
    case session(notebook: String, name: String)
  }

  public var target: Target
  /// The line in the chapter, 1-based.
  public var line: Int
  /// The line as written.
  public var text: String

  public var description: String { text }

  /// What a chapter line is, as far as directives go.
  enum Parsed: Equatable {
    case none
    case directive(Directive)
    case malformed(String)
  }

  /// Parses one chapter line.
  static func parse(_ text: String, line: Int) -> Parsed {
    let trimmed = text.trimmingSpaces
    let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    guard let keyword = words.first, keyword == "@snippet" || keyword == "@session" else { return .none }
    let usage =
      keyword == "@snippet"
      ? "'@snippet Sources/PATH.swift NAME'" : "'@session NOTEBOOK NAME' (NOTEBOOK as in Notebook/NOTEBOOK.md)"
    guard text.first == "@" else {
      return .malformed("a directive starts at the beginning of its line: \(usage)")
    }
    guard words.count == 3 else {
      return .malformed("expected \(usage), found '\(trimmed)'")
    }
    if keyword == "@snippet" {
      return .directive(Directive(target: .snippet(file: words[1], name: words[2]), line: line, text: trimmed))
    }
    var notebook = words[1]
    if !notebook.hasSuffix(".md") { notebook += ".md" }
    if !notebook.contains("/") { notebook = "Notebook/" + notebook }
    return .directive(Directive(target: .session(notebook: notebook, name: words[2]), line: line, text: trimmed))
  }
}
