import Chapter1WAL

/// One version of one key as the memtable stores it: the internal key
/// (user key, sequence number, kind) and the value, empty for a tombstone.
///
/// The type the skip list and the memtable hand out when a caller wants an
/// entry as a value it can keep; iterators also read entries in place.
public struct InternalEntry: Hashable, Sendable, CustomStringConvertible {
  public var key: InternalKey
  public var value: Bytes

  public init(key: InternalKey, value: Bytes) {
    self.key = key
    self.value = value
  }

  /// `user:1 #7 PUT → alice`, or `user:1 #9 DEL`.
  public var description: String {
    key.kind == .deletion ? key.description : "\(key) → \(Format.printable(value))"
  }
}
