import Chapter1WAL
import Chapter2Memtable

/// Anything that yields internal entries in internal-key order: a memtable's
/// skip list, a table on disk, or a merge of several of them.
///
/// Reads across the whole database (chapter 3 on) merge one iterator per
/// source; this is the one shape they all share.
///
/// There are two ways to read the current entry. `key` and `value` hand out
/// values the caller may keep, which means copying the bytes into new
/// arrays. `withUnsafeKey` and `withUnsafeValue` lend the bytes where they
/// already lie (in the skip list's arena, in the block's buffer), for the
/// length of a closure: what a merge needs to compare keys at every step
/// without allocating, as LevelDB's iterators hand out a `Slice` that stays
/// valid until the iterator moves.
public protocol InternalIterator {
  /// Whether the iterator is at an entry.
  var isValid: Bool { get }
  /// The current entry's internal key (a copy). REQUIRES: `isValid`.
  var key: InternalKey { get }
  /// The current entry's value (a copy; empty for a tombstone). REQUIRES: `isValid`.
  var value: Bytes { get }
  /// Lends the current entry's key in place, for the length of `body`.
  /// REQUIRES: `isValid`.
  func withUnsafeKey<R>(_ body: (BorrowedKey) throws -> R) rethrows -> R
  /// Lends the current entry's value in place, for the length of `body`.
  /// REQUIRES: `isValid`.
  func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
  /// Moves to the first entry.
  mutating func seekToFirst() throws
  /// Moves to the first entry at or after `target`.
  mutating func seek(_ target: InternalKey) throws
  /// Moves to the next entry. REQUIRES: `isValid`.
  mutating func next() throws
}

extension InternalIterator {
  /// Lends a copy of `key`, for iterators with nothing to lend in place.
  public func withUnsafeKey<R>(_ body: (BorrowedKey) throws -> R) rethrows -> R {
    let key = self.key
    return try key.userKey.withUnsafeBytes {
      try body(BorrowedKey(userKey: $0, sequence: key.sequence, kind: key.kind))
    }
  }

  /// Lends a copy of `value`, for iterators with nothing to lend in place.
  public func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try value.withUnsafeBytes(body)
  }
}

/// An internal key lent in place: the user key's bytes where they lie, and
/// the trailer that packs the sequence number and kind (see
/// `InternalKeyEncoding`). Valid only inside the closure it is lent to.
public struct BorrowedKey {
  /// The user key's bytes.
  public let userKey: UnsafeRawBufferPointer
  /// `sequence << 8 | kind`, the 8 bytes that follow the user key on disk.
  public let trailer: UInt64

  public init(userKey: UnsafeRawBufferPointer, trailer: UInt64) {
    self.userKey = userKey
    self.trailer = trailer
  }

  public init(userKey: UnsafeRawBufferPointer, sequence: SequenceNumber, kind: ValueKind) {
    self.init(userKey: userKey, trailer: InternalKeyEncoding.trailer(sequence: sequence, kind: kind))
  }

  /// An encoded internal key (user key, then trailer), lent as parts.
  /// REQUIRES: `InternalKeyEncoding.problem(encoded) == nil`.
  public init(encoded: UnsafeRawBufferPointer) {
    self.init(userKey: InternalKeyEncoding.userKey(encoded), trailer: InternalKeyEncoding.trailer(encoded))
  }

  public var sequence: SequenceNumber { trailer >> 8 }
  public var kind: ValueKind { trailer & 0xFF == 0 ? .deletion : .value }

  /// A copy that may be kept.
  public var copied: InternalKey { InternalKey(Bytes(userKey), sequence: sequence, kind: kind) }

  /// Three-way comparison in `InternalKey` order: user key ascending, then
  /// trailer (sequence, then kind) descending.
  @inlinable
  public static func compare(_ a: BorrowedKey, _ b: BorrowedKey) -> Int {
    let byUserKey = compareBytes(a.userKey, b.userKey)
    if byUserKey != 0 { return byUserKey }
    return a.trailer == b.trailer ? 0 : (a.trailer > b.trailer ? -1 : 1)
  }
}

extension SkipList.Iterator: InternalIterator {
  public func withUnsafeKey<R>(_ body: (BorrowedKey) throws -> R) rethrows -> R {
    let sequence = self.sequence
    let kind = self.kind
    return try withUnsafeUserKey { try body(BorrowedKey(userKey: $0, sequence: sequence, kind: kind)) }
  }
}

/// A reusable buffer for one key's bytes, owned by whoever keeps it: copying
/// into it reuses its storage, so a step that keeps the key it reached
/// allocates nothing once the buffer is as long as the longest key.
extension Array where Element == UInt8 {
  @inlinable
  public mutating func replaceContents(with bytes: UnsafeRawBufferPointer) {
    removeAll(keepingCapacity: true)
    append(contentsOf: bytes)
  }
}
