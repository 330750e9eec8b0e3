import Chapter1WAL

/// What the shell core needs from any chapter's engine.
///
/// Every chapter's `Database` is a `KeyValueStore`, which covers `put`, `get`,
/// `delete`, `scan` and `batch`: the core's own commands. Everything else a
/// chapter can do (snapshots, flushes, iterators, ...) reaches the shell as
/// commands and `show` topics that the chapter's adapter hands over in its
/// `EngineDescriptor`; those commands know their engine's type, so this
/// protocol never grows a method per feature.
public protocol ShellEngine: AnyObject {
  /// The engine as a key-value store.
  var store: any KeyValueStore { get }

  /// The sequence number of the newest write.
  var lastSequence: SequenceNumber { get }

  /// A one-line state summary for `reopen` and `crash`: `last seq 7, 3 keys`.
  var summary: String { get }

  /// What the session holds that lives only in memory and ends with the
  /// engine (`snapshot @1`, `iterator 2`): a crash, a reopen or a chapter
  /// switch says so.
  var handles: [String] { get }
}

/// Everything an engine is opened with.
public struct EngineEnvironment {
  /// The database directory.
  public var directory: String
  /// The file system stack (the shell's power-cut layer over the disk).
  public var fileSystem: any FileSystem
  /// The shell's tracer.
  public var tracer: Tracer
  /// Notebook mode: background work runs inline and seeds are fixed, so two
  /// runs print the same thing.
  public var deterministic: Bool
  /// The memtable size an engine that flushes uses (`set memtable-size`);
  /// the shell's default is small, so a session sees flushes.
  public var memtableSize: Int
}

/// One thing `show` can print, contributed by a chapter's adapter.
///
/// `show files` is the core's (the file listing `files` prints) unless an
/// engine gives a topic of that name.
struct ShowTopic: Sendable {
  /// The word after `show`.
  var name: String
  /// One line for `help show`.
  var summary: String
  /// Whether it takes a FILE argument (`show sst FILE`).
  var takesFile = false
  /// What tab completion offers for that FILE.
  var fileCompletion = ArgumentCompletion.databaseFile
  /// The lines to print, for the open engine and the FILE argument, if any.
  var lines: @Sendable (_ shell: Shell, _ file: String?) throws -> [String]

  /// A topic that reads an engine of type `Engine` (a concrete engine, or a
  /// protocol that several chapters' engines conform to).
  static func of<Engine>(
    _ type: Engine.Type, _ name: String, summary: String, takesFile: Bool = false,
    fileCompletion: ArgumentCompletion = .databaseFile,
    _ body: @escaping @Sendable (_ engine: Engine, _ file: String?) throws -> [String]
  ) -> ShowTopic {
    ShowTopic(name: name, summary: summary, takesFile: takesFile, fileCompletion: fileCompletion) { shell, file in
      try body(shell.engine(as: type), file)
    }
  }
}

/// One chapter's engine, as the shell knows it: how to open it, and what it
/// adds to the shell.
public struct EngineDescriptor: Sendable {
  /// The chapter number (`beach --chapter N`, the prompt `beach[chN]>`).
  public var chapter: Int
  /// What the chapter builds, for the banner and `chapter N`.
  public var title: String
  /// The commands this engine adds to the core's, in the order `help`
  /// lists them. One named like a core command (`get`) takes its place.
  var commands: [Command]
  /// The topics `show` accepts, in the order `help show` lists them.
  var showTopics: [ShowTopic]
  /// Whether a file name is one this engine makes (`000002.log`): what
  /// `wipe` may remove, and what tells a database directory from someone
  /// else's.
  public var ownsFile: @Sendable (String) -> Bool
  /// Whether the engine is a database in the shell's directory (every
  /// chapter's but one that simulates something else in memory, such as
  /// chapter 8's cluster). Only such an engine is the shell's default.
  public var keepsItsDirectory = true
  /// Opens (or creates, or recovers) the database in the environment's directory.
  public var open: @Sendable (EngineEnvironment) throws -> any ShellEngine

  init(
    chapter: Int, title: String, commands: [Command], showTopics: [ShowTopic],
    ownsFile: @escaping @Sendable (String) -> Bool,
    open: @escaping @Sendable (EngineEnvironment) throws -> any ShellEngine
  ) {
    self.chapter = chapter
    self.title = title
    self.commands = commands
    self.showTopics = showTopics
    self.ownsFile = ownsFile
    self.open = open
  }

  /// The names of the topics `show` accepts.
  public var showTopicNames: [String] { showTopics.map(\.name) }
}

/// A command or a `show` topic: something a chapter's adapter contributes
/// by name.
protocol NamedEntry { var name: String { get } }

extension Command: NamedEntry {}
extension ShowTopic: NamedEntry {}

extension Array where Element: NamedEntry {
  /// These entries with `others` added: one with the name of an entry
  /// already here takes its place, the rest go at the end. A chapter's
  /// adapter builds its commands and topics from the chapter before's this
  /// way.
  func replacing(_ others: [Element]) -> [Element] {
    var result = map { entry in others.first { $0.name == entry.name } ?? entry }
    result += others.filter { other in !contains { $0.name == other.name } }
    return result
  }

  /// These entries without the one named `name`: a chapter's adapter drops
  /// what the chapter before had and this one has replaced by other means
  /// (chapter 6 drops `merge`, which compaction took over).
  func removing(_ name: String) -> [Element] { filter { $0.name != name } }
}
