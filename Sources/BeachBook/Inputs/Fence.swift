/// The opening line of a fenced code block in Markdown, as CommonMark reads
/// it: up to three spaces, then three or more backticks or tildes, then an
/// optional info string.
///
/// The chapters use it to leave directives inside code blocks alone (so a
/// chapter can show a directive without expanding it), and the HTML book to
/// find the code blocks it renders itself.
struct Fence: Equatable {
  /// `` ` `` or `~`.
  var character: Character
  /// How many of them open the block; the closing fence needs at least as
  /// many.
  var length: Int
  /// The info string: the language (`swift`), `console`, or empty.
  var info: String
  /// Spaces before the fence.
  var indent: Int

  /// Parses `line` as an opening fence; `nil` if it is not one.
  init?(opening line: String) {
    let indent = line.prefix { $0 == " " }.count
    guard indent <= 3 else { return nil }
    let rest = line.dropFirst(indent)
    guard let first = rest.first, first == "`" || first == "~" else { return nil }
    let length = rest.prefix { $0 == first }.count
    guard length >= 3 else { return nil }
    let info = rest.dropFirst(length).trimmingSpaces
    // A backtick fence's info string may not contain a backtick (that line
    // is inline code, not a fence).
    if first == "`" && info.contains("`") { return nil }
    self.character = first
    self.length = length
    self.info = info
    self.indent = indent
  }

  /// Whether `line` closes the block this fence opened.
  func isClosed(by line: String) -> Bool {
    let indent = line.prefix { $0 == " " }.count
    guard indent <= 3 else { return false }
    let rest = line.dropFirst(indent).trimmingSpaces
    return rest.count >= length && rest.allSatisfy { $0 == character }
  }

  /// The first word of the info string: the block's language.
  var language: String { String(info.split(separator: " ").first ?? "") }

  /// A fence long enough to wrap `lines` without any of them closing it: three
  /// backticks, or one more than the longest run of backticks that starts a
  /// line.
  static func backticks(around lines: [String]) -> String {
    let longest = lines.map { $0.trimmingSpaces.prefix { $0 == "`" }.count }.max() ?? 0
    return String(repeating: "`", count: max(3, longest + 1))
  }
}

extension StringProtocol {
  /// Without leading and trailing spaces, tabs and carriage returns.
  var trimmingSpaces: String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
    guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
    let last = lastIndex(where: { !isSpace($0) })!
    return String(self[first...last])
  }
}

/// `text` split into lines, without the newlines and without the empty line
/// after a final newline.
func splitLines(_ text: String) -> [String] {
  var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  if lines.last == "" { lines.removeLast() }
  return lines
}
