import Chapter1WAL
import Chapter2Memtable

/// Anything that yields internal entries in internal-key order: a memtable's
/// skip list, a table on disk, or a merge of several of them.
///
/// Reads across the whole database (chapter 3 on) merge one iterator per
/// source; this is the one shape they all share.
public protocol InternalIterator {
  /// Whether the iterator is at an entry.
  var isValid: Bool { get }
  /// The current entry's internal key. REQUIRES: `isValid`.
  var key: InternalKey { get }
  /// The current entry's value (empty for a tombstone). REQUIRES: `isValid`.
  var value: Bytes { get }
  /// Moves to the first entry.
  mutating func seekToFirst() throws
  /// Moves to the first entry at or after `target`.
  mutating func seek(_ target: InternalKey) throws
  /// Moves to the next entry. REQUIRES: `isValid`.
  mutating func next() throws
}

extension SkipList.Iterator: InternalIterator {}
