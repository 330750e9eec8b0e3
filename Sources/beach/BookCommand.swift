import ArgumentParser
import BeachBook
import Foundation

/// `beach book`: weaves `Chapters/` into `Book/`, checks it, or renders it as
/// HTML.
///
/// - `beach book` writes `Book/` (only the files whose content changed, and
///   removes Markdown files no chapter generates), then lists any problem.
/// - `beach book --check` writes nothing and lists every problem, including
///   a stale `Book/`; it exits with status 1 if there is one.
/// - `beach book --html DIR` writes the HTML book into `DIR` (and leaves
///   `Book/` alone).
///
/// The repository is the current directory unless `--root` says otherwise.
/// Problems are printed as `file:line: message`, and the status is 1 when
/// there are any, so an editor or CI can jump to them; the status is 2 when
/// the repository cannot be read or a file cannot be written.
struct BookCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "book",
    abstract: "Weave Chapters/ into Book/ with code from Sources/ and sessions from Notebook/; check it; render HTML."
  )

  @Option(help: ArgumentHelp("The repository root (default: the current directory).", valueName: "DIR"))
  var root: String?

  @Flag(help: "Write nothing; list every problem, including a stale Book/. Exits 1 if there is any.")
  var check = false

  @Option(help: ArgumentHelp("Write the HTML book into DIR instead of writing Book/.", valueName: "DIR"))
  var html: String?

  func run() throws {
    let root = self.root ?? FileManager.default.currentDirectoryPath
    let book: WovenBook
    let problems: [BookProblem]
    do {
      if check {
        book = try Book.weave(root: root)
        problems = BookCheck.problems(in: book, root: root)
      } else if html != nil {
        book = try Book.weave(root: root)
        problems = book.problems
      } else {
        let (woven, changes) = try Book.write(root: root)
        book = woven
        problems = woven.problems
        for change in changes { print(change) }
        if changes.isEmpty { print("unchanged  \(Book.directory)/ is current") }
      }
      if let html {
        let written = try HTMLBook.write(book, to: html)
        print("wrote      \(written.count) files to \(html) (open \(html)/\(HTMLBook.index))")
      }
    } catch {
      FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
      throw ExitCode(2)
    }
    for problem in problems { print(problem) }
    if !problems.isEmpty {
      print("\(problems.count) problem\(problems.count == 1 ? "" : "s") in the book")
      throw ExitCode.failure
    }
    if check {
      let snippets = book.chapters.flatMap(\.parts).filter { if case .snippet = $0 { true } else { false } }.count
      let sessions = book.chapters.flatMap(\.parts).filter { if case .session = $0 { true } else { false } }.count
      print(
        "ok         \(Book.directory)/ is current: \(book.chapters.count) chapters, \(snippets) snippets,"
          + " \(sessions) sessions")
    }
  }
}
