import Chapter1WAL

/// The engine's in-memory table: every recent write, as a version of a key,
/// in a skip list ordered by internal key.
///
/// A put and a delete both *add* an entry: `(key, sequence, .value)` with
/// the value, or `(key, sequence, .deletion)` with none. Nothing is ever
/// overwritten or removed, so the memtable holds the history of each key
/// since it was created, newest version first. That history is what makes
/// snapshots free: a read at sequence `s` looks for the newest version
/// whose sequence is at most `s` and ignores the rest.
///
/// The memtable adds nothing to the skip list's concurrency contract: one
/// writer (`add`), any number of readers (`get`, iterators) on any thread,
/// no locks. It only ever grows; chapter 3 freezes it when `memoryUsage`
/// passes the write buffer size, writes it to a table and drops it whole,
/// which frees its arena in a handful of calls.
public final class Memtable: Sendable {
  /// The skip list that holds the entries; exposed for the shell's drawings
  /// and for tests.
  public let list: SkipList

  /// An empty memtable.
  ///
  /// - Parameter seed: seeds the skip list's tower heights (fixed by
  ///   default, so that the same writes build the same list).
  public init(seed: UInt64 = SkipList.defaultSeed) {
    list = SkipList(seed: seed)
  }

  /// Adds one version of `key`: a value, or a tombstone (`value` ignored).
  ///
  /// REQUIRES: one writer at a time; `sequence` not already used for `key`
  /// (the write path hands out each sequence number once).
  public func add(sequence: SequenceNumber, kind: ValueKind, key: Bytes, value: Bytes) {
    list.insert(key, sequence: sequence, kind: kind, value: kind == .deletion ? [] : value)
  }

  // snippet: memtable-insert-batch
  /// Adds every operation of `batch`, the first with sequence number
  /// `first` and each next one with the next number: how the write path and
  /// recovery both fill a memtable.
  public func insert(_ batch: WriteBatch, from first: SequenceNumber) {
    for (index, operation) in batch.operations.enumerated() {
      let sequence = first + SequenceNumber(index)
      switch operation {
      case .put(let key, let value): add(sequence: sequence, kind: .value, key: key, value: value)
      case .delete(let key): add(sequence: sequence, kind: .deletion, key: key, value: [])
      }
    }
  }
  // end snippet

  /// Inserts `batch` as `insert(_:from:)` does and, when `tracer` is on,
  /// traces each operation right after it goes in, with the entry count and
  /// memory at that moment. `capacity` ends each line (`of 1.0 MiB arena`);
  /// `explained` adds the `why:` lines chapter 2 teaches with.
  public func insert(
    _ batch: WriteBatch, from first: SequenceNumber, tracer: Tracer, capacity: @autoclosure () -> String,
    explained: Bool = false
  ) {
    guard tracer.isEnabled else { return insert(batch, from: first) }
    for (index, operation) in batch.operations.enumerated() {
      let sequence = first + SequenceNumber(index)
      let kind: ValueKind
      switch operation {
      case .put(let key, let value):
        kind = .value
        add(sequence: sequence, kind: .value, key: key, value: value)
      case .delete(let key):
        kind = .deletion
        add(sequence: sequence, kind: .deletion, key: key, value: [])
      }
      let why =
        kind == .deletion
        ? "a delete is a write: the tombstone hides older versions until they are compacted away"
        : "the new version goes in beside the old ones; readers pick by sequence number"
      tracer(
        .memtable, "insert", "\(Format.printable(operation.key)) #\(sequence) \(kind)",
        "\(Format.plural(count, "entry", "entries")), \(Format.size(memoryUsage)) of \(capacity())",
        why: explained ? why : "")
    }
  }

  /// The newest version of `key` with a sequence number at most `snapshot`.
  ///
  /// Internal keys sort a user key's versions newest first, so a seek to
  /// `(key, snapshot, .value)` lands on exactly that version, if the entry
  /// there still has user key `key`. (`.value` is the larger kind, so the
  /// seek target sorts before both kinds at sequence `snapshot`.)
  ///
  /// - Complexity: O(log n) expected.
  public func get(_ key: Bytes, snapshot: SequenceNumber) -> LookupResult {
    var iterator = list.makeIterator()
    iterator.seek(InternalKey(key, sequence: snapshot, kind: .value))
    guard iterator.isValid && iterator.userKeyEquals(key) else { return .notFound }
    switch iterator.kind {
    case .value: return .found(iterator.value)
    case .deletion: return .deleted(at: iterator.sequence)
    }
  }

  /// Arena bytes used by entries (keys, values, node headers and towers):
  /// the figure the engine compares with its write buffer size.
  public var memoryUsage: Int { list.memoryUsage }

  /// Arena bytes reserved from the system (whole chunks).
  public var arenaCapacity: Int { list.arenaCapacity }

  /// Entries (versions, tombstones included).
  public var count: Int { list.count }

  /// The skip list's height.
  public var height: Int { list.height }

  /// Nodes per tower height, heights 1…12 (see `SkipList.heightHistogram`).
  public func heightHistogram() -> [Int] { list.heightHistogram() }

  /// A user-level iterator reading at `snapshot`: newest visible version of
  /// each key, tombstoned keys hidden. Pass the last published sequence
  /// number (or an older snapshot's).
  public func makeIterator(snapshot: SequenceNumber) -> MemtableIterator {
    MemtableIterator(list.makeIterator(), snapshot: snapshot)
  }

  /// Up to `limit` internal entries from the first, every version with its
  /// sequence number and kind: what `show memtable` lists.
  public func entries(limit: Int = .max) -> [InternalEntry] {
    var result: [InternalEntry] = []
    var iterator = list.makeIterator()
    iterator.seekToFirst()
    while iterator.isValid && result.count < limit {
      result.append(iterator.entry)
      iterator.next()
    }
    return result
  }

  /// Checks the skip list's structure (see `SkipList.checkInvariants`).
  public func checkInvariants() throws { try list.checkInvariants() }
}
