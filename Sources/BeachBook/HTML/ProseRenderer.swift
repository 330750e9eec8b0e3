import Ink

/// Chapter prose as HTML: Ink for the Markdown, this module for code.
///
/// Before Ink sees the prose, the renderer takes out what it renders itself:
/// fenced code blocks (Ink's code blocks are plain, and only backtick fences
/// in the first column are recognised) and HTML comments on lines of their
/// own (kept as they are). Ink then renders each stretch of prose between
/// them. Two Ink modifiers finish the job: headings get GitHub-style `id`s,
/// so `#the-record-format` links work, and links to a chapter's Markdown
/// file (`01-wal.md`, `README.md`) point at its HTML page instead.
struct ProseRenderer {
  /// The chapters' names (`01-wal`), whose `.md` links become `.html`.
  var chapterNames: Set<String>

  /// `lines` (Markdown) as HTML.
  ///
  /// - Parameter anchors: the heading ids used so far on the page; updated,
  ///   so that two headings with the same text get distinct ids.
  func html(_ lines: [String], anchors: AnchorSet) -> String {
    var out = ""
    var prose: [String] = []
    func flushProse() {
      guard prose.contains(where: { !$0.trimmingSpaces.isEmpty }) else {
        prose = []
        return
      }
      out += ink(prose, anchors: anchors)
      prose = []
    }
    var index = 0
    while index < lines.count {
      let line = lines[index]
      if let fence = Fence(opening: line) {
        var end = index + 1
        while end < lines.count && !fence.isClosed(by: lines[end]) { end += 1 }
        flushProse()
        let body = lines[(index + 1)..<min(end, lines.count)].map { text in
          String(text.dropFirst(min(fence.indent, text.prefix { $0 == " " }.count)))
        }
        out += CodeBlockHTML.block(body, language: fence.language) + "\n"
        index = end + 1
        continue
      }
      let trimmed = line.trimmingSpaces
      if trimmed.hasPrefix("<!--") && trimmed.hasSuffix("-->") {
        flushProse()
        out += trimmed + "\n"
      } else {
        prose.append(line)
      }
      index += 1
    }
    flushProse()
    return out
  }

  /// Inline Markdown (a summary line) as HTML, without the paragraph around
  /// it.
  func inlineHTML(_ markdown: String) -> String {
    var html = MarkdownParser().html(from: markdown).trimmingSpaces
    if html.hasPrefix("<p>") && html.hasSuffix("</p>") {
      html = String(html.dropFirst(3).dropLast(4))
    }
    return rewriteLinks(html)
  }

  private func ink(_ lines: [String], anchors: AnchorSet) -> String {
    var parser = MarkdownParser()
    parser.addModifier(
      Modifier(target: .headings) { html, _ in
        guard html.hasPrefix("<h"), let close = html.firstIndex(of: ">") else { return html }
        let text = HTML.plainText(html)
        let id = anchors.unique(HTML.slug(text))
        if let level = html.dropFirst(2).first?.wholeNumberValue {
          anchors.headings.append(AnchorSet.Heading(level: level, id: id, text: text))
        }
        return String(html[..<close]) + " id=\"\(id)\"" + String(html[close...])
      })
    return rewriteLinks(parser.html(from: Self.joinContinuations(lines).joined(separator: "\n"))) + "\n"
  }

  /// `lines` with some soft-wrapped lines joined to the line before.
  ///
  /// Ink ends a paragraph at a line that starts with `` ` ``, `<`, `#` or
  /// `-`, even when CommonMark would continue it (inline code at the start
  /// of a wrapped line is common in this book). A soft line break means a
  /// space, so joining such a line to the one before, with a space, changes
  /// nothing for a correct renderer and keeps Ink from splitting the
  /// paragraph. Only lines that CommonMark would read as a continuation are
  /// joined: not a heading (`# `), a list item (`- `), a rule (`---`) or a
  /// table row, and never after a blank line, a heading or a table row.
  static func joinContinuations(_ lines: [String]) -> [String] {
    var out: [String] = []
    for line in lines {
      if let previous = out.last, isContinuation(line, after: previous) {
        out[out.count - 1] = previous + " " + line
      } else {
        out.append(line)
      }
    }
    return out
  }

  private static func isContinuation(_ line: String, after previous: String) -> Bool {
    let before = previous.trimmingSpaces
    guard !before.isEmpty, !before.hasPrefix("#"), !before.hasPrefix("|") else { return false }
    guard let first = line.first else { return false }
    let second = line.dropFirst().first
    switch first {
    case "`", "<": return true
    case "#": return second != " " && second != "#" && second != nil
    case "-": return second != " " && second != "-" && second != nil
    default: return false
    }
  }

  /// `html` with `href="NAME.md"` (and `#fragment`s) pointing at the HTML
  /// pages of chapters: `NAME.html`, and `README.md` at `index.html`.
  func rewriteLinks(_ html: String) -> String {
    let marker = "href=\""
    var out = ""
    var rest = html[...]
    while let found = rest.firstRange(of: marker) {
      out += rest[..<found.upperBound]
      rest = rest[found.upperBound...]
      let end = rest.firstIndex(of: "\"") ?? rest.endIndex
      out += rewrite(String(rest[..<end]))
      rest = rest[end...]
    }
    return out + rest
  }

  private func rewrite(_ href: String) -> String {
    let parts = href.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
    let path = String(parts[0])
    let fragment = parts.count > 1 ? "#" + parts[1] : ""
    let file = path.split(separator: "/").last.map(String.init) ?? path
    guard file.hasSuffix(".md"), !path.contains("://") else { return href }
    let name = String(file.dropLast(3))
    if chapterNames.contains(name) { return name + ".html" + fragment }
    if file == MarkdownBook.contentsFile { return "index.html" + fragment }
    return href
  }
}

/// The headings of one page, in order, with ids that are each unique.
final class AnchorSet {
  /// A heading on the page: its level (`2` for `##`), id and text.
  struct Heading: Equatable {
    var level: Int
    var id: String
    var text: String
  }

  /// Every heading rendered so far, in page order (the table of contents is
  /// built from them).
  var headings: [Heading] = []
  private var used: [String: Int] = [:]

  /// `slug`, or `slug-1`, `slug-2`, … if it was used before.
  func unique(_ slug: String) -> String {
    let base = slug.isEmpty ? "section" : slug
    let count = used[base, default: 0]
    used[base] = count + 1
    return count == 0 ? base : "\(base)-\(count)"
  }
}

/// Code blocks: snippets, sessions and the fenced blocks in the prose.
enum CodeBlockHTML {
  /// A fenced block: Swift highlighted as Swift; a block with shell prompts
  /// in it (whatever its info string says) as a session; the rest plain.
  static func block(_ lines: [String], language: String) -> String {
    if language == "swift" { return swift(lines) }
    if SessionHighlighter.isSession(lines) { return session(lines) }
    return "<pre class=\"code\"><code>" + HTML.escape(lines.joined(separator: "\n")) + "</code></pre>"
  }

  static func swift(_ lines: [String]) -> String {
    "<pre class=\"code swift\"><code>" + SwiftHighlighter.html(lines.joined(separator: "\n")) + "</code></pre>"
  }

  static func session(_ lines: [String]) -> String {
    "<pre class=\"code console\"><code>" + SessionHighlighter.html(lines) + "</code></pre>"
  }
}
