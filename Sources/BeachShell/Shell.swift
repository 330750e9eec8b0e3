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
///   built. It looks each line's first word up among **`Command`** values:
///   one per command with its usage, help text, arity and handler, so help,
///   argument checks, completion and suggestions never disagree.
/// - **`EngineRegistry`** lists one `ChapterAdapter` per chapter
///   (`Chapters/Chapters.swift`). Each chapter's adapter, in its own folder
///   under `Chapters/`, opens its engine and hands over the commands and
///   `show` topics it adds; the core knows none of them by name.
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
    /// Whether an error names the input line it came from (`error: line 3:
    /// …`): for scripts and piped input, not for a person typing.
    public var errorsNameTheirLine: Bool
    /// Whether the first failing command ends the session (`--bail`).
    public var bail: Bool
    /// The memtable size of engines that flush (chapter 3 on).
    public var memtableSize: Int
    /// An engine to run instead of a chapter's (`beach connect`'s, which
    /// is a server elsewhere).
    public var engine: EngineDescriptor?

    public init(
      chapter: Int? = nil, directory: String, trace: Tracer.Level = .steps, output: ShellOutput,
      deterministic: Bool = false, errorsNameTheirLine: Bool = false, bail: Bool = false,
      memtableSize: Int = Shell.defaultMemtableSize, engine: EngineDescriptor? = nil
    ) {
      self.engine = engine
      self.chapter = chapter
      self.directory = directory
      self.trace = trace
      self.output = output
      self.deterministic = deterministic
      self.errorsNameTheirLine = errorsNameTheirLine
      self.bail = bail
      self.memtableSize = memtableSize
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
  /// The inputs being read, outermost first: a name (`nil` for the shell's
  /// own input) and the number of the line being run. `source` pushes one.
  var inputs: [(name: String?, line: Int)] = [(nil, 0)]
  /// How deep `source` calls are nested (a file sourcing itself stops).
  var sourceDepth: Int { inputs.count - 1 }
  /// The memtable size engines that flush are opened with (`set
  /// memtable-size`).
  var memtableSize: Int
  /// At most this many lines of a listing (`scan`, `show`, `files`) are
  /// printed, then a line saying how many more there are; `nil`: all
  /// (`set limit`).
  var listingLimit: Int? = 40

  /// 4 KiB: small, so that a session fills a memtable in a few dozen writes
  /// and watches it flush (an engine's own default is 4 MiB).
  public static let defaultMemtableSize = 4096

  /// How many commands have failed (printed an `error:` line) so far.
  public private(set) var failures = 0
  let errorsNameTheirLine: Bool
  let bail: Bool
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
    guard let descriptor = options.engine ?? EngineRegistry.engine(chapter: chapter) else {
      throw StartError(description: "no engine for chapter \(chapter) (this build has \(EngineRegistry.chapterList))")
    }
    self.engineDescriptor = descriptor
    self.directory = options.directory
    self.deterministic = options.deterministic
    self.errorsNameTheirLine = options.errorsNameTheirLine
    self.bail = options.bail
    self.memtableSize = options.memtableSize
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
    inputs[inputs.count - 1].line += 1
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
      guard command.arity.contains(arguments.count) else {
        // Too many words for a command about keys and values: most likely
        // a value with spaces that was not quoted.
        guard arguments.count > command.arity.upperBound, command.usage.contains("KEY") else {
          throw ShellError.usage(command)
        }
        throw ShellError("usage: \(command.usage) (quote a word with spaces: \"two words\")")
      }
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
    commands["show"] = [.words(showTopics.map(\.name))]
    for topic in showTopics where topic.takesFile { commands["show " + topic.name] = [topic.fileCompletion] }
    return CompletionModel(commands: commands, directory: directory)
  }

  /// The topics `show` accepts with this engine: its own, and `files`
  /// (the core's file listing) unless it has its own.
  var showTopics: [ShowTopic] {
    let own = engineDescriptor.showTopics
    if own.contains(where: { $0.name == "files" }) { return own }
    return own + [ShowTopic(name: "files", summary: "the same as `files`") { shell, _ in shell.fileLines() }]
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
      directory: directory, fileSystem: fileSystem, tracer: tracer, deterministic: deterministic,
      memtableSize: memtableSize)
    do {
      try checkTheDirectoryIsADatabase()
      engine = try engineDescriptor.open(environment)
      openFailure = nil
      return true
    } catch {
      openFailure = describe(error)
      fail("cannot open the database: \(openFailure!)")
      return false
    }
  }

  /// Refuses a directory that holds files but no database: `--dir ~/docs`
  /// must not become a database, nor `wipe` a way to lose documents.
  ///
  /// - Throws: `ShellError` naming a few of the files.
  private func checkTheDirectoryIsADatabase() throws {
    let names = (try? disk.listDirectory(directory)) ?? []
    guard !names.isEmpty, !names.contains(where: Self.ownsFile) else { return }
    let shown = names.sorted().prefix(3).joined(separator: ", ") + (names.count > 3 ? ", …" : "")
    throw ShellError(
      "the database directory holds \(Format.plural(names.count, "file")) beach did not make (\(shown)) and no database; "
        + "give --dir a new or empty directory")
  }

  /// Whether some chapter's engine makes files of this name.
  static func ownsFile(_ name: String) -> Bool { EngineRegistry.all.contains { $0.ownsFile(name) } }

  /// Closes the engine, if one is open, without a power cut.
  func closeEngine() throws {
    guard let engine else { return }
    self.engine = nil
    noteEndedHandles(of: engine)
    try engine.store.close()
  }

  /// Says which of the engine's in-memory handles end with it.
  func noteEndedHandles(of engine: any ShellEngine) {
    let handles = engine.handles
    guard !handles.isEmpty else { return }
    let list = handles.count == 1 ? handles[0] : handles.dropLast().joined(separator: ", ") + " and " + handles.last!
    let verb = handles.count == 1 ? "ends with the engine: it lives" : "end with the engine: they live"
    say("(\(list) \(verb) in memory; new ids start at 1)")
  }

  /// The open engine. REQUIRES: the command is marked `needsDatabase`.
  var openEngineOrThrow: any ShellEngine {
    get throws {
      guard let engine else { throw noDatabase() }
      return engine
    }
  }

  /// The open engine as the type a chapter's command or topic works with.
  ///
  /// REQUIRES: the command or topic is the engine's own (its descriptor
  /// lists it), so the cast only fails on a programming error.
  func engine<Engine>(as type: Engine.Type) throws -> Engine {
    guard let engine = try openEngineOrThrow as? Engine else {
      throw ShellError("chapter \(engineDescriptor.chapter)'s engine is not a \(type)")
    }
    return engine
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
    let width = output.width?()
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var line = Substring(line)
      while line.last == " " || line.last == "\t" || line.last == "\r" { line.removeLast() }
      guard let width else {
        output.line(String(line))
        continue
      }
      for piece in wrapped(String(line), width: width) { output.line(piece) }
    }
  }

  /// Prints an error as one `error:` line.
  ///
  /// File-system errors name absolute paths; the directory part is cut so
  /// that output stays the same from run to run (and from machine to machine).
  func report(_ error: any Error) {
    fail(describe(error))
  }

  /// Prints one `error:` line, naming the input line in a script, and
  /// counts the failure; with `bail`, ends the session.
  func fail(_ message: String) {
    failures += 1
    var location = ""
    if errorsNameTheirLine, let input = inputs.last, input.line > 0 {
      location = (input.name.map { "\($0) " } ?? "") + "line \(input.line): "
    }
    say("error: " + location + message)
    if bail { isFinished = true }
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
    if Self.isChapterCommand(name) {
      return ShellError("'\(name)' needs a later chapter's engine (this is chapter \(engineDescriptor.chapter))")
    }
    // An error echoes at most the start of a long word.
    let shown = name.count <= 40 ? name : name.prefix(40) + "… (\(name.utf8.count) bytes)"
    if let suggestion = suggestion(for: name) {
      return ShellError("unknown command '\(shown)'; did you mean '\(suggestion)'? ('help' lists commands)")
    }
    return ShellError("unknown command '\(shown)' ('help' lists commands)")
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
