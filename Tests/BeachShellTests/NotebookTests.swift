import Foundation
import TestSupport
import Testing

@testable import BeachShell

@Suite struct NotebookTests {
  static let notebook = """
    ---
    chapter: 1
    trace: off
    ---

    # A notebook

    Some prose. A block in another language is left alone:

    ```swift
    beach[ch1]> put not a command
    ```

    ```beach session=first
    beach[ch1]> put a 1
    ok  seq 1
    beach[ch1]> get a
    1
    ```

    Later blocks see what earlier ones wrote.

    ```beach
    beach[ch1]> batch
    batch: enter put/delete lines, then commit or abort
    batch> put b 2
    batch> commit
    ok  seq 2
    beach[ch1]> scan
    a = 1
    b = 2
    (2 entries)
    ```
    """

  private func write(_ text: String, in directory: TemporaryDirectory) throws -> String {
    let path = directory.path + "/01-test.md"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func parsesFrontMatterBlocksAndSteps() throws {
    let notebook = try Notebook(path: "n.md", text: Self.notebook)
    #expect(notebook.chapter == 1)
    #expect(notebook.frontMatter["trace"] == "off")
    #expect(notebook.blocks.count == 2)
    #expect(notebook.blocks[0].session == "first")
    #expect(notebook.blocks[1].session == nil)
    #expect(
      notebook.blocks[0].steps == [
        Notebook.Step(prompt: "beach[ch1]> ", command: "put a 1", line: 14, expected: ["ok  seq 1"]),
        Notebook.Step(prompt: "beach[ch1]> ", command: "get a", line: 16, expected: ["1"]),
      ])
    #expect(notebook.blocks[1].steps.map(\.prompt) == ["beach[ch1]> ", "batch> ", "batch> ", "beach[ch1]> "])
  }

  @Test func aCorrectNotebookHasNoMismatches() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    #expect(try NotebookRunner.check(write(Self.notebook, in: directory)) == [])
  }

  @Test func aWrongOutputIsReportedWithItsPlace() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = try write(Self.notebook.replacingOccurrences(of: "a = 1\n", with: "a = 7\n"), in: directory)
    let mismatches = try NotebookRunner.check(path)
    #expect(mismatches.count == 1)
    let mismatch = try #require(mismatches.first)
    #expect(mismatch.block == 2)
    #expect(mismatch.line == 29)
    #expect(mismatch.command == "beach[ch1]> scan")
    #expect(mismatch.expected == ["a = 7", "b = 2", "(2 entries)"])
    #expect(mismatch.actual == ["a = 1", "b = 2", "(2 entries)"])
    #expect(
      mismatch.description == """
        \(path):29: block 2: beach[ch1]> scan
            - a = 7
            + a = 1
              b = 2
              (2 entries)
        """)
  }

  @Test func updateRewritesOutputsAndKeepsTheProse() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let broken = Self.notebook
      .replacingOccurrences(of: "ok  seq 1\n", with: "")
      .replacingOccurrences(of: "(2 entries)", with: "stale\nlines")
      .replacingOccurrences(of: "batch> commit", with: "beach[ch1]> commit")
    let path = try write(broken, in: directory)
    #expect(try NotebookRunner.check(path).count == 3)
    #expect(try NotebookRunner.update(path))
    #expect(try String(contentsOfFile: path, encoding: .utf8) == Self.notebook + "\n")
    #expect(try NotebookRunner.check(path) == [])
    #expect(try NotebookRunner.update(path) == false)
  }

  @Test func malformedNotebooksAreErrorsWithALineNumber() {
    #expect(throws: Notebook.FormatError.self) { try Notebook(path: "n.md", text: "---\nchapter: 1\n") }
    #expect(throws: Notebook.FormatError.self) { try Notebook(path: "n.md", text: "```beach\nbeach[ch1]> put a 1\n") }
    do {
      _ = try Notebook(path: "n.md", text: "text\n```beach\nstray output\nbeach[ch1]> get a\n```\n")
      Issue.record("expected a format error")
    } catch {
      #expect(error.description.hasPrefix("n.md:3: output before the block's first command"))
    }
  }

  @Test func promptsAreRecognized() {
    #expect(Notebook.prompt(of: "beach[ch1]> put a 1") == "beach[ch1]> ")
    #expect(Notebook.prompt(of: "beach[ch12]>") == "beach[ch12]> ")
    #expect(Notebook.prompt(of: "batch> put a 1") == "batch> ")
    #expect(Notebook.prompt(of: "beach[chx]> put") == nil)
    #expect(Notebook.prompt(of: "  beach[ch1]> put") == nil)
  }

  /// Every notebook in the repository replays exactly.
  @Test func everyNotebookInTheRepositoryReplays() throws {
    for path in NotebookRunner.notebooks(in: Repository.root.path) {
      let mismatches = try NotebookRunner.check(path)
      #expect(mismatches.isEmpty, "\(mismatches.map(\.description).joined(separator: "\n"))")
    }
  }

  /// The README's tour of the shell is a notebook too, so it cannot go stale.
  ///
  /// It shows what `swift run beach` opens: the newest chapter. A milestone
  /// checkout (chapters 1…N of a later main) keeps main's README, so the tour
  /// is checked only where its chapter is the newest one built.
  @Test func theReadmeTourReplays() throws {
    let readme = try String(contentsOfFile: Repository.path("README.md"), encoding: .utf8)
    guard readme.contains("beach[ch\(EngineRegistry.newest.chapter)]> ") else { return }
    let mismatches = try NotebookRunner.check(Repository.path("README.md"))
    #expect(mismatches.isEmpty, "\(mismatches.map(\.description).joined(separator: "\n"))")
  }
}
