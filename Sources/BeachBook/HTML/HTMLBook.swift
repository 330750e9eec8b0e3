import Foundation

/// A `WovenBook` as a static HTML site that works from the file system.
///
/// The site is a folder of flat files: `index.html` (the contents), one
/// `NAME.html` per chapter, and `book.css`. Links are relative, there is no
/// script and nothing is fetched from the network, so opening `index.html`
/// from a disk (or a zip) shows the whole book.
///
/// Each chapter page has the book's title bar with previous / next links,
/// the chapter, and previous / contents / next links at the bottom. Prose is
/// rendered by `ProseRenderer` (Ink); snippets and sessions are rendered here
/// as figures with their caption above the code: Swift highlighted by
/// `SwiftHighlighter`, sessions by `SessionHighlighter`.
public enum HTMLBook {
  /// The style sheet's file name.
  public static let stylesheet = "book.css"
  /// The contents page's file name.
  public static let index = "index.html"

  /// Every file of the site: names (no folders) and contents.
  public static func files(for book: WovenBook) -> [String: String] {
    let prose = ProseRenderer(chapterNames: Set(book.chapters.map(\.name)))
    var files: [String: String] = [stylesheet: Stylesheet.css, index: contentsPage(book, prose: prose)]
    for (index, chapter) in book.chapters.enumerated() {
      let previous = index > 0 ? book.chapters[index - 1] : nil
      let next = index + 1 < book.chapters.count ? book.chapters[index + 1] : nil
      files[page(for: chapter)] = chapterPage(chapter, previous: previous, next: next, prose: prose)
    }
    return files
  }

  /// Writes the site into `directory`, creating it if needed.
  ///
  /// - Returns: the paths written.
  /// - Throws: `BookError` if the folder cannot be created or a file written.
  @discardableResult
  public static func write(_ book: WovenBook, to directory: String) throws(BookError) -> [String] {
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw BookError("\(directory): cannot create the folder: \(error)")
    }
    var written: [String] = []
    for (name, text) in files(for: book).sorted(by: { $0.key < $1.key }) {
      let path = (directory.hasSuffix("/") ? directory : directory + "/") + name
      do {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
      } catch {
        throw BookError("\(path): cannot write the file: \(error)")
      }
      written.append(path)
    }
    return written
  }

  /// A chapter's page file name: `01-wal.html`.
  public static func page(for chapter: WovenChapter) -> String { chapter.name + ".html" }

  // MARK: Pages

  static func contentsPage(_ book: WovenBook, prose: ProseRenderer) -> String {
    var body = "<h1>\(HTML.escape(Book.title))</h1>\n"
    body +=
      "<p class=\"lede\">A storage engine built chapter by chapter, from the write-ahead log to Raft. The code"
      + " in these pages is copied from the sources and the shell sessions are replayed by the tests, so the text"
      + " cannot drift from the code.</p>\n"
    body += "<ol class=\"toc\">\n"
    for chapter in book.chapters {
      body += "<li><a href=\"\(page(for: chapter))\">\(HTML.escape(chapter.title))</a>"
      if !chapter.summary.isEmpty {
        body += "<p>\(prose.inlineHTML(chapter.summary))</p>"
      }
      body += "</li>\n"
    }
    body += "</ol>\n"
    let first = book.chapters.first
    let top = first.map { "<a class=\"next\" href=\"\(page(for: $0))\">Start reading →</a>" } ?? ""
    return document(title: Book.title, source: "Chapters/", topLinks: top, body: body, bottom: "")
  }

  static func chapterPage(_ chapter: WovenChapter, previous: WovenChapter?, next: WovenChapter?, prose: ProseRenderer)
    -> String
  {
    let anchors = AnchorSet()
    var body = ""
    for part in chapter.parts {
      switch part {
      case .markdown(let lines):
        body += prose.html(lines, anchors: anchors)
      case .snippet(let snippet):
        let place = snippet.location.describe { "<code>\(HTML.escape($0))</code>" }
        body += figure(
          kind: "snippet", file: snippet.file, place: place, code: CodeBlockHTML.swift(snippet.code))
      case .session(let session):
        body += figure(
          kind: "session", file: session.notebook, place: "session <code>\(HTML.escape(session.name))</code>",
          code: CodeBlockHTML.session(session.lines))
      case .unresolved(let directive, let reason):
        body +=
          "<p class=\"unresolved\"><strong>Unresolved directive</strong> <code>\(HTML.escape(directive.text))</code>:"
          + " \(HTML.escape(reason))</p>\n"
      }
    }
    var top: [String] = []
    var bottom: [String] = []
    // The pager always has three slots, so Contents stays in the middle.
    if let previous {
      top.append("<a class=\"prev\" href=\"\(page(for: previous))\" rel=\"prev\">← Previous</a>")
      bottom.append(
        "<a class=\"prev\" href=\"\(page(for: previous))\" rel=\"prev\">← \(HTML.escape(previous.title))</a>")
    } else {
      bottom.append("<span class=\"prev\"></span>")
    }
    bottom.append("<a class=\"contents\" href=\"\(index)\">Contents</a>")
    if let next {
      top.append("<a class=\"next\" href=\"\(page(for: next))\" rel=\"next\">Next →</a>")
      bottom.append("<a class=\"next\" href=\"\(page(for: next))\" rel=\"next\">\(HTML.escape(next.title)) →</a>")
    } else {
      bottom.append("<span class=\"next\"></span>")
    }
    return document(
      title: "\(chapter.title) — \(Book.title)", source: chapter.source, topLinks: top.joined(separator: " "),
      body: body, bottom: "<nav class=\"pager\">\(bottom.joined(separator: "\n"))</nav>\n")
  }

  /// A snippet or session: the caption above the code.
  static func figure(kind: String, file: String, place: String, code: String) -> String {
    let caption = "<span class=\"file\">\(HTML.escape(file))</span>" + (place.isEmpty ? "" : " — " + place)
    return "<figure class=\"\(kind)\">\n<figcaption>\(caption)</figcaption>\n\(code)\n</figure>\n"
  }

  /// The page around `body`.
  static func document(title: String, source: String, topLinks: String, body: String, bottom: String) -> String {
    """
    <!DOCTYPE html>
    <!-- Generated by `beach book --html` from \(HTML.escape(source)). Do not edit by hand. -->
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(HTML.escape(title))</title>
    <link rel="stylesheet" href="\(stylesheet)">
    </head>
    <body>
    <header class="bar"><a class="book" href="\(index)">\(HTML.escape(Book.title))</a><span class="links">\(topLinks)</span></header>
    <main>
    \(body)\(bottom)</main>
    </body>
    </html>

    """
  }
}
