import CReadline
import Chapter1WAL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A source of command lines.
///
/// The shell reads from one of two kinds of source, chosen by whether a person
/// is typing:
///
/// - **A terminal** gets GNU readline: a prompt, line editing, history kept
///   across sessions in `~/.beach_history`, and tab completion of commands,
///   their keywords and file names in the database directory.
/// - **Anything else** (a pipe, a file, a test) gets plain lines: no prompt
///   and no echo, so a script's output is only what its commands print.
public protocol LineReader: AnyObject {
  /// The next line without its newline, or `nil` at the end of input.
  func readLine(prompt: String) -> String?

  /// Tells the reader what tab completion should offer from now on.
  func setCompletion(_ model: CompletionModel)
}

extension LineReader {
  public func setCompletion(_ model: CompletionModel) {}
}

/// Reads lines from standard input with no prompt.
public final class PlainLineReader: LineReader {
  public init() {}

  public func readLine(prompt: String) -> String? {
    Swift.readLine(strippingNewline: true)
  }
}

/// Lines from an array, for tests.
public final class ArrayLineReader: LineReader {
  private var lines: [String]
  /// The prompts the shell showed, one for each line asked for.
  public private(set) var prompts: [String] = []

  public init(_ lines: [String]) { self.lines = lines.reversed() }

  public func readLine(prompt: String) -> String? {
    prompts.append(prompt)
    return lines.popLast()
  }
}

/// Reads lines with GNU readline: editing, history, tab completion.
///
/// Only one can exist at a time (readline itself is a single global state
/// machine); use it from one thread.
public final class ReadlineLineReader: LineReader {
  /// Where history is kept across sessions, or `nil` for none.
  public let historyFile: String?
  private var lastLine: String?

  /// Sets readline up.
  ///
  /// - Parameter historyFile: the history file; it is read now and every
  ///   entered line is appended to it.
  public init(historyFile: String?) {
    self.historyFile = historyFile
    beach_rl_set_name("beach")
    beach_rl_set_catch_signals(0)  // Ctrl-C is the shell's (see `Interrupt`)
    beach_rl_set_completer(readlineCompleter)
    stifle_history(2000)
    if let historyFile {
      if access(historyFile, F_OK) == 0 {
        read_history(historyFile)
      } else {
        write_history(historyFile)  // creates it, so appending works
      }
    }
  }

  /// `~/.beach_history`, or `nil` if `HOME` is not set.
  public static var defaultHistoryFile: String? {
    guard let home = getenv("HOME") else { return nil }
    return String(cString: home) + "/.beach_history"
  }

  /// Reads a line with readline's callback interface, so that while it
  /// waits for a key it can also print background output above the prompt
  /// and take back the line on Ctrl-C.
  public func readLine(prompt: String) -> String? {
    _ = Interrupt.take()  // a Ctrl-C during the last command was for that command
    PromptGate.beginPrompt()
    enteredLine.withLock { $0 = nil }
    rl_callback_handler_install(prompt, lineHandler)
    while true {
      var input = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
      let ready = poll(&input, 1, 100)
      if Interrupt.take() {
        // Ctrl-C: drop the line being typed and start a fresh one.
        StandardStream.output.write("^C\n")
        rl_free_line_state()
        rl_callback_sigcleanup()
        rl_callback_handler_remove()
        rl_callback_handler_install(prompt, lineHandler)
        continue
      }
      if ready > 0 { rl_callback_read_char() }
      if let entered = enteredLine.withLock({ $0 }) {
        for line in PromptGate.endPrompt() { StandardStream.output.write(line + "\n") }
        guard case .line(let line) = entered else { return nil }  // Ctrl-D
        remember(line)
        return line
      }
      let held = PromptGate.takePending()
      if !held.isEmpty {
        // Over the prompt line: back to its start, erase it, print, redraw.
        StandardStream.output.write("\r\u{1B}[K" + held.map { $0 + "\n" }.joined())
        rl_on_new_line()
        rl_forced_update_display()
      }
    }
  }

  /// Adds `line` to the history (and its file), unless it is blank or the
  /// same as the one before.
  private func remember(_ line: String) {
    guard !line.allSatisfy(\.isWhitespace) && line != lastLine else { return }
    add_history(line)
    lastLine = line
    if let historyFile {
      append_history(1, historyFile)
      history_truncate_file(historyFile, 2000)
    }
  }

  public func setCompletion(_ model: CompletionModel) {
    activeCompletion.withLock { $0 = model }
  }
}

/// What readline's callback interface handed over.
private enum Entered: Sendable {
  case line(String)
  case endOfInput
}

/// The line entered, or the end of input; `nil` while a line is being typed.
private let enteredLine = Locked<Entered?>(nil)

/// Readline's line callback: a C function pointer, so it captures nothing.
private let lineHandler: @convention(c) (UnsafeMutablePointer<CChar>?) -> Void = { raw in
  let line = raw.map { String(cString: $0) }
  free(raw)
  rl_callback_handler_remove()
  enteredLine.withLock { $0 = line.map(Entered.line) ?? .endOfInput }
}

/// The model readline's completer consults (see `CompletionModel`).
private let activeCompletion = Locked(CompletionModel())

/// The C signature readline calls on TAB: the word, where it starts and ends
/// in the line; returns a match list built by `beach_rl_match_list`.
private typealias CompletionFunction =
  @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<
    UnsafeMutablePointer<CChar>?
  >?

/// Readline's completion entry point: a C function pointer, so it captures
/// nothing and reads the model from `activeCompletion`.
private let readlineCompleter: CompletionFunction = { _, start, end in
  let model = activeCompletion.withLock { $0 }
  let line = beach_rl_line_buffer().map { String(cString: $0) } ?? ""
  switch model.complete(line: line, start: Int(start), end: Int(end)) {
  case .localPaths:
    beach_rl_set_completion_over(0)
    return nil
  case .matches(let matches):
    beach_rl_set_completion_over(1)
    let replacement = CompletionModel.commonPrefix(matches)
    let cStrings = matches.map { strdup($0) }
    defer {
      for string in cStrings { free(string) }
    }
    return cStrings.map { UnsafePointer($0) }.withUnsafeBufferPointer { buffer in
      beach_rl_match_list(replacement, buffer.baseAddress, Int32(buffer.count))
    }
  }
}

/// The reader for standard input: readline on a terminal, plain lines otherwise.
public func standardInputReader() -> any LineReader {
  isatty(0) == 1 ? ReadlineLineReader(historyFile: ReadlineLineReader.defaultHistoryFile) : PlainLineReader()
}
