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
  /// Each valid source's current key, read once when the source moves: the
  /// heap compares these, so that a step costs one call into its source,
  /// not one per comparison.
  private var keys: [InternalKey]

  /// Merges `sources`; call a seek before reading.
  public init(_ sources: [any InternalIterator]) {
    self.sources = sources
    self.keys = Array(repeating: InternalKey([], sequence: 0, kind: .deletion), count: sources.count)
  }

  public var isValid: Bool { !heap.isEmpty }
  public var key: InternalKey { keys[heap[0]] }
  public var value: Bytes { sources[heap[0]].value }

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
    if sources[top].isValid {
      keys[top] = sources[top].key
      siftDown(0)  // its new key may belong further down
    } else {
      heap[0] = heap[heap.count - 1]  // the source is done: drop it
      heap.removeLast()
      if !heap.isEmpty { siftDown(0) }
    }
  }
  // end snippet

  private mutating func rebuild() {
    heap = sources.indices.filter { sources[$0].isValid }
    for index in heap { keys[index] = sources[index].key }
    for position in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(position) }
  }

  private func less(_ a: Int, _ b: Int) -> Bool { keys[heap[a]] < keys[heap[b]] }

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
    try settle(skipping: nil)
  }

  /// Moves to the first visible user key at or after `userKey`.
  public mutating func seek(_ userKey: Bytes) throws {
    try merged.seek(InternalKey(userKey, sequence: snapshot, kind: .value))
    try settle(skipping: nil)
  }

  /// Moves to the next visible user key. REQUIRES: `isValid`.
  public mutating func next() throws {
    try settle(skipping: key)
  }

  // snippet: visible-version
  /// Advances the merged stream to the next user key whose newest version
  /// at the snapshot is a value, skipping `skipping`'s remaining versions,
  /// versions newer than the snapshot, shadowed versions and tombstones.
  private mutating func settle(skipping done: Bytes?) throws {
    var hidden = done
    while merged.isValid {
      let entry = merged.key
      if entry.sequence > snapshot || entry.userKey == hidden {
        try merged.next()  // too new to see, or an older version of a key already decided
        continue
      }
      // The first visible entry of a user key is its newest visible version.
      hidden = entry.userKey
      if entry.kind == .value {
        key = entry.userKey
        value = merged.value
        isValid = true
        return
      }
      try merged.next()  // a tombstone: the key is deleted at this snapshot
    }
    isValid = false
  }
  // end snippet
}

extension DatabaseIterator: KeyValueIterator {}
