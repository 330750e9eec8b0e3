/// A cursor over a store's live entries in key order: the one iterator
/// shape every chapter's `Database` offers through `makeIterator`.
///
/// Chapter 1 offers a sorted copy; chapter 2's memtable iterator walks the
/// skip list at a snapshot; chapter 3's merges memtables and tables; chapter
/// 4's also pins a version. The shell and the benchmarks drive all of them
/// through this protocol.
public protocol KeyValueIterator {
  /// Whether the iterator is at an entry.
  var isValid: Bool { get }
  /// The current key. REQUIRES: `isValid`.
  var key: Bytes { get }
  /// The current value. REQUIRES: `isValid`.
  var value: Bytes { get }
  /// Moves to the first entry.
  mutating func seekToFirst() throws
  /// Moves to the first entry whose key is at or after `key`.
  mutating func seek(_ key: Bytes) throws
  /// Moves to the next entry. REQUIRES: `isValid`.
  mutating func next() throws
}

/// An iterator that can also walk backward.
public protocol ReversibleKeyValueIterator: KeyValueIterator {
  /// Moves to the last entry.
  mutating func seekToLast() throws
  /// Moves to the previous entry. REQUIRES: `isValid`.
  mutating func prev() throws
}
