import Chapter1WAL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where the shell's output goes.
///
/// The shell produces *lines*: trace events, results, errors. A line sink
/// receives them one at a time, in order, without the trailing newline. The
/// standard output sink writes each line with a single `write(2)` call, so
/// nothing sits in a buffer: a script piped into the shell sees each result as
/// soon as the command has finished, and a killed process has printed exactly
/// what it had done.
///
/// `progress`, when present, shows transient status (the `fill` progress
/// bar). Only a terminal gets one; scripts and tests never see it.
public struct ShellOutput: Sendable {
  /// Receives each output line, without its newline.
  public var line: @Sendable (String) -> Void
  /// Shows a transient status line, replacing the previous one; `nil`
  /// clears it. `nil` itself when the output is not a terminal.
  public var progress: (@Sendable (String?) -> Void)?
  /// The terminal's width in columns, which long lines are wrapped to;
  /// `nil` when the output is not a terminal (pipes and notebooks get each
  /// line whole, so their output never depends on a window's size).
  public var width: (@Sendable () -> Int?)?

  public init(
    line: @escaping @Sendable (String) -> Void, progress: (@Sendable (String?) -> Void)? = nil,
    width: (@Sendable () -> Int?)? = nil
  ) {
    self.line = line
    self.progress = progress
    self.width = width
  }

  /// Lines to standard output; a progress line too when `terminal` is set.
  public static func standardOutput(terminal: Bool) -> ShellOutput {
    let progress: @Sendable (String?) -> Void = { status in
      // Carriage return, the status, then erase whatever was longer before.
      StandardStream.output.write("\r" + (status ?? "") + "\u{1B}[K")
    }
    let width: @Sendable () -> Int? = { terminalColumns(1) }
    let line: @Sendable (String) -> Void = { StandardStream.output.write($0 + "\n") }
    let gated: @Sendable (String) -> Void = { PromptGate.write($0) }
    return ShellOutput(
      line: terminal ? gated : line, progress: terminal ? progress : nil, width: terminal ? width : nil)
  }

  /// Lines collected in memory, for tests and the notebook runner.
  public static func collecting(into collector: LineCollector) -> ShellOutput {
    ShellOutput(line: { collector.append($0) })
  }
}

/// Collects output lines in memory.
public final class LineCollector: Sendable {
  private let storage = Locked<[String]>([])

  public init() {}

  /// Adds a line.
  public func append(_ line: String) { storage.withLock { $0.append(line) } }

  /// Every line collected so far.
  public var lines: [String] { storage.withLock { $0 } }

  /// Returns the lines collected so far and forgets them.
  public func drain() -> [String] {
    storage.withLock { lines in
      defer { lines.removeAll() }
      return lines
    }
  }
}

/// Unbuffered writes to a standard file descriptor.
public struct StandardStream: Sendable {
  /// The file descriptor written to.
  public let descriptor: Int32

  /// File descriptor 1.
  public static let output = StandardStream(descriptor: 1)
  /// File descriptor 2.
  public static let error = StandardStream(descriptor: 2)

  /// Writes all of `text`, retrying short writes and interruptions.
  ///
  /// One call is one `write(2)` for any text shorter than a pipe's buffer, so
  /// a line is never split by another process writing to the same pipe.
  public func write(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { buffer in
      var offset = 0
      while offset < buffer.count {
        #if canImport(Glibc)
          let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
        #else
          let written = Darwin.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
        #endif
        if written < 0 {
          if errno == EINTR { continue }
          return  // the reader went away (EPIPE); there is nobody to tell
        }
        offset += written
      }
    }
  }

  /// Whether the descriptor is a terminal.
  public var isTerminal: Bool { isatty(descriptor) == 1 }
}

/// The width of the terminal on `descriptor`, or `nil` if it is not one.
func terminalColumns(_ descriptor: Int32) -> Int? {
  var size = winsize()
  guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
  return Int(size.ws_col)
}

/// `line` broken at spaces into lines of at most `width` characters, the
/// continuation lines indented to where the line's text starts: a trace
/// line's subject (column 22), or past the line's own indent.
func wrapped(_ line: String, width: Int) -> [String] {
  guard line.count > width, width >= 40 else { return [line] }
  let leading = line.prefix { $0 == " " }.count
  let isTrace = leading == 2 && line.count > 22 && line.dropFirst(2).first?.isLowercase == true
  let indent = String(repeating: " ", count: isTrace ? 22 : min(leading + 2, width / 2))
  var lines: [String] = []
  var current = String(line.prefix(leading))
  for word in line.dropFirst(leading).split(separator: " ", omittingEmptySubsequences: false) {
    let fresh = current.allSatisfy { $0 == " " }
    if !fresh && current.count + 1 + word.count > width {
      lines.append(current)
      current = indent
    }
    current += (current.allSatisfy { $0 == " " } ? "" : " ") + word
  }
  lines.append(current)
  return lines
}

/// Keeps background output (a flush finishing on its own thread) from
/// landing in the middle of the line a person is typing.
///
/// While the line reader shows a prompt, lines are held here; the reader
/// takes them between keystrokes, clears the prompt line, prints them, and
/// draws the prompt and the half-typed line again.
enum PromptGate {
  private static let state = Locked<(prompting: Bool, pending: [String])>((false, []))

  /// Writes `line` now, or holds it if a prompt is showing.
  static func write(_ line: String) {
    let held = state.withLock { state in
      if state.prompting { state.pending.append(line) }
      return state.prompting
    }
    if !held { StandardStream.output.write(line + "\n") }
  }

  /// From now on, hold lines: a prompt is about to be drawn.
  static func beginPrompt() { state.withLock { $0.prompting = true } }

  /// Stops holding lines and returns those still held.
  static func endPrompt() -> [String] {
    state.withLock { state in
      state.prompting = false
      defer { state.pending.removeAll() }
      return state.pending
    }
  }

  /// The lines held so far, which the caller prints.
  static func takePending() -> [String] {
    state.withLock { state in
      defer { state.pending.removeAll() }
      return state.pending
    }
  }
}
