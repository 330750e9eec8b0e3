import Chapter1WAL

/// An iterator `beach bench` can walk forward: what `readseq` and
/// `seekrandom` need.
///
/// Chapters' iterators have these members already under these names; an
/// engine entry declares the conformance and nothing else.
public protocol BenchIterator {
  var isValid: Bool { get }
  /// The current key. REQUIRES: `isValid`.
  var key: Bytes { get }
  /// The current value. REQUIRES: `isValid`.
  var value: Bytes { get }
  mutating func seekToFirst() throws
  /// Moves to the first key at or after `key`.
  mutating func seek(_ key: Bytes) throws
  /// REQUIRES: `isValid`.
  mutating func next() throws
}

/// An iterator that can also walk backward: what `readreverse` needs.
public protocol BenchReversibleIterator: BenchIterator {
  mutating func seekToLast() throws
  /// REQUIRES: `isValid`.
  mutating func prev() throws
}

/// A chapter's engine, opened, as the benchmarks drive it.
public struct BenchEngine: Sendable {
  /// Writes and point reads.
  public let store: any KeyValueStore
  /// An iterator over the present state. If it is a
  /// `BenchReversibleIterator`, `readreverse` runs.
  public let makeIterator: @Sendable () throws -> any BenchIterator
  /// Blocks until background work (a flush) has finished.
  public let waitForBackgroundWork: @Sendable () -> Void

  public init(
    store: any KeyValueStore, makeIterator: @escaping @Sendable () throws -> any BenchIterator,
    waitForBackgroundWork: @escaping @Sendable () -> Void = {}
  ) {
    self.store = store
    self.makeIterator = makeIterator
    self.waitForBackgroundWork = waitForBackgroundWork
  }
}

/// How to open one chapter's engine for benchmarking.
public struct BenchEngineDescriptor: Sendable {
  public let chapter: Int
  /// Whether `--bloom_bits` means anything to it.
  public let hasFilters: Bool
  /// Whether it flushes memtables, so that `--write_buffer_size` means
  /// something to it.
  public let flushes: Bool
  /// Whether its iterators walk backward (`readreverse`).
  public let iteratesBackward: Bool
  /// Opens (creating if needed) the database in a directory, on disk.
  public let open: @Sendable (_ directory: String, _ configuration: BenchConfiguration) throws -> BenchEngine

  public init(
    chapter: Int, hasFilters: Bool, flushes: Bool, iteratesBackward: Bool,
    open: @escaping @Sendable (_ directory: String, _ configuration: BenchConfiguration) throws -> BenchEngine
  ) {
    self.chapter = chapter
    self.hasFilters = hasFilters
    self.flushes = flushes
    self.iteratesBackward = iteratesBackward
    self.open = open
  }

  /// The chapter's title, from the shell's registry: "SSTables and flush".
  public var title: String { EngineRegistry.engine(chapter: chapter)?.title ?? "chapter \(chapter)" }
}

/// An iterator over a sorted copy of every entry: what an engine without an
/// ordered structure (chapter 1's hash map) can offer. Making one costs a
/// full scan; moving it costs nothing.
public struct SortedCopyIterator: BenchReversibleIterator {
  private let entries: [KeyValuePair]
  private var index: Int

  /// - Parameter entries: in ascending key order.
  public init(_ entries: [KeyValuePair]) {
    self.entries = entries
    self.index = entries.count
  }

  public var isValid: Bool { index >= 0 && index < entries.count }
  public var key: Bytes { entries[index].key }
  public var value: Bytes { entries[index].value }
  public mutating func seekToFirst() { index = 0 }
  public mutating func seekToLast() { index = entries.count - 1 }
  public mutating func next() { index += 1 }
  public mutating func prev() { index -= 1 }

  public mutating func seek(_ key: Bytes) {
    var low = 0
    var high = entries.count
    while low < high {
      let middle = (low + high) / 2
      if entries[middle].key.lexicographicallyPrecedes(key) { low = middle + 1 } else { high = middle }
    }
    index = low
  }
}
