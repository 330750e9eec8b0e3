/// # The book weaver
///
/// A chapter is written as prose in `Chapters/NN-name.md`. It does not copy
/// code or shell output into itself: it names them, each with a directive on
/// a line of its own,
///
/// ```
/// @snippet Sources/Chapter1WAL/Log/LogFormat.swift log-frame
/// @session 01-wal unsynced-write-lost
/// ```
///
/// and the weaver replaces each directive with the real thing: the lines
/// between `// snippet: log-frame` and `// end snippet` in that Swift file,
/// or the block of `Notebook/01-wal.md` whose info string is
/// `beach session=unsynced-write-lost`, whose output `beach notebook check`
/// verifies. The result is `Book/`: one Markdown file per chapter and a table
/// of contents, committed so that GitHub shows the book, and an HTML book
/// rendered on demand. The text therefore cannot drift from the code: when
/// the code changes, the book is regenerated, and a test fails until it is.
///
/// ## The pipeline
///
/// 1. **`BookInputs`** reads the repository: the chapters (`ChapterSource`,
///    which finds the title, the one-line summary and the directives, and
///    ignores anything inside a fenced code block), every Swift file under
///    `Sources/` and `Tests/` (`SnippetScanner` finds the markers; a chapter
///    quotes its tests as evidence), and the notebooks
///    (parsed by `BeachShell`'s own `Notebook`, so the weaver and
///    `beach notebook check` agree on what a session is).
/// 2. **`SnippetLocator`** parses each Swift file that holds a snippet with
///    swift-syntax and names where the snippet sits: the enclosing types and
///    functions, and the whole declarations it contains. That is the
///    caption, so the reader always knows where the code goes.
/// 3. **`Weaver`** expands the directives into a `WovenBook`: chapters as a
///    sequence of parts (prose, snippet, session), plus every problem found
///    on the way. Nothing is written yet.
/// 4. **`MarkdownBook`** turns a `WovenBook` into the files of `Book/`;
///    **`HTMLBook`** turns the same `WovenBook` into a static HTML site,
///    highlighting Swift from swift-syntax's tokens and shell sessions from
///    the shell's output conventions, and using Ink for the prose.
/// 5. **`BookCheck`** collects every problem: directives that do not
///    resolve, markers that are broken, duplicated or unused, and a `Book/`
///    that differs from what step 4 would write.
///
/// The weaver is a pure function of the repository's files, and its output
/// has no dates, absolute paths or other accidents, so "is `Book/` current?"
/// is a byte comparison.
public enum Book {
  /// The book's title, on the contents page and in every HTML page's title.
  public static let title = "BeachDB in Swift"

  /// The folder, relative to the repository root, that holds the woven
  /// Markdown.
  public static let directory = "Book"

  /// Weaves the book from the repository at `root`, without writing anything.
  ///
  /// - Throws: `BookError` if `root` has no `Chapters/` folder or a file
  ///   cannot be read.
  public static func weave(root: String) throws(BookError) -> WovenBook {
    Weaver(inputs: try BookInputs.load(root: root)).weave()
  }

  /// Writes `Book/` for the repository at `root`: every generated file whose
  /// content changed, and removes Markdown files in `Book/` that no chapter
  /// generates any more.
  ///
  /// - Returns: the woven book (for its problems) and what changed on disk.
  /// - Throws: `BookError` if the repository cannot be read or `Book/`
  ///   cannot be written.
  @discardableResult
  public static func write(root: String) throws(BookError) -> (book: WovenBook, changes: [BookFileChange]) {
    let book = try weave(root: root)
    let changes = try BookFiles.sync(MarkdownBook.files(for: book), root: root)
    return (book, changes)
  }
}

/// A problem reading or writing the repository itself (as opposed to a
/// `BookProblem`, which is a problem in its content).
public struct BookError: Error, CustomStringConvertible, Sendable {
  /// What went wrong, naming the path.
  public var message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }
}
