import BeachShell
import Foundation

/// Everything the book is made from, read from a repository: the chapters,
/// the snippets marked in `Sources/`, and the notebooks' sessions.
///
/// Reading is separate from weaving so that the weaver and the checks are
/// functions of these values, and so that a test can build a small
/// repository in a temporary directory and load it the same way.
public struct BookInputs: Sendable {
  /// The repository root, as given.
  public var root: String
  /// `Chapters/*.md`, in file-name order.
  public var chapters: [ChapterSource]
  /// Every snippet marked in a Swift file under `Sources/`, by file path, then
  /// line.
  public var snippets: [Snippet]
  /// Sessions by notebook path (`Notebook/01-wal.md`), then by name.
  public var sessions: [String: [String: Session]]
  /// Every notebook's blocks in the order they run, by session name (`nil`
  /// for a block without one): a notebook is one shell, so each block
  /// starts from the state the ones before it left.
  public var sessionOrder: [String: [String?]] = [:]
  /// Notebooks that could not be read, with the reason.
  public var unreadableNotebooks: [String: String]
  /// Problems found while reading: broken or duplicated markers, broken
  /// notebooks.
  public var problems: [BookProblem]

  /// A named session from a notebook.
  public struct Session: Sendable, Equatable {
    /// The notebook, relative to the repository root.
    public var notebook: String
    public var name: String
    /// The line of the block's opening fence, 1-based.
    public var line: Int
    /// The block's lines (commands and their output), exactly as written.
    public var lines: [String]
    /// The commands alone, without prompts.
    public var commands: [String]
    /// The chapter whose engine the notebook runs (its front matter).
    public var chapter: Int? = nil
    /// Whether it is the notebook's first block, typed into a new database.
    public var isFirst = false
  }

  /// Reads the repository at `root`.
  ///
  /// - Throws: `BookError` if there is no `Chapters/` folder or a file
  ///   cannot be read.
  public static func load(root: String) throws(BookError) -> BookInputs {
    let files = RepositoryFiles(root: root)
    guard files.isDirectory("Chapters") else {
      throw BookError("\(root): no Chapters/ folder; run from the repository root or pass --root")
    }
    var inputs = BookInputs(
      root: root, chapters: [], snippets: [], sessions: [:], unreadableNotebooks: [:], problems: [])
    for path in files.list("Chapters", suffix: ".md", recursive: false) {
      inputs.chapters.append(ChapterSource(path: path, text: try files.read(path)))
    }
    // The code, and the tests a chapter quotes as evidence.
    for path in files.list("Sources", suffix: ".swift", recursive: true)
      + files.list("Tests", suffix: ".swift", recursive: true)
    {
      inputs.addSnippets(fromFile: path, text: try files.read(path))
    }
    inputs.findDuplicateSnippets()
    for path in files.list("Notebook", suffix: ".md", recursive: false) {
      inputs.addSessions(fromNotebook: path, text: try files.read(path))
    }
    return inputs
  }

  /// The snippet named `name`, if it is marked in `file`.
  public func snippet(_ name: String, in file: String) -> Snippet? {
    snippets.first { $0.file == file && $0.name == name }
  }

  // MARK: Reading

  private mutating func addSnippets(fromFile file: String, text: String) {
    // Most files have no markers: do not parse those.
    guard text.contains(SnippetScanner.openingPrefix) || text.contains(SnippetScanner.closingLine) else { return }
    let lines = splitLines(text)
    let (regions, markerProblems) = SnippetScanner.scan(lines, file: file)
    problems += markerProblems
    guard !regions.isEmpty else { return }
    let locator = SnippetLocator(lines: lines)
    for region in regions {
      var body = Array(lines[(region.opening + 1)..<region.closing])
      while body.first?.trimmingSpaces.isEmpty == true { body.removeFirst() }
      while body.last?.trimmingSpaces.isEmpty == true { body.removeLast() }
      snippets.append(
        Snippet(
          name: region.name, file: file, line: region.opening + 1, endLine: region.closing + 1,
          code: SnippetScanner.dedent(body), location: locator.locate(opening: region.opening, closing: region.closing)
        ))
    }
  }

  private mutating func findDuplicateSnippets() {
    var first: [String: Snippet] = [:]
    for snippet in snippets where !snippet.name.isEmpty {
      if let earlier = first[snippet.name] {
        problems.append(
          BookProblem(
            .duplicateMarker, file: snippet.file, line: snippet.line,
            "snippet name '\(snippet.name)' is already used at \(earlier.file):\(earlier.line); names are unique"
              + " across the repository"))
      } else {
        first[snippet.name] = snippet
      }
    }
  }

  private mutating func addSessions(fromNotebook path: String, text: String) {
    let notebook: Notebook
    do {
      notebook = try Notebook(path: path, text: text)
    } catch {
      unreadableNotebooks[path] = error.message
      problems.append(BookProblem(.badNotebook, file: path, line: error.line, error.message))
      return
    }
    var named: [String: Session] = [:]
    sessionOrder[path] = notebook.blocks.map(\.session)
    for block in notebook.blocks {
      guard let name = block.session else { continue }
      if let earlier = named[name] {
        problems.append(
          BookProblem(
            .badNotebook, file: path, line: block.openingLine + 1,
            "session '\(name)' is already defined at line \(earlier.line); session names are unique in a notebook"))
        continue
      }
      var lines = Array(notebook.lines[(block.openingLine + 1)..<block.closingLine])
      while lines.last?.trimmingSpaces.isEmpty == true { lines.removeLast() }
      named[name] = Session(
        notebook: path, name: name, line: block.openingLine + 1, lines: lines,
        commands: block.steps.map(\.command), chapter: notebook.chapter,
        isFirst: block.openingLine == notebook.blocks.first?.openingLine)
    }
    sessions[path] = named
  }
}

/// Reads files under a repository root, by paths relative to it.
struct RepositoryFiles {
  var root: String

  func absolute(_ path: String) -> String {
    root.hasSuffix("/") ? root + path : root + "/" + path
  }

  func isDirectory(_ path: String) -> Bool {
    var directory: ObjCBool = false
    return FileManager.default.fileExists(atPath: absolute(path), isDirectory: &directory) && directory.boolValue
  }

  func exists(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: absolute(path))
  }

  /// The files in `folder` whose names end in `suffix`, as sorted relative
  /// paths; hidden files and folders are skipped.
  func list(_ folder: String, suffix: String, recursive: Bool) -> [String] {
    let base = absolute(folder)
    let names: [String]
    if recursive {
      var found: [String] = []
      let enumerator = FileManager.default.enumerator(atPath: base)
      while let name = enumerator?.nextObject() as? String {
        if name.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
        found.append(name)
      }
      names = found
    } else {
      names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
    }
    return names.filter { $0.hasSuffix(suffix) && !$0.hasPrefix(".") && !isDirectory(folder + "/" + $0) }
      .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      .map { folder + "/" + $0 }
  }

  /// A file's contents, as UTF-8.
  func read(_ path: String) throws(BookError) -> String {
    guard let data = FileManager.default.contents(atPath: absolute(path)) else {
      throw BookError("\(path): cannot read the file")
    }
    return String(decoding: data, as: UTF8.self)
  }
}
