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

  /// A picture the Markdown links from `Book/` is copied beside the pages,
  /// so the site shows it wherever it is written.
  @Test func everyPictureIsCopiedBesideThePages() throws {
    let (book, directory) = try renderRealBook()
    defer { directory.remove() }
    for chapter in book.chapters {
      let page = try read(directory, chapter.name + ".html")
      let markdown = try String(contentsOfFile: Repository.path("Book/\(chapter.name).md"), encoding: .utf8)
      let pictures = page.matches(of: /<img src="([^"]+)"/).map { String($0.1) }
      // As many pictures as the Markdown shows (`![caption](path)`).
      #expect(pictures.count == markdown.matches(of: /!\[[^\]]*\]\(/).count, "\(chapter.name)")
      for source in pictures {
        #expect(!source.hasPrefix("../"), "\(chapter.name): \(source)")
        #expect(FileManager.default.fileExists(atPath: directory.path + "/" + source), "\(chapter.name): \(source)")
      }
    }
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
      // Chapter pages and the style sheet, and captions' links into the
      // repository (`../…`), all resolve from the site's folder.
      for link in links(in: html) where !link.contains("://") && !link.hasPrefix("#") {
        let file = String(link.split(separator: "#").first ?? "").removingPercentEncoding ?? ""
        let path = URL(fileURLWithPath: directory.path + "/" + file).standardizedFileURL.path
        #expect(FileManager.default.fileExists(atPath: path), "\(page) links to missing \(link)")
      }
    }
    let wal = try read(directory, "01-wal.html")
    #expect(wal.contains("<a class=\"prev\" href=\"00-introduction.html\" rel=\"prev\""))
    #expect(wal.contains("<a class=\"file\" href=\""))
    #expect(wal.contains("<a class=\"contents\" href=\"index.html\">Contents</a>"))
  }

  @Test func pagesUseNothingFromTheNetwork() throws {
    let (_, directory) = try renderRealBook()
    defer { directory.remove() }
    for page in try FileManager.default.contentsOfDirectory(atPath: directory.path) where page.hasSuffix(".html") {
      let text = try read(directory, page)
      #expect(!text.contains("<script"))
      #expect(!text.contains("src=\"http"))
      #expect(!text.contains("href=\"http") || page.hasSuffix(".html"))
      #expect(!text.contains("@import"))
    }
  }

  @Test func captionsLinkToTheSourcesFromWhereverTheSiteIs() throws {
    let (book, directory) = try renderRealBook()
    defer { directory.remove() }
    let prefix = HTMLBook.sourcePrefix(site: directory.path, root: book.root)
    #expect(prefix.hasPrefix("../") && !prefix.contains("//") && !prefix.contains("file:"))
    let wal = try read(directory, "01-wal.html")
    #expect(wal.contains("<a class=\"file\" href=\"\(prefix)Sources/Chapter1WAL/"))
    #expect(wal.contains("<a class=\"file\" href=\"\(prefix)Notebook/01-wal.md\">Notebook/01-wal.md</a>"))
  }

  private func links(in html: String) -> [String] {
    html.split(separator: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
  }
}

/// Chapter pages, generated from a small fixture.
@Suite struct HTMLPageTests {
  private func chapter(_ name: String, _ title: String, parts: [WovenChapter.Part] = []) -> WovenChapter {
    WovenChapter(source: "Chapters/\(name).md", name: name, title: title, summary: "", parts: parts)
  }

  private let prose = ProseRenderer(chapterNames: ["01-log", "02-table", "03-tree"])

  private func fixture() -> WovenChapter {
    let snippet = Snippet(
      name: "append", file: "Sources/Chapter1WAL/Log/Log Writer.swift", line: 3, endLine: 5,
      code: ["func append() {}"], location: SnippetLocation(containers: ["struct LogWriter"]))
    let session = BookInputs.Session(
      notebook: "Notebook/02-table.md", name: "flush", line: 9, lines: ["beach[ch2]> flush", "ok"],
      commands: ["flush"])
    return chapter(
      "02-table", "Chapter 2: Tables",
      parts: [
        .markdown(["# Chapter 2: Tables", "", "Intro.", "", "## The format", "", "Text.", "", "### Blocks", ""]),
        .snippet(snippet),
        .markdown(["### The `footer`", "", "## Reading it & more", "", "## The format", ""]),
        .session(session),
      ])
  }

  private func page(sourcePrefix: String? = "../") -> String {
    HTMLBook.chapterPage(
      fixture(), previous: chapter("01-log", "Chapter 1: The log"), next: chapter("03-tree", "Chapter 3: Trees"),
      prose: prose, sourcePrefix: sourcePrefix)
  }

  @Test func chapterPageHasATableOfContentsOfItsSections() {
    let html = page()
    let expected = """
      <nav class="page-toc" aria-label="Sections of this chapter">
      <details open><summary>In this chapter</summary>
      <ol>
      <li><a href="#the-format">The format</a><ol>
      <li><a href="#blocks">Blocks</a></li>
      <li><a href="#the-footer">The footer</a></li>
      </ol></li>
      <li><a href="#reading-it--more">Reading it &amp; more</a></li>
      <li><a href="#the-format-1">The format</a></li>
      </ol>
      </details>
      </nav>

      """
    #expect(html.contains(expected))
    // Under the title, before the prose, and every entry's anchor exists.
    let title = html.range(of: "</h1>")!.upperBound
    let contents = html.range(of: "<nav class=\"page-toc\"")!.lowerBound
    #expect(title <= contents && contents < html.range(of: "<p>Intro.</p>")!.lowerBound)
    for id in ["the-format", "blocks", "the-footer", "reading-it--more", "the-format-1"] {
      #expect(html.contains(" id=\"\(id)\">"), "\(id)")
    }
  }

  @Test func aChapterWithoutSectionsHasNoTableOfContents() {
    let html = HTMLBook.chapterPage(
      chapter("01-log", "Chapter 1", parts: [.markdown(["# Chapter 1", "", "Text."])]), previous: nil, next: nil,
      prose: prose)
    #expect(!html.contains("page-toc"))
  }

  @Test func captionsLinkTheirFileUnderTheSourcePrefix() {
    let html = page()
    #expect(
      html.contains(
        "<figcaption><a class=\"file\" href=\"../Sources/Chapter1WAL/Log/Log%20Writer.swift\">"
          + "Sources/Chapter1WAL/Log/Log Writer.swift</a> — in <code>struct LogWriter</code></figcaption>"))
    #expect(
      html.contains(
        "<figcaption><a class=\"file\" href=\"../Notebook/02-table.md\">Notebook/02-table.md</a>"
          + " — session <code>flush</code></figcaption>"))
    // Without a prefix (no site folder known) the caption names the file.
    #expect(page(sourcePrefix: nil).contains("<figcaption><span class=\"file\">Notebook/02-table.md</span>"))
  }

  @Test func sourcePrefixIsTheRelativePathFromTheSiteToTheRoot() {
    #expect(HTMLBook.relativePath(from: "/repo/.build/html", to: "/repo") == "../..")
    #expect(HTMLBook.relativePath(from: "/repo/book", to: "/repo") == "..")
    #expect(HTMLBook.relativePath(from: "/repo", to: "/repo") == "")
    #expect(HTMLBook.relativePath(from: "/tmp/site", to: "/work/repo") == "../../work/repo")
    #expect(HTMLBook.relativePath(from: "/work/repo-site", to: "/work/repo") == "../repo")
    #expect(HTMLBook.relativePath(from: "/", to: "/work/repo") == "work/repo")
    #expect(HTMLBook.sourcePrefix(site: "/repo/html", root: "/repo") == "../")
    #expect(HTMLBook.sourcePrefix(site: "/repo/a/./b/../html", root: "/repo/") == "../../")
    #expect(HTMLBook.sourcePrefix(site: "/repo", root: "/repo") == "")
  }

  @Test func navigationNamesThePreviousAndNextChapters() {
    let html = page()
    let top = String(html[html.range(of: "<header")!.lowerBound..<html.range(of: "</header>")!.upperBound])
    #expect(top.contains("<nav class=\"links\" aria-label=\"Previous and next chapters\">"))
    #expect(
      top.contains(
        "<a class=\"prev\" href=\"01-log.html\" rel=\"prev\" aria-label=\"Previous chapter: Chapter 1: The log\">"
          + "<span aria-hidden=\"true\">← </span>Chapter 1: The log</a>"))
    #expect(
      top.contains(
        "<a class=\"next\" href=\"03-tree.html\" rel=\"next\" aria-label=\"Next chapter: Chapter 3: Trees\">"
          + "Chapter 3: Trees<span aria-hidden=\"true\"> →</span></a>"))
    #expect(!top.contains(">Previous<") && !top.contains(">Next<"))
    #expect(html.contains("<nav class=\"pager\" aria-label=\"Chapter navigation\">"))
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
      out[1].hasPrefix("  <span class=\"tc tc-wal\">wal</span>       <span class=\"ta\">append</span>"))
    #expect(out[2].contains("<span class=\"wy\">why: the log is written first</span>"))
    #expect(out[3].contains("<span class=\"tc tc-compaction\">compaction</span>"))
    #expect(out[4] == "<span class=\"ok\">ok</span>  seq 1")
    #expect(out[5] == "<span class=\"er\">error: no open database</span>")
    #expect(out[6] == "  @     0  len    17")
    #expect(out[7] == "a = 1")
  }

  @Test func unknownComponentsGetAStableReadableColour() {
    let line = SessionHighlighter.line("  gossip    send      to node 2")
    let colour = SessionHighlighter.fallbackColour(of: "gossip")
    #expect(line.contains("style=\"--tc: \(colour.light.hex); --tc-dark: \(colour.dark.hex)\">gossip</span>"))
    #expect(SessionHighlighter.fallbackColour(of: "gossip") == colour)
    // Whatever the hue, the fallback keeps AA contrast in both schemes.
    for hue in 0..<360 {
      let colour = SessionHighlighter.fallbackColour(hue: hue)
      #expect(colour.light.contrast(with: Stylesheet.codeBackground.light) >= Colour.minimumContrast, "hue \(hue)")
      #expect(colour.dark.contrast(with: Stylesheet.codeBackground.dark) >= Colour.minimumContrast, "hue \(hue)")
    }
  }

  @Test func knownComponentsHaveDistinctReadableColours() {
    let colours = SessionHighlighter.componentColours
    for name in ["fs", "wal", "memtable", "sstable", "manifest", "db"] {
      #expect(colours[name] != nil, "\(name)")
    }
    for (name, colour) in colours {
      #expect(colour.light.contrast(with: Stylesheet.codeBackground.light) >= Colour.minimumContrast, "\(name)")
      #expect(colour.dark.contrast(with: Stylesheet.codeBackground.dark) >= Colour.minimumContrast, "\(name)")
      #expect(Stylesheet.css.contains(".tc-\(name) { --tc: \(colour.light.hex); --tc-dark: \(colour.dark.hex); }"))
    }
    // No two look alike: the core components (those of chapters 1-4) at
    // least 25 apart (CIE76 ΔE; 2.3 is just noticeable), any two at least
    // 15. wal and manifest were 28 and 50 degrees of hue apart and looked
    // alike.
    let core: Set = ["fs", "wal", "memtable", "sstable", "manifest", "db"]
    let names = colours.keys.sorted()
    for (index, first) in names.enumerated() {
      for second in names[(index + 1)...] {
        let minimum = core.contains(first) && core.contains(second) ? 25.0 : 15.0
        let (a, b) = (colours[first]!, colours[second]!)
        #expect(a.light.difference(from: b.light) >= minimum, "\(first), \(second) (light)")
        #expect(a.dark.difference(from: b.dark) >= minimum, "\(first), \(second) (dark)")
      }
    }
  }

  @Test func coloursConvertAndCompare() {
    #expect(Colour("#0a5fB0") == Colour(red: 10, green: 95, blue: 176))
    #expect(Colour(red: 10, green: 95, blue: 176).hex == "#0a5fb0")
    #expect(Colour(hue: 0, saturation: 1, lightness: 0.5) == Colour("#ff0000"))
    #expect(Colour(hue: 120, saturation: 1, lightness: 0.25) == Colour("#008000"))
    #expect(Colour(hue: 240, saturation: 0, lightness: 1) == Colour("#ffffff"))
    #expect(abs(Colour("#000000").contrast(with: Colour("#ffffff")) - 21) < 0.001)
    #expect(Colour("#777777").contrast(with: Colour("#ffffff")) < 4.5)
    #expect(Colour("#ffffff").difference(from: Colour("#ffffff")) == 0)
    #expect(abs(Colour("#000000").difference(from: Colour("#ffffff")) - 100) < 0.01)
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
