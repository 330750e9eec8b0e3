import Chapter1WAL

extension SkipList {
  /// A position in the list, over internal entries: every version of every
  /// key, in internal-key order.
  ///
  /// An iterator is a reference to the list and the offset of one node:
  /// copying it is cheap, and moving it allocates nothing. Reading `key`,
  /// `userKey` or `value` copies bytes out of the arena; `withUnsafeUserKey`
  /// and `withUnsafeValue` lend them in place instead.
  ///
  /// An iterator may be used on any thread while the writer inserts (see the
  /// list's concurrency contract): it may or may not see entries inserted
  /// after it was positioned, and never sees a partial one.
  public struct Iterator: Sendable {
    /// The list this iterator walks.
    public let list: SkipList
    private var node: UInt32 = 0

    init(list: SkipList) { self.list = list }

    /// Whether the iterator is at an entry. Reading the entry or moving
    /// the iterator REQUIRES it.
    public var isValid: Bool { node != 0 }

    /// Moves to the first entry (invalid if the list is empty).
    public mutating func seekToFirst() { node = list.first() }

    /// Moves to the last entry (invalid if the list is empty).
    public mutating func seekToLast() { node = list.findLast() }

    /// Moves to the first entry at or after `target`.
    public mutating func seek(_ target: InternalKey) {
      node = target.userKey.withUnsafeBytes {
        list.findGreaterOrEqual($0, target.sequence, target.kind, previous: nil)
      }
    }

    /// Moves to the next entry.
    ///
    /// REQUIRES: `isValid`. - Complexity: O(1).
    public mutating func next() {
      precondition(isValid, "SkipList.Iterator.next() on an invalid iterator")
      node = list.successor(of: node)
    }

    /// Moves to the previous entry.
    ///
    /// Nodes link forward only, so this searches again for the last node
    /// before the current one, as LevelDB does: O(log n) rather than O(1),
    /// and no back links to keep consistent under concurrent inserts.
    ///
    /// REQUIRES: `isValid`.
    public mutating func prev() {
      precondition(isValid, "SkipList.Iterator.prev() on an invalid iterator")
      let current = list.node(node)
      node = list.findLessThan(current.key, current.sequence, current.kind)
    }

    /// The current entry's internal key (copies the user key).
    public var key: InternalKey { current.internalKey }

    /// The current entry's user key (a copy).
    public var userKey: Bytes { Bytes(current.key) }

    /// The current entry's sequence number.
    public var sequence: SequenceNumber { current.sequence }

    /// Whether the current entry is a value or a tombstone.
    public var kind: ValueKind { current.kind }

    /// The current entry's value (a copy; empty for a tombstone).
    public var value: Bytes { Bytes(current.value) }

    /// The current entry: key and value, copied out.
    public var entry: InternalEntry { InternalEntry(key: key, value: value) }

    /// The height of the current entry's tower.
    public var height: Int { current.height }

    /// Calls `body` with the current user key's bytes in the arena, without
    /// copying them. The buffer must not escape `body`.
    public func withUnsafeUserKey<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
      try body(current.key)
    }

    /// Calls `body` with the current value's bytes in the arena, without
    /// copying them. The buffer must not escape `body`.
    public func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
      try body(current.value)
    }

    /// Whether the current user key equals `key`, compared in place.
    public func userKeyEquals(_ key: Bytes) -> Bool {
      key.withUnsafeBytes { compareBytes(current.key, $0) == 0 }
    }

    private var current: Node {
      precondition(isValid, "SkipList.Iterator read on an invalid iterator")
      return list.node(node)
    }
  }
}
