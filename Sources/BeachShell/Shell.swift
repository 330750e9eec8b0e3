/// # The `beach` shell
///
/// A learner reads a chapter, then types the same operations into this shell
/// and watches the engine take each step: the log append, the `fdatasync`, the
/// map update, and after a simulated power cut, what was lost and how
/// recovery rebuilt the rest. This module is the shell as a library, so the
/// `beach` executable, the tests and the notebook runner all drive the same
/// code without a process in between.
///
/// ## The pieces
///
/// - **`Tokenizer`** splits a line into words (quotes, escapes, `x'00ff'` for
///   binary); every word is `Bytes`.
/// - **`LineReader`** supplies lines: readline on a terminal (history, tab
///   completion), plain lines from a pipe.
/// - **`Shell`** (this file) owns the session: the open engine, the file
///   system stack, the tracer, the settings (`sync`, `trace`), a batch being
///   built. It looks each line's first word up in **`Shell.commandTable`**:
///   one row per command with its usage, help text, arity and handler, so
///   help, argument checks, completion and suggestions never disagree.
/// - **`EngineRegistry`** lists one `EngineDescriptor` per chapter, compiled
///   in with `#if canImport`, and the capabilities of each decide which
///   commands the shell offers.
/// - **`NotebookRunner`** replays `Notebook/*.md` sessions through a fresh
///   shell and diffs the output.
///
/// ## The file system stack
///
/// The engine never sees the disk directly. The shell opens it over
/// `PowerCutFileSystem(wrapping: DiskFileSystem(), scope: directory)`, which passes every call
/// to the real directory while remembering which bytes were synced and which
/// names were made durable by a directory sync. That is what lets `crash`
/// throw away exactly what a power cut could, on real files a learner can
/// then `hexdump`. `corrupt` goes around the stack on purpose: it models
/// damage to bytes the disk already holds.
///
/// ## Conventions scripts rely on
///
/// - A command that changes data prints the engine's trace (one line per
///   event, a `why:` line under each with `trace explain`), then one line
///   starting with `ok`, and only after the write has returned, so it is as
///   durable as the `sync` setting promises.
/// - `get` prints the value alone on a line, or `(not found)`.
/// - Anything that goes wrong prints exactly one line starting with `error:`
///   and changes nothing; the session always continues.
/// - Output is deterministic: trace events carry no times and no absolute
///   paths, and nothing else the shell prints names the directory, except the
///   banner an interactive session gets.
/// - If recovery refuses to open the database (corruption), the shell stays
///   up without an engine: data commands answer `error: no open database:`
///   and the reason, while `hexdump`, `corrupt` and `reopen` still work.
import Chapter1WAL
import Foundation

/// A shell session: one engine over one directory, and the settings around it.
///
/// Use it from one thread. Output goes to the `ShellOutput` given at init, a
/// line at a time, as it happens (trace lines while the engine works).
public final class Shell {
  /// How a shell starts.
  public struct Options {
    /// The chapter whose engine to run; `nil` for the newest.
    public var chapter: Int?
    /// The database directory (created if missing).
    public var directory: String
    /// The initial trace level.
    public var trace: Tracer.Level
    /// Where output lines go.
    public var output: ShellOutput
    /// Notebook mode: engines run background work inline and fix their seeds.
    public var deterministic: Bool

    public init(
      chapter: Int? = nil, directory: String, trace: Tracer.Level = .steps, output: ShellOutput,
      deterministic: Bool = false
    ) {
      self.chapter = chapter
      self.directory = directory
      self.trace = trace
      self.output = output
      self.deterministic = deterministic
    }
  }

  /// A shell could not be created.
  public struct StartError: Error, CustomStringConvertible {
    public var description: String
  }

  /// The database directory.
  public let directory: String
  /// Whether the shell runs in notebook (deterministic) mode.
  public let deterministic: Bool
  let output: ShellOutput
  /// The tracer every engine reports to; its sink prints to `output`.
  public let tracer: Tracer
  /// The power-cut layer over the real directory.
  let fileSystem: PowerCutFileSystem
  /// The real directory, for reading files as they are (`hexdump`).
  let disk = DiskFileSystem()

  /// The engine currently selected (`chapter N` changes it).
  public private(set) var engineDescriptor: EngineDescriptor
  /// The open engine; `nil` after recovery refused to open.
  var engine: (any ShellEngine)?
  /// Why there is no open engine.
  var openFailure: String?

  /// Whether writes are synced before they are acknowledged (`sync on|off`).
  public internal(set) var syncWrites = true
  /// The batch being collected after a bare `batch`, until `commit` or `abort`.
  var pendingBatch: WriteBatch?
  /// How deep `source` calls are nested (a file sourcing itself stops).
  var sourceDepth = 0
  /// Set by `quit`; `run` stops reading.
  public private(set) var isFinished = false

  /// Creates the shell and opens the chapter's engine on the directory.
  ///
  /// Opening prints its trace (creating the log, or recovering it). If
  /// recovery fails, the shell is still created, without an open engine.
  ///
  /// - Throws: `StartError` if the chapter has no engine in this build.
  public init(options: Options) throws(StartError) {
    let chapter = options.chapter ?? EngineRegistry.newest.chapter
    guard let descriptor = EngineRegistry.engine(chapter: chapter) else {
      throw StartError(description: "no engine for chapter \(chapter) (this build has \(EngineRegistry.chapterList))")
    }
    self.engineDescriptor = descriptor
    self.directory = options.directory
    self.deterministic = options.deterministic
    self.output = options.output
    let tracer = Tracer(level: options.trace)
    let output = options.output
    tracer.setSink { [unowned tracer] event in
      Shell.emitLines(event.rendered(explain: tracer.level == .explain), to: output)
    }
    self.tracer = tracer
    // The simulation covers the database directory only: a crash must never
    // rewrite files in a shared parent such as /tmp.
    self.fileSystem = PowerCutFileSystem(wrapping: DiskFileSystem(), scope: directory, tracer: tracer)
    try? disk.createDirectory(directory)
    openEngine()
  }

  deinit {
    try? engine?.store.close()
  }

  // MARK: Running

  /// The prompt for the next line: `beach[ch1]> `, or `batch> ` inside a batch.
  public var prompt: String {
    pendingBatch == nil ? "beach[ch\(engineDescriptor.chapter)]> " : "batch> "
  }

  /// Runs one line: a command, a batch operation, a comment or nothing.
  ///
  /// Never throws: a failure prints one `error:` line and leaves the state
  /// as it was.
  public func execute(line: String) {
    do {
      let tokens = try Tokenizer.tokenize(line)
      guard let first = tokens.first else { return }
      if pendingBatch != nil {
        try executeInBatch(tokens)
        return
      }
      let name = first.text
      guard let command = command(named: name) else { throw unknownCommand(name) }
      let arguments = Arguments(tokens: Array(tokens.dropFirst()), command: command)
      if !command.acceptsSeparators, arguments.tokens.contains(where: \.isSeparator) {
        throw ShellError("';' separates operations only after 'batch'; usage: \(command.usage)")
      }
      guard command.arity.contains(arguments.count) else { throw ShellError.usage(command) }
      if command.needsDatabase && engine == nil { throw noDatabase() }
      try command.run(self, arguments)
    } catch {
      report(error)
    }
  }

  /// Runs lines until they end or a `quit`.
  public func run(lines: some Sequence<String>) {
    for line in lines {
      if isFinished { break }
      execute(line: line)
    }
  }

  /// Reads lines from `reader` until the end of input or a `quit`, then
  /// closes the engine.
  ///
  /// - Returns: `true` if the input ended (Ctrl-D), `false` after `quit`.
  @discardableResult
  public func run(reader: some LineReader) -> Bool {
    var endOfInput = false
    while !isFinished {
      reader.setCompletion(completionModel)
      guard let line = reader.readLine(prompt: prompt) else {
        endOfInput = true
        break
      }
      execute(line: line)
    }
    finish()
    return endOfInput
  }

  /// Ends the session: discards an uncommitted batch (saying so) and closes
  /// the engine cleanly. Idempotent.
  public func finish() {
    if let batch = pendingBatch {
      pendingBatch = nil
      say("batch of \(operationCount(batch.count)) discarded: it was never committed")
    }
    if let engine {
      self.engine = nil
      do { try engine.store.close() } catch { report(error) }
    }
    isFinished = true
  }

  /// What tab completion offers right now.
  public var completionModel: CompletionModel {
    if pendingBatch != nil {
      let key: [ArgumentCompletion] = [.none, .none]
      return CompletionModel(
        commands: ["put": key, "delete": key, "commit": [], "abort": [], "help": [.command]], directory: directory)
    }
    var commands: [String: [ArgumentCompletion]] = [:]
    for command in availableCommands {
      for name in [command.name] + command.aliases { commands[name] = command.completions }
    }
    commands["show"] = [.words(showTopics)]
    return CompletionModel(commands: commands, directory: directory)
  }

  /// The topics `show` accepts with this engine: its own, and `files`.
  var showTopics: [String] {
    engineDescriptor.showTopics.contains("files")
      ? engineDescriptor.showTopics : engineDescriptor.showTopics + ["files"]
  }

  // MARK: The engine

  /// Opens the selected engine on the directory, tracing the recovery.
  ///
  /// - Returns: whether it opened. On failure prints one `error:` line and
  ///   leaves the shell without an engine.
  @discardableResult
  func openEngine() -> Bool {
    precondition(engine == nil, "REQUIRES: the previous engine is closed or abandoned")
    let environment = EngineEnvironment(
      directory: directory, fileSystem: fileSystem, tracer: tracer, deterministic: deterministic)
    do {
      engine = try engineDescriptor.open(environment)
      openFailure = nil
      return true
    } catch {
      openFailure = describe(error)
      say("error: cannot open the database: \(openFailure!)")
      return false
    }
  }

  /// Closes the engine, if one is open, without a power cut.
  func closeEngine() throws {
    guard let engine else { return }
    self.engine = nil
    try engine.store.close()
  }

  /// The open engine. REQUIRES: the command is marked `needsDatabase`.
  var openEngineOrThrow: any ShellEngine {
    get throws {
      guard let engine else { throw noDatabase() }
      return engine
    }
  }

  /// The options every write uses.
  var writeOptions: WriteOptions { WriteOptions(sync: syncWrites) }

  // MARK: Output

  /// Prints text, a line at a time; trailing spaces are dropped so output
  /// survives editors and Markdown unchanged.
  func say(_ text: String) {
    Shell.emitLines(text, to: output)
  }

  static func emitLines(_ text: String, to output: ShellOutput) {
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var line = Substring(line)
      while line.last == " " || line.last == "\t" || line.last == "\r" { line.removeLast() }
      output.line(String(line))
    }
  }

  /// Prints an error as one `error:` line.
  ///
  /// File-system errors name absolute paths; the directory part is cut so
  /// that output stays the same from run to run (and from machine to machine).
  func report(_ error: any Error) {
    say("error: " + describe(error))
  }

  /// An error as one line, with the database directory's path cut out.
  func describe(_ error: any Error) -> String {
    oneLine(String(describing: error))
      .replacingOccurrences(of: directory + "/", with: "")
      .replacingOccurrences(of: directory, with: "the database directory")
  }

  /// The error for a data command when recovery left no open engine.
  func noDatabase() -> ShellError {
    ShellError("no open database: \(openFailure ?? "it is closed")")
  }

  private func unknownCommand(_ name: String) -> ShellError {
    if Self.commandTable.contains(where: { $0.name == name || $0.aliases.contains(name) }) {
      return ShellError("'\(name)' needs a later chapter's engine (this is chapter \(engineDescriptor.chapter))")
    }
    if let suggestion = suggestion(for: name) {
      return ShellError("unknown command '\(name)'; did you mean '\(suggestion)'? ('help' lists commands)")
    }
    return ShellError("unknown command '\(name)' ('help' lists commands)")
  }

  /// Switches to another chapter's engine on the same directory.
  func selectEngine(_ descriptor: EngineDescriptor) {
    engineDescriptor = descriptor
  }

  /// Marks the session finished (`quit`).
  func requestQuit() { isFinished = true }
}

/// Joins a multi-line message into one line.
func oneLine(_ text: String) -> String {
  text.split(whereSeparator: \.isNewline).joined(separator: " ")
}

/// `1 op`, `3 ops`.
func operationCount(_ count: Int) -> String { "\(count) op" + (count == 1 ? "" : "s") }
