import Foundation

/// A `WovenBook` as a static HTML site that works from the file system.
///
/// The site is a folder of flat files: `index.html` (the contents), one
/// `NAME.html` per chapter, and `book.css`. Links are relative, there is no
/// script and nothing is fetched from the network, so opening `index.html`
/// from a disk (or a zip) shows the whole book.
///
/// Each chapter page has the book's title bar with the previous and next
/// chapters' titles, the chapter with a table of contents of its sections
/// under its title, and previous / contents / next links at the bottom.
/// Prose is rendered by `ProseRenderer` (Ink); snippets and sessions are
/// rendered here as figures with their caption above the code: Swift
/// highlighted by `SwiftHighlighter`, sessions by `SessionHighlighter`. A
/// caption's file links to the file in the repository (see
/// `sourcePrefix(site:root:)`).
public enum HTMLBook {
  /// The style sheet's file name.
  public static let stylesheet = "book.css"
  /// The contents page's file name.
  public static let index = "index.html"

  /// Every file of the site: names (no folders) and contents.
  ///
  /// - Parameter sourcePrefix: what goes before a repository path (such as
  ///   `Sources/Chapter1WAL/Log/LogWriter.swift`) to link to that file from
  ///   the site's folder: `../` when the site is a folder of the repository's
  ///   root, `""` when it is the root itself; `nil` leaves captions unlinked.
  public static func files(for book: WovenBook, sourcePrefix: String? = nil) -> [String: String] {
    let prose = ProseRenderer(chapterNames: Set(book.chapters.map(\.name)))
    var files: [String: String] = [stylesheet: Stylesheet.css, index: contentsPage(book, prose: prose)]
    for (index, chapter) in book.chapters.enumerated() {
      let previous = index > 0 ? book.chapters[index - 1] : nil
      let next = index + 1 < book.chapters.count ? book.chapters[index + 1] : nil
      files[page(for: chapter)] = chapterPage(
        chapter, previous: previous, next: next, prose: prose, sourcePrefix: sourcePrefix)
    }
    return files
  }

  /// How the site in the folder `site` links to the repository at `root`:
  /// the relative path from one to the other, ending in `/` (or `""` when
  /// they are the same folder).
  ///
  /// The HTML book can be written to any folder, so a fixed `../Sources/…`
  /// would be right for one place only. The rule here is one relative link,
  /// computed from the site's folder to the repository root: when the site
  /// is inside the repository (`beach book --html .build/html`), the link
  /// stays inside it (`../../Sources/…`), the GitHub-style path from the
  /// root below the climb, so the site and the repository can be moved or
  /// served together; when the site is elsewhere (`/tmp/book`), the link
  /// climbs to the folder the two share and goes down to the repository
  /// (`../../work/repo/Sources/…`), which works from this disk. No `file://`
  /// URL and no absolute path is written into a page, so the pages are the
  /// same on every machine for the same two folders. A site copied away
  /// from the repository keeps working except for these links, and each
  /// caption still names the file.
  ///
  /// Both folders are made absolute (against the current directory) and
  /// their symbolic links resolved first, so that `/tmp` and `/private/tmp`
  /// or a worktree reached through a link compare as the folders they are.
  public static func sourcePrefix(site: String, root: String) -> String {
    let relative = relativePath(from: resolvedPath(site), to: resolvedPath(root))
    return relative.isEmpty ? "" : relative + "/"
  }

  /// The relative path from the folder `from` to `to`, both absolute and
  /// normalised: `..` for a parent, `""` for the same folder.
  static func relativePath(from: String, to: String) -> String {
    let source = from.split(separator: "/")
    let target = to.split(separator: "/")
    var shared = 0
    while shared < source.count && shared < target.count && source[shared] == target[shared] { shared += 1 }
    let up = Array(repeating: "..", count: source.count - shared)
    return (up + target[shared...].map(String.init)).joined(separator: "/")
  }

  private static func resolvedPath(_ path: String) -> String {
    let base = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
    return URL(fileURLWithPath: path, isDirectory: true, relativeTo: base).standardizedFileURL
      .resolvingSymlinksInPath().path
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
    let prefix = sourcePrefix(site: directory, root: book.root)
    let folder = directory.hasSuffix("/") ? directory : directory + "/"
    for (name, page) in files(for: book, sourcePrefix: prefix).sorted(by: { $0.key < $1.key }) {
      let (text, images) = withImagesCopied(page)
      let path = folder + name
      do {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        for image in images {
          let target = folder + imagesFolder + "/" + (image as NSString).lastPathComponent
          try FileManager.default.createDirectory(
            atPath: folder + imagesFolder, withIntermediateDirectories: true)
          if FileManager.default.fileExists(atPath: target) { try FileManager.default.removeItem(atPath: target) }
          try FileManager.default.copyItem(atPath: book.root + "/" + image, toPath: target)
          written.append(target)
        }
      } catch {
        throw BookError("\(path): cannot write the page or its images: \(error)")
      }
      written.append(path)
    }
    return written
  }

  /// Where a page's pictures go, beside the pages.
  static let imagesFolder = "images"

  /// The page with each picture the Markdown links from `Book/` (`../Docs/…
  /// .svg`, a path from the repository's root) pointed into the site's own
  /// `images/` folder, and the repository paths of the pictures to copy
  /// there: the site then shows them wherever it is written.
  static func withImagesCopied(_ page: String) -> (page: String, images: [String]) {
    let marker = "<img src=\"../"
    var out = ""
    var images: [String] = []
    var rest = page[...]
    while let found = rest.firstRange(of: marker) {
      out += rest[..<found.lowerBound]
      rest = rest[found.upperBound...]
      let end = rest.firstIndex(of: "\"") ?? rest.endIndex
      let image = String(rest[..<end])
      images.append(image)
      out += "<img src=\"\(imagesFolder)/\((image as NSString).lastPathComponent)"
      rest = rest[end...]
    }
    return (out + rest, images)
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
    let top =
      first.map {
        "<a class=\"next\" href=\"\(page(for: $0))\" aria-label=\"Start reading: \(HTML.escape($0.title))\">"
          + "Start reading<span aria-hidden=\"true\"> →</span></a>"
      } ?? ""
    return document(title: Book.title, source: "Chapters/", topLinks: top, body: body, bottom: "")
  }

  static func chapterPage(
    _ chapter: WovenChapter, previous: WovenChapter?, next: WovenChapter?, prose: ProseRenderer,
    sourcePrefix: String? = nil
  ) -> String {
    let anchors = AnchorSet()
    var body = ""
    for part in chapter.parts {
      switch part {
      case .markdown(let lines):
        body += prose.html(lines, anchors: anchors)
      case .snippet(let snippet):
        let place = snippet.location.describe { "<code>\(HTML.escape($0))</code>" }
        body += figure(
          kind: "snippet", file: snippet.file, place: place, code: CodeBlockHTML.swift(snippet.code),
          sourcePrefix: sourcePrefix)
      case .session(let session):
        body += figure(
          kind: "session", file: session.notebook, place: "session <code>\(HTML.escape(session.name))</code>",
          code: CodeBlockHTML.session(session.lines), sourcePrefix: sourcePrefix)
      case .unresolved(let directive, let reason):
        body +=
          "<p class=\"unresolved\"><strong>Unresolved directive</strong> <code>\(HTML.escape(directive.text))</code>:"
          + " \(HTML.escape(reason))</p>\n"
      }
    }
    body = withContents(tableOfContents(anchors.headings), in: body)
    var top: [String] = []
    var bottom: [String] = []
    // The pager always has three slots, so Contents stays in the middle.
    if let previous {
      top.append(chapterLink(previous, rel: "prev"))
      bottom.append(chapterLink(previous, rel: "prev"))
    } else {
      bottom.append("<span class=\"prev\"></span>")
    }
    bottom.append("<a class=\"contents\" href=\"\(index)\">Contents</a>")
    if let next {
      top.append(chapterLink(next, rel: "next"))
      bottom.append(chapterLink(next, rel: "next"))
    } else {
      bottom.append("<span class=\"next\"></span>")
    }
    return document(
      title: "\(chapter.title) — \(Book.title)", source: chapter.source, topLinks: top.joined(separator: " "),
      body: body,
      bottom: "<nav class=\"pager\" aria-label=\"Chapter navigation\">\(bottom.joined(separator: "\n"))</nav>\n")
  }

  /// A link to the previous or next chapter that names it, with the arrow
  /// kept out of what a screen reader says: `← Chapter 2: The memtable`,
  /// read as "Previous chapter: Chapter 2: The memtable".
  ///
  /// REQUIRES: `rel` is `prev` or `next`.
  static func chapterLink(_ chapter: WovenChapter, rel: String) -> String {
    let title = HTML.escape(chapter.title)
    let label = (rel == "prev" ? "Previous chapter: " : "Next chapter: ") + title
    let text =
      rel == "prev"
      ? "<span aria-hidden=\"true\">← </span>\(title)" : "\(title)<span aria-hidden=\"true\"> →</span>"
    return "<a class=\"\(rel)\" href=\"\(page(for: chapter))\" rel=\"\(rel)\" aria-label=\"\(label)\">\(text)</a>"
  }

  /// The chapter's sections (its `##` and `###` headings) as a compact,
  /// nested list of links to their anchors; `""` when it has none.
  static func tableOfContents(_ headings: [AnchorSet.Heading]) -> String {
    let sections = headings.filter { $0.level == 2 || $0.level == 3 }
    guard !sections.isEmpty else { return "" }
    var html = "<nav class=\"page-toc\" aria-label=\"Sections of this chapter\">\n"
    html += "<details open><summary>In this chapter</summary>\n<ol>\n"
    var inSubsections = false
    for (position, heading) in sections.enumerated() {
      let link = "<a href=\"#\(heading.id)\">\(HTML.escape(heading.text))</a>"
      if heading.level == 3 && position > 0 {
        if !inSubsections { html += "<ol>\n" }
        inSubsections = true
        html += "<li>\(link)</li>\n"
        continue
      }
      if inSubsections { html += "</ol>" }
      if position > 0 { html += "</li>\n" }
      inSubsections = false
      html += "<li>\(link)"
    }
    html += inSubsections ? "</ol></li>\n" : "</li>\n"
    return html + "</ol>\n</details>\n</nav>\n"
  }

  /// `body` with `contents` after its first `<h1>` (at the start if it has
  /// none).
  static func withContents(_ contents: String, in body: String) -> String {
    guard !contents.isEmpty else { return body }
    guard let title = body.firstRange(of: "</h1>") else { return contents + body }
    return String(body[..<title.upperBound]) + "\n" + contents + String(body[title.upperBound...])
  }

  /// A snippet or session: the caption above the code. The caption's file
  /// links to it in the repository when `sourcePrefix` is given.
  static func figure(kind: String, file: String, place: String, code: String, sourcePrefix: String? = nil)
    -> String
  {
    var name = "<span class=\"file\">\(HTML.escape(file))</span>"
    if let sourcePrefix {
      name = "<a class=\"file\" href=\"\(HTML.escape(sourcePrefix + pathInURL(file)))\">\(HTML.escape(file))</a>"
    }
    let caption = name + (place.isEmpty ? "" : " — " + place)
    return "<figure class=\"\(kind)\">\n<figcaption>\(caption)</figcaption>\n\(code)\n</figure>\n"
  }

  /// `path` with each component percent-encoded for a URL.
  private static func pathInURL(_ path: String) -> String {
    path.split(separator: "/", omittingEmptySubsequences: false).map {
      $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? String($0)
    }.joined(separator: "/")
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
    <header class="bar"><a class="book" href="\(index)">\(HTML.escape(Book.title))</a><nav class="links" aria-label="Previous and next chapters">\(topLinks)</nav></header>
    <main>
    \(body)\(bottom)</main>
    </body>
    </html>

    """
  }
}
