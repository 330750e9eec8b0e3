import Synchronization

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

  public init(line: @escaping @Sendable (String) -> Void, progress: (@Sendable (String?) -> Void)? = nil) {
    self.line = line
    self.progress = progress
  }

  /// Lines to standard output; a progress line too when `terminal` is set.
  public static func standardOutput(terminal: Bool) -> ShellOutput {
    let progress: @Sendable (String?) -> Void = { status in
      // Carriage return, the status, then erase whatever was longer before.
      StandardStream.output.write("\r" + (status ?? "") + "\u{1B}[K")
    }
    return ShellOutput(line: { StandardStream.output.write($0 + "\n") }, progress: terminal ? progress : nil)
  }

  /// Lines collected in memory, for tests and the notebook runner.
  public static func collecting(into collector: LineCollector) -> ShellOutput {
    ShellOutput(line: { collector.append($0) })
  }
}

/// Collects output lines in memory.
public final class LineCollector: Sendable {
  private let storage = Mutex<[String]>([])

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
