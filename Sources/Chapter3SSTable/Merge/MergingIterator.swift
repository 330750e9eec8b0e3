import Chapter1WAL
import Chapter2Memtable

/// A k-way merge of sorted iterators: the memtables and every table, as one
/// sorted stream of internal entries.
///
/// Each source is already sorted by internal key. The merge keeps the sources
/// that still have entries in a binary min-heap ordered by their current key;
/// the top of the heap is the smallest entry overall. `next()` advances that
/// one source and restores the heap: O(log k) per entry for k sources.
///
/// Ties cannot happen between sources that hold different writes (every
/// write has its own sequence number), but a key can appear in several
/// sources with different sequence numbers: the newest comes out first,
/// because internal keys order sequence numbers descending. The merge hides
/// nothing; `DatabaseIterator` on top of it picks the visible version of each
/// user key.
public struct MergingIterator: InternalIterator {
  private var sources: [any InternalIterator]
  /// Indices into `sources` of those that are valid, as a min-heap by key.
  private var heap: [Int] = []
  /// Each valid source's current user key and trailer, read once when the
  /// source moves: the heap compares these, so that a step costs one call
  /// into its source, not one per comparison. The buffers are the merge's
  /// own and keep their storage, so a step allocates nothing.
  private var userKeys: [Bytes]
  private var trailers: [UInt64]

  /// Merges `sources`; call a seek before reading.
  public init(_ sources: [any InternalIterator]) {
    self.sources = sources
    self.userKeys = Array(repeating: [], count: sources.count)
    self.trailers = Array(repeating: 0, count: sources.count)
  }

  public var isValid: Bool { !heap.isEmpty }
  public var key: InternalKey { withUnsafeKey { $0.copied } }
  public var value: Bytes { withSource(heap[0]) { $0.value } }

  public func withUnsafeKey<R>(_ body: (BorrowedKey) throws -> R) rethrows -> R {
    let top = heap[0]
    return try userKeys[top].withUnsafeBytes { try body(BorrowedKey(userKey: $0, trailer: trailers[top])) }
  }

  public func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withSource(heap[0]) { try $0.withUnsafeValue(body) }
  }

  public mutating func seekToFirst() throws {
    for index in sources.indices { try sources[index].seekToFirst() }
    rebuild()
  }

  public mutating func seek(_ target: InternalKey) throws {
    for index in sources.indices { try sources[index].seek(target) }
    rebuild()
  }

  // snippet: merge-next
  public mutating func next() throws {
    let top = heap[0]
    try sources[top].next()
    if withSource(top, { $0.isValid }) {
      load(top)
      siftDown(0)  // its new key may belong further down
    } else {
      heap[0] = heap[heap.count - 1]  // the source is done: drop it
      heap.removeLast()
      if !heap.isEmpty { siftDown(0) }
    }
  }

  /// Copies source `index`'s key, lent in place, into the merge's buffer
  /// for it (taken out while it is filled, so that it stays the only
  /// reference to its storage and is reused, not copied).
  private mutating func load(_ index: Int) {
    var buffer = Bytes()
    swap(&buffer, &userKeys[index])
    trailers[index] = withSource(index) {
      $0.withUnsafeKey { key in
        buffer.replaceContents(with: key.userKey)
        return key.trailer
      }
    }
    swap(&buffer, &userKeys[index])
  }

  /// Lends source `index` to `body` in place. (Reading an element of an
  /// array of existentials through its subscript copies the element, with
  /// every reference it holds; a buffer pointer's subscript lends it.)
  private func withSource<R>(_ index: Int, _ body: (any InternalIterator) throws -> R) rethrows -> R {
    try sources.withUnsafeBufferPointer { try body($0[index]) }
  }

  private func less(_ a: Int, _ b: Int) -> Bool {
    let x = heap[a]
    let y = heap[b]
    let byUserKey = userKeys[x].withUnsafeBytes { p in userKeys[y].withUnsafeBytes { q in compareBytes(p, q) } }
    if byUserKey != 0 { return byUserKey < 0 }
    return trailers[x] > trailers[y]  // newer first
  }
  // end snippet

  private mutating func rebuild() {
    heap = sources.indices.filter { withSource($0) { $0.isValid } }
    for index in heap { load(index) }
    for position in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(position) }
  }

  private mutating func siftDown(_ start: Int) {
    var parent = start
    while true {
      let left = 2 * parent + 1
      let right = left + 1
      var smallest = parent
      if left < heap.count && less(left, smallest) { smallest = left }
      if right < heap.count && less(right, smallest) { smallest = right }
      if smallest == parent { return }
      heap.swapAt(parent, smallest)
      parent = smallest
    }
  }
}

/// The user's view of a merged stream at a snapshot: for each user key, the
/// newest version no newer than the snapshot, unless that version is a
/// tombstone. What `scan` walks.
public struct DatabaseIterator {
  private var merged: MergingIterator
  /// Entries newer than this are invisible.
  public let snapshot: SequenceNumber
  public private(set) var key: Bytes = []
  public private(set) var value: Bytes = []
  public private(set) var isValid = false

  public init(merging sources: [any InternalIterator], snapshot: SequenceNumber) {
    self.merged = MergingIterator(sources)
    self.snapshot = snapshot
  }

  /// Moves to the first visible user key.
  public mutating func seekToFirst() throws {
    try merged.seekToFirst()
    try settle(skipping: false)
  }

  /// Moves to the first visible user key at or after `userKey`.
  public mutating func seek(_ userKey: Bytes) throws {
    try merged.seek(InternalKey(userKey, sequence: snapshot, kind: .value))
    try settle(skipping: false)
  }

  /// Moves to the next visible user key. REQUIRES: `isValid`.
  public mutating func next() throws {
    try settle(skipping: true)
  }

  /// What `settle` does with the merged stream's current entry.
  private enum Step { case skip, value, tombstone }

  // snippet: visible-version
  /// Advances the merged stream to the next user key whose newest version
  /// at the snapshot is a value, skipping the remaining versions of `key`
  /// (if `skipping`), versions newer than the snapshot, shadowed versions
  /// and tombstones. Keys are compared where the merge lends them; only
  /// the entry it stops at is copied out.
  private mutating func settle(skipping: Bool) throws {
    var hiding = skipping  // whether `key` holds a user key already decided
    while merged.isValid {
      let step = merged.withUnsafeKey { entry -> Step in
        if entry.sequence > snapshot { return .skip }  // too new to see
        if hiding && key.withUnsafeBytes({ compareBytes(entry.userKey, $0) }) == 0 {
          return .skip  // an older version of a key already decided
        }
        // The first visible entry of a user key is its newest visible version.
        return entry.kind == .value ? .value : .tombstone
      }
      if step == .skip {
        try merged.next()
        continue
      }
      copyCurrentKey()
      if step == .value {
        var buffer = Bytes()
        swap(&buffer, &value)
        merged.withUnsafeValue { buffer.replaceContents(with: $0) }
        swap(&buffer, &value)
        isValid = true
        return
      }
      hiding = true  // a tombstone: the key is deleted at this snapshot
      try merged.next()
    }
    isValid = false
  }
  // end snippet

  /// Copies the merged stream's current user key into `key`, reusing its
  /// storage.
  private mutating func copyCurrentKey() {
    var buffer = Bytes()
    swap(&buffer, &key)
    merged.withUnsafeKey { buffer.replaceContents(with: $0.userKey) }
    swap(&buffer, &key)
  }
}

extension DatabaseIterator: KeyValueIterator {}
