import Chapter1WAL
import Foundation

/// `beach notebook play`: a notebook as a guided session in the real shell.
///
/// The learner reads the notebook's prose, then sees its next command with
/// the shell's prompt, and answers at the `play N/M> ` prompt:
///
/// | answer          | what happens                                          |
/// |-----------------|-------------------------------------------------------|
/// | Enter           | the command runs, live, with its trace                |
/// | `s`             | the command is skipped                                |
/// | `q`             | the player stops                                      |
/// | `?`             | these choices again                                   |
/// | anything else   | runs as a command of your own; then the notebook's command is offered again |
///
/// So a learner can try `get user:3` before the notebook's `crash`, or look
/// at `files` in the middle of a session, and then carry on.
///
/// Every command runs in one real `Shell` on a fresh temporary database
/// (removed afterwards), with the chapter named in the front matter and in
/// deterministic mode, like `NotebookRunner`. The trace is on: the front
/// matter's level, but at least `steps`, since watching is the point. The
/// output the notebook file records is not shown; what shows is what the
/// engine does now. What opening the empty directory prints is not shown
/// either (it is not part of any block).
///
/// Answers come from a `LineReader`: readline on a terminal, plain lines
/// from a pipe or a test, read the same way, so a scripted session is
/// reproducible. The end of input stops the player, as `q` does. With
/// `echoAnswers` each answer is printed after its prompt, so that a
/// transcript made without a terminal reads like the screen would.
///
/// The prose is the Markdown between blocks, lightly cleaned for a terminal
/// (see `TerminalMarkdown`): headings underlined, `**bold**` markers and
/// fences dropped, links as `text (url)`, runs of blank lines collapsed; on a
/// terminal, headings are bold and code spans coloured instead of quoted.
public enum NotebookPlayer {
  /// How the player talks to the learner.
  public struct Options {
    /// Where prose, commands and the shell's output go.
    public var output: ShellOutput
    /// Where the answers come from.
    public var input: any LineReader
    /// Whether the output is a terminal: ANSI styles, and the banner names
    /// the database directory.
    public var terminal: Bool
    /// Whether to print each answer after its prompt (when nobody sees the
    /// typing: a pipe, a test).
    public var echoAnswers: Bool

    public init(output: ShellOutput, input: any LineReader, terminal: Bool = false, echoAnswers: Bool = false) {
      self.output = output
      self.input = input
      self.terminal = terminal
      self.echoAnswers = echoAnswers
    }
  }

  /// How far a learner got.
  public struct Summary: Sendable, Equatable {
    /// The notebook's commands.
    public var total: Int
    /// Notebook commands run.
    public var ran: Int
    /// Notebook commands skipped with `s`.
    public var skipped: Int
    /// Commands of the learner's own.
    public var own: Int
    /// Whether the player reached the end of the notebook (rather than
    /// `q`, the end of input or a `quit` typed to the shell).
    public var finished: Bool

    public init(total: Int, ran: Int, skipped: Int, own: Int, finished: Bool) {
      self.total = total
      self.ran = ran
      self.skipped = skipped
      self.own = own
      self.finished = finished
    }
  }

  /// Plays the notebook at `path`.
  ///
  /// - Throws: an error if the file cannot be read or parsed, or if this
  ///   build has no engine for the notebook's chapter.
  @discardableResult
  public static func play(_ path: String, options: Options) throws -> Summary {
    try play(NotebookRunner.load(path), options: options)
  }

  /// Plays `notebook`; see the type's documentation.
  @discardableResult
  public static func play(_ notebook: Notebook, options: Options) throws -> Summary {
    let directory = try makeTemporaryDirectory(prefix: "beach-play")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let gate = OutputGate(options.output)
    let level = notebook.frontMatter["trace"].flatMap(Tracer.Level.init(name:)) ?? .steps
    let shell = try Shell(
      options: Shell.Options(
        chapter: notebook.chapter, directory: joinPath(directory, "db"), trace: level == .off ? .steps : level,
        output: gate.output, deterministic: true))
    gate.open()
    defer { shell.finish() }
    var session = Session(notebook: notebook, shell: shell, options: options)
    return session.run(directory: joinPath(directory, "db"))
  }

  /// The choices at a command.
  static let legend =
    "At each command: Enter runs it, s skips it, q stops, ? shows this again; anything else you type runs first."

  /// One play-through: the shell, where we are, what happened.
  private struct Session {
    let notebook: Notebook
    let shell: Shell
    let options: Options
    let style: TerminalMarkdown
    var summary: Summary
    /// Whether the last line printed was blank (so another is not needed).
    var atBlankLine = true

    init(notebook: Notebook, shell: Shell, options: Options) {
      self.notebook = notebook
      self.shell = shell
      self.options = options
      self.style = TerminalMarkdown(terminal: options.terminal)
      let total = notebook.blocks.reduce(0) { $0 + $1.steps.count }
      self.summary = Summary(total: total, ran: 0, skipped: 0, own: 0, finished: false)
    }

    mutating func run(directory: String) -> Summary {
      let name = URL(fileURLWithPath: notebook.path).lastPathComponent
      let chapter = shell.engineDescriptor.chapter
      let sessions = notebook.blocks.count
      var banner =
        "Playing \(name): chapter \(chapter), \(sessions) session\(sessions == 1 ? "" : "s"), "
        + "\(summary.total) command\(summary.total == 1 ? "" : "s"), on a fresh database"
      banner += options.terminal ? " in \(directory)." : "."
      say(style.dim(banner))
      say(style.dim(NotebookPlayer.legend))

      var next = notebook.firstProseLine
      var position = 0
      for block in notebook.blocks {
        showProse(notebook.lines[next..<block.openingLine])
        for step in block.steps {
          position += 1
          guard offer(step, position: position) else { return stop(before: position) }
        }
        next = block.closingLine + 1
      }
      showProse(notebook.lines[next...])
      summary.finished = true
      blankLine()
      say(style.dim("End of \(name): \(tally)."))
      return summary
    }

    /// Offers one notebook command until it is run or skipped.
    ///
    /// - Returns: `false` if the learner stopped.
    private mutating func offer(_ step: Notebook.Step, position: Int) -> Bool {
      while true {
        say(style.command(shell.prompt + step.command))
        options.input.setCompletion(shell.completionModel)
        let prompt = "play \(position)/\(summary.total)> "
        guard let answer = options.input.readLine(prompt: prompt) else { return false }
        if options.echoAnswers { say((prompt + answer).trimmingSpaces) }
        switch answer.trimmingSpaces {
        case "":
          execute(step.command)
          summary.ran += 1
          return !shell.isFinished
        case "s":
          summary.skipped += 1
          say(style.dim("(skipped)"))
          return true
        case "q":
          return false
        case "?":
          say(style.dim(NotebookPlayer.legend))
        default:
          execute(answer)
          summary.own += 1
          if shell.isFinished { return false }
        }
      }
    }

    private mutating func stop(before position: Int) -> Summary {
      blankLine()
      say(style.dim("Stopped at command \(position) of \(summary.total): \(tally)."))
      return summary
    }

    /// `3 run, 1 skipped, 2 of your own`.
    private var tally: String {
      "\(summary.ran) run, \(summary.skipped) skipped, \(summary.own) of your own"
    }

    /// Prints prose, cleaned, with a blank line before and after.
    private mutating func showProse(_ lines: ArraySlice<String>) {
      let cleaned = style.render(Array(lines))
      guard !cleaned.isEmpty else { return }
      blankLine()
      for line in cleaned { say(line) }
      blankLine()
    }

    /// Runs a line in the shell, whose output goes straight to the learner.
    private mutating func execute(_ line: String) {
      shell.execute(line: line)
      atBlankLine = false
    }

    private mutating func blankLine() {
      if !atBlankLine { say("") }
    }

    private mutating func say(_ line: String) {
      options.output.line(line)
      atBlankLine = line.isEmpty
    }
  }
}

// MARK: - Notebook listing

extension Notebook {
  /// Reads and parses the notebook at `path`.
  ///
  /// - Throws: an error if the file cannot be read, or `FormatError`.
  public init(contentsOf path: String) throws {
    self = try NotebookRunner.load(path)
  }

  /// The text of the first Markdown heading, if any.
  public var title: String? {
    var insideFence = false
    for line in lines[firstProseLine...] {
      let trimmed = line.trimmingSpaces
      if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { insideFence.toggle() }
      if !insideFence, line.hasPrefix("#") {
        let text = line.drop { $0 == "#" }
        if text.first == " " { return text.trimmingSpaces }
      }
    }
    return nil
  }

  /// How many commands its blocks hold (`batch>` lines included).
  public var commandCount: Int { blocks.reduce(0) { $0 + $1.steps.count } }

  /// The first line after the front matter.
  var firstProseLine: Int {
    guard lines.first == "---", let end = lines.dropFirst().firstIndex(of: "---") else { return 0 }
    return end + 1
  }

  /// `beach notebook list`: one row per notebook, under a header, in
  /// aligned columns.
  ///
  /// - Parameter notebooks: each notebook with the name to show for it.
  public static func listing(_ notebooks: [(name: String, notebook: Notebook)]) -> [String] {
    var rows = [["NOTEBOOK", "CHAPTER", "TITLE", "SESSIONS", "COMMANDS"]]
    for (name, notebook) in notebooks {
      rows.append([
        name, notebook.chapter.map(String.init) ?? "newest", notebook.title ?? "(untitled)",
        String(notebook.blocks.count), String(notebook.commandCount),
      ])
    }
    let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
      var line = ""
      for (column, cell) in row.enumerated() {
        let isNumber = column >= 3
        let padding = String(repeating: " ", count: widths[column] - cell.count)
        line += (column == 0 ? "" : "  ") + (isNumber ? padding + cell : cell + padding)
      }
      return line.trimmingSpaces
    }
  }
}

// MARK: - Output gate

/// Passes lines to an output once opened; until then drops them (what the
/// shell prints while opening the database).
private final class OutputGate: Sendable {
  private let isOpen = Locked(false)
  private let target: ShellOutput

  init(_ target: ShellOutput) { self.target = target }

  func open() { isOpen.withLock { $0 = true } }

  var output: ShellOutput {
    ShellOutput(
      line: { [self] line in if isOpen.withLock({ $0 }) { target.line(line) } },
      progress: target.progress)
  }
}

// MARK: - Markdown for a terminal

/// Markdown prose, lightly cleaned for reading in a terminal.
///
/// Not a Markdown renderer: it removes the markup that gets in the way and
/// keeps the rest as written (lists, tables and quotes read fine as text).
///
/// - `# Heading` and `## Heading`: the text, underlined with `=` or `-`;
///   deeper headings, the text alone. Bold on a terminal.
/// - `` `code` ``: kept quoted, or coloured on a terminal.
/// - `**strong**`, `__strong__`: the text (bold on a terminal).
/// - `[text](url)`: `text (url)`; `![alt](src)`: `[image: alt]`.
/// - `\*`: `*`. HTML comments: dropped.
/// - A fenced block of another language: its lines, indented four spaces.
/// - Blank lines: runs collapsed to one, none at either end.
struct TerminalMarkdown {
  /// Whether to use ANSI styles.
  var terminal: Bool

  func render(_ lines: [String]) -> [String] {
    var out: [String] = []
    var fence: String?
    var inComment = false
    for line in lines {
      let trimmed = line.trimmingSpaces
      if let marker = fence {
        if trimmed == marker {
          fence = nil
        } else {
          out.append("    " + line)
        }
        continue
      }
      if inComment {
        if trimmed.contains("-->") { inComment = false }
        continue
      }
      if trimmed.hasPrefix("<!--") {
        if !trimmed.contains("-->") { inComment = true }
        continue
      }
      if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
        fence = String(trimmed.prefix { $0 == trimmed.first })
        continue
      }
      if line.hasPrefix("#") {
        let level = line.prefix { $0 == "#" }.count
        let text = line.dropFirst(level)
        if text.first == " " || text.isEmpty {
          let plain = inline(text.trimmingSpaces, styled: false)
          out.append(bold(plain))
          if level <= 2 { out.append(String(repeating: level == 1 ? "=" : "-", count: plain.count)) }
          continue
        }
      }
      out.append(inline(line, styled: terminal))
    }
    // Collapse blank runs and trim both ends.
    var result: [String] = []
    for line in out {
      let blank = line.trimmingSpaces.isEmpty
      if blank && (result.isEmpty || result.last == "") { continue }
      result.append(blank ? "" : line)
    }
    if result.last == "" { result.removeLast() }
    return result
  }

  /// A command line, as offered.
  func command(_ text: String) -> String { bold(text) }

  /// Secondary text: banners, the legend, `(skipped)`.
  func dim(_ text: String) -> String { terminal ? "\u{1B}[2m" + text + "\u{1B}[0m" : text }

  private func bold(_ text: String) -> String { terminal ? "\u{1B}[1m" + text + "\u{1B}[0m" : text }

  private func code(_ text: String) -> String { terminal ? "\u{1B}[36m" + text + "\u{1B}[0m" : "`" + text + "`" }

  /// Inline markup: code spans, strong emphasis, links, images, escapes.
  /// With `styled` false, code spans keep their backticks and nothing is
  /// coloured.
  private func inline(_ line: String, styled: Bool) -> String {
    let characters = Array(line)
    var out = ""
    var index = 0
    func starts(_ token: String, at position: Int) -> Bool {
      let token = Array(token)
      return position + token.count <= characters.count
        && Array(characters[position..<(position + token.count)]) == token
    }
    func find(_ token: String, from position: Int) -> Int? {
      var cursor = position
      while cursor < characters.count {
        if starts(token, at: cursor) { return cursor }
        cursor += 1
      }
      return nil
    }
    while index < characters.count {
      let character = characters[index]
      if character == "\\", index + 1 < characters.count, "\\`*_[]()#!".contains(characters[index + 1]) {
        out.append(characters[index + 1])
        index += 2
      } else if character == "`" {
        let run = characters[index...].prefix { $0 == "`" }.count
        let ticks = String(repeating: "`", count: run)
        if let end = find(ticks, from: index + run) {
          let content = String(characters[(index + run)..<end]).trimmingSpaces
          out += styled ? code(content) : "`" + content + "`"
          index = end + run
        } else {
          out += ticks
          index += run
        }
      } else if starts("**", at: index) || starts("__", at: index),
        let end = find(String(characters[index..<(index + 2)]), from: index + 2), end > index + 2
      {
        let content = inline(String(characters[(index + 2)..<end]), styled: styled)
        out += styled ? bold(content) : content
        index = end + 2
      } else if character == "[" || (character == "!" && starts("![", at: index)),
        let link = link(in: characters, at: index)
      {
        let text = inline(link.text, styled: styled)
        out += link.isImage ? "[image: \(text)]" : (text == link.url ? text : "\(text) (\(link.url))")
        index = link.end
      } else {
        out.append(character)
        index += 1
      }
    }
    return out
  }

  /// `[text](url)` or `![alt](src)` starting at `start`.
  private func link(in characters: [Character], at start: Int)
    -> (text: String, url: String, isImage: Bool, end: Int)?
  {
    let isImage = characters[start] == "!"
    let open = start + (isImage ? 1 : 0)
    guard open < characters.count, characters[open] == "[" else { return nil }
    var depth = 0
    var close: Int?
    for position in open..<characters.count {
      if characters[position] == "[" { depth += 1 }
      if characters[position] == "]" {
        depth -= 1
        if depth == 0 {
          close = position
          break
        }
      }
    }
    guard let close, close + 1 < characters.count, characters[close + 1] == "(",
      let end = characters[(close + 2)...].firstIndex(of: ")")
    else { return nil }
    return (
      String(characters[(open + 1)..<close]), String(characters[(close + 2)..<end]), isImage, end + 1
    )
  }
}
