import Foundation
import TestSupport
import Testing

@testable import BeachShell

/// `beach notebook play` and `beach notebook list`, driven with scripted
/// answers: the player reads them from a `LineReader` whether or not a
/// terminal is attached.
@Suite struct NotebookPlayerTests {
  static let notebook = """
    ---
    chapter: 1
    trace: off
    ---

    # A **tiny** notebook

    Some prose with `code` and a [link](https://example.com).

    <!-- a note for authors -->


    ```sh
    swift run beach
    ```

    ```beach session=first
    beach[ch1]> get a
    (not found)
    beach[ch1]> put a 1
    ok  seq 1
    beach[ch1]> get a
    1
    ```

    ## The end

    Done.
    """

  /// Plays `text` with `answers`; returns the summary, the transcript (as
  /// a person without a terminal would see it) and the prompts shown.
  private func play(_ text: String = Self.notebook, answers: [String]) throws -> (
    summary: NotebookPlayer.Summary, transcript: [String], prompts: [String]
  ) {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.path + "/01-test.md"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    let collector = LineCollector()
    let input = ArrayLineReader(answers)
    let summary = try NotebookPlayer.play(
      path, options: NotebookPlayer.Options(output: .collecting(into: collector), input: input, echoAnswers: true))
    return (summary, collector.lines, input.prompts)
  }

  /// Whether a line is a trace event (`  wal       append …`); those are
  /// checked apart from the rest, which does not depend on their format.
  private func isTrace(_ line: String) -> Bool { line.hasPrefix("  ") && line.dropFirst(2).first?.isLetter == true }

  private func withoutTrace(_ lines: [String]) -> [String] { lines.filter { !isTrace($0) } }

  @Test func enterRunsSkipSkipsAndAnOwnCommandRunsFirst() throws {
    let result = try play(answers: ["put a 9", "", "s", "?", ""])
    #expect(
      withoutTrace(result.transcript) == [
        "Playing 01-test.md: chapter 1, 1 session, 3 commands, on a fresh database.",
        NotebookPlayer.legend,
        "",
        "A tiny notebook",
        "===============",
        "",
        "Some prose with `code` and a link (https://example.com).",
        "",
        "    swift run beach",
        "",
        "beach[ch1]> get a",
        "play 1/3> put a 9",
        "ok  seq 1",
        "beach[ch1]> get a",
        "play 1/3>",
        "9",
        "beach[ch1]> put a 1",
        "play 2/3> s",
        "(skipped)",
        "beach[ch1]> get a",
        "play 3/3> ?",
        NotebookPlayer.legend,
        "beach[ch1]> get a",
        "play 3/3>",
        "9",
        "",
        "The end",
        "-------",
        "",
        "Done.",
        "",
        "End of 01-test.md: 2 run, 1 skipped, 1 of your own.",
      ])
    #expect(result.summary == NotebookPlayer.Summary(total: 3, ran: 2, skipped: 1, own: 1, finished: true))
    #expect(result.prompts == ["play 1/3> ", "play 1/3> ", "play 2/3> ", "play 3/3> ", "play 3/3> "])
  }

  @Test func theTraceIsOnEvenWhenTheNotebookTurnsItOff() throws {
    let result = try play(answers: ["", ""])
    let put = try #require(result.transcript.firstIndex(of: "play 2/3>"))
    let trace = result.transcript[(put + 1)...].prefix(while: isTrace)
    #expect(trace.first?.hasPrefix("  wal       append    seq 1 PUT a") == true)
    #expect(result.transcript[put + 1 + trace.count] == "ok  seq 1")
    // Opening the empty directory is not part of any block.
    #expect(!result.transcript.prefix(put).contains(where: isTrace))
  }

  @Test func qStopsAndSaysWhere() throws {
    let result = try play(answers: ["", "q"])
    #expect(result.summary == NotebookPlayer.Summary(total: 3, ran: 1, skipped: 0, own: 0, finished: false))
    #expect(
      result.transcript.suffix(5) == [
        "(not found)",
        "beach[ch1]> put a 1",
        "play 2/3> q",
        "",
        "Stopped at command 2 of 3: 1 run, 0 skipped, 0 of your own.",
      ])
    #expect(!result.transcript.contains("The end"))
  }

  @Test func theEndOfInputStopsLikeQ() throws {
    let result = try play(answers: [])
    #expect(result.summary == NotebookPlayer.Summary(total: 3, ran: 0, skipped: 0, own: 0, finished: false))
    #expect(result.transcript.suffix(2) == ["", "Stopped at command 1 of 3: 0 run, 0 skipped, 0 of your own."])
  }

  @Test func quittingTheShellStopsThePlayer() throws {
    let result = try play(answers: ["quit", ""])
    #expect(result.summary == NotebookPlayer.Summary(total: 3, ran: 0, skipped: 0, own: 1, finished: false))
    #expect(result.prompts.count == 1)
  }

  @Test func aChapterThisBuildLacksIsAnError() throws {
    let text = Self.notebook.replacingOccurrences(of: "chapter: 1", with: "chapter: 99")
    #expect(throws: Shell.StartError.self) { try play(text, answers: [""]) }
  }

  /// Every notebook in the repository plays to its end when the learner
  /// only presses Enter.
  @Test func everyNotebookInTheRepositoryPlaysThrough() throws {
    for path in NotebookRunner.notebooks(in: Repository.root.path) {
      let notebook = try Notebook(contentsOf: path)
      let collector = LineCollector()
      let summary = try NotebookPlayer.play(
        notebook,
        options: NotebookPlayer.Options(
          output: .collecting(into: collector), input: ArrayLineReader(Array(repeating: "", count: 10_000))))
      #expect(summary.finished, "\(path)")
      #expect(summary.ran == notebook.commandCount, "\(path)")
    }
  }

  // MARK: Prose

  @Test func proseIsCleanedForATerminal() {
    let markdown = TerminalMarkdown(terminal: false)
    #expect(
      markdown.render([
        "", "# Title with `code`", "", "", "Text with **strong**, __also__, `a **b**`, ``x ` y`` and \\*stars\\*.",
        "A [link](../Chapters/01-wal.md), an ![image](a.svg), a bare [bracket] and beach[ch1]> too.",
        "<!-- one line -->", "<!--", "many", "lines -->", "### Deeper", "~~~text", "kept  as is", "~~~", "",
      ]) == [
        "Title with `code`",
        "=================",
        "",
        "Text with strong, also, `a **b**`, `x ` y` and *stars*.",
        "A link (../Chapters/01-wal.md), an [image: image], a bare [bracket] and beach[ch1]> too.",
        "Deeper",
        "    kept  as is",
      ])
    let terminal = TerminalMarkdown(terminal: true)
    #expect(terminal.render(["## Go `here`"]) == ["\u{1B}[1mGo `here`\u{1B}[0m", "---------"])
    #expect(terminal.render(["a `b` **c**"]) == ["a \u{1B}[36mb\u{1B}[0m \u{1B}[1mc\u{1B}[0m"])
  }

  // MARK: Listing

  @Test func theListingShowsChapterTitleSessionsAndCommands() throws {
    let first = try Notebook(path: "a.md", text: Self.notebook)
    #expect(first.title == "A **tiny** notebook")
    #expect(first.commandCount == 3)
    let second = try Notebook(
      path: "b.md",
      text: "No heading.\n\n```beach\nbeach[ch1]> batch\nbatch> put a 1\nbatch> commit\n```\n\n```beach\n```\n")
    #expect(second.title == nil)
    #expect(
      Notebook.listing([("Notebook/01-test.md", first), ("b.md", second)]) == [
        "NOTEBOOK             CHAPTER  TITLE                SESSIONS  COMMANDS",
        "Notebook/01-test.md  1        A **tiny** notebook         1         3",
        "b.md                 newest   (untitled)                  2         3",
      ])
  }

  // MARK: The executable

  /// Runs `beach` in the repository's root; returns status and output.
  private func beach(_ arguments: [String], stdin: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = try KillLoopTests.beachExecutable()
    process.arguments = arguments
    process.currentDirectoryURL = Repository.root
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    let input = Pipe()
    process.standardInput = input
    try process.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  @Test func beachNotebookListNamesEveryNotebook() throws {
    let result = try beach(["notebook", "list"], stdin: "")
    #expect(result.status == 0)
    let lines = result.output.split(separator: "\n").map(String.init)
    #expect(lines.first?.hasPrefix("NOTEBOOK ") == true)
    let names = NotebookRunner.notebooks(in: Repository.root.path).map {
      "Notebook/" + ($0 as NSString).lastPathComponent
    }
    #expect(lines.dropFirst().map { String($0.prefix { $0 != " " }) } == names)
  }

  @Test func beachNotebookPlayReadsAnswersFromAPipe() throws {
    let result = try beach(["notebook", "play", "Notebook/01-wal.md"], stdin: "\nhelp get\nq\n")
    #expect(result.status == 0)
    #expect(result.output.hasPrefix("Playing 01-wal.md: chapter 1, "))
    #expect(result.output.contains("\nplay 1/"))
    #expect(result.output.contains("\nplay 2/"))
    #expect(!result.output.contains("\u{1B}["))
    #expect(
      result.output.hasSuffix(
        "\nStopped at command 2 of \(try Notebook(contentsOf: Repository.path("Notebook/01-wal.md")).commandCount): 1 run, 0 skipped, 1 of your own.\n"
      ))
  }
}
