import Chapter1WAL

/// What the shell needs from a chapter's engine.
///
/// Every chapter's `Database` is a `KeyValueStore`, which covers `put`, `get`,
/// `delete`, `scan` and `batch`. Everything else the shell shows differs from
/// chapter to chapter (chapter 1 has one log; chapter 3 has tables too), so
/// each engine entry wraps its `Database` in a small adapter that answers the
/// shell's questions in that chapter's terms.
public protocol ShellEngine: AnyObject {
  /// The engine as a key-value store.
  var store: any KeyValueStore { get }

  /// A one-line state summary for `reopen` and `crash`: `last seq 7, 3 keys`.
  var summary: String { get }

  /// The sequence number of the newest write.
  var lastSequence: SequenceNumber { get }

  /// The lines `show TOPIC` prints, for the topics this engine has.
  ///
  /// - Parameters:
  ///   - topic: a topic named in the engine's `EngineDescriptor`.
  ///   - argument: what the topic is about, for topics that take one
  ///     (`show sst FILE`); `nil` otherwise.
  func show(_ topic: String, argument: String?) throws -> [String]

  /// Freezes the memtable and writes it to a table (engines with `.flush`).
  func flush() throws

  /// Takes a snapshot; returns its id and sequence number. Engines with the
  /// `.snapshots` capability implement the four snapshot hooks.
  func takeSnapshot() throws -> (id: Int, sequence: SequenceNumber)

  /// Releases the snapshot with this id.
  func releaseSnapshot(id: Int) throws -> (id: Int, sequence: SequenceNumber)

  /// Reads `key` as of the snapshot with this id.
  func get(_ key: Bytes, snapshot id: Int) throws -> Bytes?

  /// Scans as of the snapshot with this id.
  func scan(from: Bytes?, to: Bytes?, snapshot id: Int) throws -> [KeyValuePair]

  /// Opens an iterator at `from` (or the first key), as of a snapshot if
  /// given; returns its id and a line on what it holds (engines with
  /// `.iterators`).
  func openIterator(from: Bytes?, snapshot: Int?) throws -> (id: Int, description: String)

  /// The next `count` entries of an iterator, and whether it reached the end.
  func iteratorNext(id: Int, count: Int) throws -> (entries: [KeyValuePair], atEnd: Bool)

  /// Closes an iterator.
  func closeIterator(id: Int) throws

  /// Merges every table into one (engines with `.merge`); returns a summary.
  func merge() throws -> String
}

extension ShellEngine {
  public func flush() throws { throw ShellError("this engine has no tables to flush to (chapter 3 adds them)") }
  public func takeSnapshot() throws -> (id: Int, sequence: SequenceNumber) { throw ShellError.noSnapshots }
  public func releaseSnapshot(id: Int) throws -> (id: Int, sequence: SequenceNumber) { throw ShellError.noSnapshots }
  public func get(_ key: Bytes, snapshot id: Int) throws -> Bytes? { throw ShellError.noSnapshots }
  public func scan(from: Bytes?, to: Bytes?, snapshot id: Int) throws -> [KeyValuePair] {
    throw ShellError.noSnapshots
  }
  public func openIterator(from: Bytes?, snapshot: Int?) throws -> (id: Int, description: String) {
    throw ShellError.noIterators
  }
  public func iteratorNext(id: Int, count: Int) throws -> (entries: [KeyValuePair], atEnd: Bool) {
    throw ShellError.noIterators
  }
  public func closeIterator(id: Int) throws { throw ShellError.noIterators }
  public func merge() throws -> String { throw ShellError("this engine has no manifest to merge tables with") }
}

/// A feature an engine has beyond `KeyValueStore`, which makes the shell
/// offer the commands that use it.
///
/// Extensible like `TraceComponent`: a later chapter declares its own
/// (`static let flush: Capability = "flush"`) and lists it in its
/// `EngineDescriptor`.
public struct Capability: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
  public var rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public init(stringLiteral value: String) { self.rawValue = value }

  /// `put`, `get`, `delete`, `scan`, `batch`, `fill`: every engine.
  public static let keyValue: Capability = "key-value"
  /// A write-ahead log: `show wal`.
  public static let writeAheadLog: Capability = "wal"
  /// Snapshots: `snapshot`, `release`, and `@ID` on `get` and `scan`.
  public static let snapshots: Capability = "snapshots"
  /// Tables on disk: `flush`, `show sst FILE`, `show levels`.
  public static let flush: Capability = "flush"
  /// Long-lived iterators that pin a version: `iter`.
  public static let iterators: Capability = "iterators"
  /// Merging every table into one: `merge`.
  public static let merge: Capability = "merge"
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
}

/// One chapter's engine, as the shell knows it.
public struct EngineDescriptor: Sendable {
  /// The chapter number (`beach --chapter N`, the prompt `beach[chN]>`).
  public var chapter: Int
  /// What the chapter builds, for the banner and `chapter N`.
  public var title: String
  /// What this engine can do, which decides the commands the shell offers.
  public var capabilities: Set<Capability>
  /// The topics `show` accepts, in the order `help show` lists them.
  public var showTopics: [String]
  /// Opens (or creates, or recovers) the database in the environment's directory.
  public var open: @Sendable (EngineEnvironment) throws -> any ShellEngine

  public init(
    chapter: Int, title: String, capabilities: Set<Capability>, showTopics: [String],
    open: @escaping @Sendable (EngineEnvironment) throws -> any ShellEngine
  ) {
    self.chapter = chapter
    self.title = title
    self.capabilities = capabilities
    self.showTopics = showTopics
    self.open = open
  }
}
