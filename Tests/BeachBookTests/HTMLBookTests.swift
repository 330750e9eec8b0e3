import Foundation
import TestSupport
import Testing

@testable import BeachBook

/// The HTML book: rendered from the real chapters into a temporary folder.
@Suite struct HTMLBookTests {
  /// The real book, woven once per test.
  private func renderRealBook() throws -> (book: WovenBook, directory: TemporaryDirectory) {
    let book = try Book.weave(root: Repository.root.path)
    let directory = try TemporaryDirectory(prefix: "beach-html")
    try HTMLBook.write(book, to: directory.path)
    return (book, directory)
  }

  private func read(_ directory: TemporaryDirectory, _ name: String) throws -> String {
    try String(contentsOfFile: directory.path + "/" + name, encoding: .utf8)
  }

  @Test func everyChapterHasAPageAndTheContentsLinksToIt() throws {
    let (book, directory) = try renderRealBook()
    defer { directory.remove() }
    let index = try read(directory, "index.html")
    for chapter in book.chapters {
      #expect(FileManager.default.fileExists(atPath: directory.path + "/" + chapter.name + ".html"))
      #expect(index.contains("href=\"\(chapter.name).html\""))
    }
    #expect(FileManager.default.fileExists(atPath: directory.path + "/book.css"))
  }

  @Test func everySnippetCaptionAndSessionAppears() throws {
    let (book, directory) = try renderRealBook()
    defer { directory.remove() }
    for chapter in book.chapters {
      let page = try read(directory, chapter.name + ".html")
      let text = HTML.plainText(page)
      for part in chapter.parts {
        switch part {
        case .snippet(let snippet):
          #expect(text.contains(snippet.caption.replacing("`", with: "")), "\(chapter.name): \(snippet.caption)")
          // The code, highlighted, reads as the code.
          #expect(text.contains(snippet.code.joined(separator: "\n")), "\(chapter.name): \(snippet.name)")
        case .session(let session):
          #expect(text.contains("\(session.notebook) — session \(session.name)"))
          #expect(text.contains(session.lines.joined(separator: "\n")), "\(chapter.name): \(session.name)")
        case .markdown, .unresolved:
          break
        }
      }
    }
  }

  @Test func navigationLinksResolveToFiles() throws {
    let (_, directory) = try renderRealBook()
    defer { directory.remove() }
    let pages = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".html") }
    #expect(pages.count >= 3)
    for page in pages {
      let html = try read(directory, page)
      #expect(html.contains("href=\"book.css\""))
      for link in links(in: html) where !link.contains("://") && !link.hasPrefix("#") && !link.hasPrefix("../") {
        let file = String(link.split(separator: "#").first ?? "")
        #expect(
          FileManager.default.fileExists(atPath: directory.path + "/" + file), "\(page) links to missing \(link)")
      }
    }
    let wal = try read(directory, "01-wal.html")
    #expect(wal.contains("<a class=\"prev\" href=\"00-introduction.html\" rel=\"prev\">"))
    #expect(wal.contains("<a class=\"contents\" href=\"index.html\">Contents</a>"))
  }

  @Test func pagesUseNothingFromTheNetwork() throws {
    let (_, directory) = try renderRealBook()
    defer { directory.remove() }
    for page in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
      let text = try read(directory, page)
      #expect(!text.contains("<script"))
      #expect(!text.contains("src=\"http"))
      #expect(!text.contains("href=\"http") || page.hasSuffix(".html"))
      #expect(!text.contains("@import"))
    }
  }

  private func links(in html: String) -> [String] {
    html.split(separator: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
  }
}

/// The highlighters, on small inputs.
@Suite struct HighlighterTests {
  @Test func swiftHighlightingKeepsEveryCharacter() {
    let code = """
      /// Docs.
      @inlinable public static func frame(_ p: Bytes, into out: inout Bytes) -> Int {
        let s = "a < b & \\(p.count)"  // note
        return 0x2A + LogFormat.headerSize
      }
      """
    let html = SwiftHighlighter.html(code)
    #expect(HTML.plainText(html) == code)
    #expect(html.contains("<span class=\"dc\">/// Docs.</span>"))
    #expect(html.contains("<span class=\"kw\">func</span>"))
    #expect(html.contains("<span class=\"de\">frame</span>"))
    #expect(html.contains("<span class=\"ty\">Bytes</span>"))
    #expect(html.contains("<span class=\"ty\">LogFormat</span>"))
    #expect(html.contains("<span class=\"nu\">0x2A</span>"))
    #expect(html.contains("<span class=\"co\">// note</span>"))
    #expect(html.contains("<span class=\"at\">"))
    #expect(html.contains("&lt;") && html.contains("&amp;"))
  }

  @Test func sessionHighlightingMarksEachKindOfLine() {
    let lines = [
      "beach[ch1]> put k <v>",
      "  wal       append    seq 1 PUT k  → 000001.log @ 0  (29 B)",
      "                      why: the log is written first",
      "  compaction pick     level 0",
      "ok  seq 1",
      "error: no open database",
      "  @     0  len    17",
      "a = 1",
    ]
    let html = SessionHighlighter.html(lines)
    #expect(HTML.plainText(html) == lines.joined(separator: "\n"))
    let out = html.split(separator: "\n").map(String.init)
    #expect(out[0] == "<span class=\"pr\">beach[ch1]&gt;</span> <span class=\"cm\">put k &lt;v&gt;</span>")
    #expect(
      out[1].hasPrefix("  <span class=\"tc\" style=\"--hue: 28\">wal</span>       <span class=\"ta\">append</span>"))
    #expect(out[2].contains("<span class=\"wy\">why: the log is written first</span>"))
    #expect(out[3].contains("<span class=\"tc\" style=\"--hue: 0\">compaction</span>"))
    #expect(out[4] == "<span class=\"ok\">ok</span>  seq 1")
    #expect(out[5] == "<span class=\"er\">error: no open database</span>")
    #expect(out[6] == "  @     0  len    17")
    #expect(out[7] == "a = 1")
  }

  @Test func unknownComponentsGetAStableHue() {
    let line = SessionHighlighter.line("  gossip    send      to node 2")
    #expect(line.contains("--hue: \(SessionHighlighter.hue(of: "gossip"))"))
    #expect(SessionHighlighter.hue(of: "gossip") == SessionHighlighter.hue(of: "gossip"))
  }

  @Test func proseLinksToChaptersPointAtPages() {
    let prose = ProseRenderer(chapterNames: ["01-wal"])
    let html = prose.html(
      ["See [the log](01-wal.md#the-record-format), the [contents](README.md)", "`and` code."],
      anchors: AnchorSet())
    #expect(html.contains("href=\"01-wal.html#the-record-format\""))
    #expect(html.contains("href=\"index.html\""))
    // A wrapped line that starts with inline code stays in its paragraph.
    #expect(html.contains("(README.md)") == false)
    #expect(html.contains("</a> <code>and</code> code.</p>"))
  }

  @Test func headingsGetUniqueAnchors() {
    let prose = ProseRenderer(chapterNames: [])
    let anchors = AnchorSet()
    let html = prose.html(["## The log", "", "Text.", "", "## The log"], anchors: anchors)
    #expect(html.contains("<h2 id=\"the-log\">"))
    #expect(html.contains("<h2 id=\"the-log-1\">"))
  }
}
