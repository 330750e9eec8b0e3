import Chapter1WAL

/// What an entry in the memtable records about its key: a value, or that the
/// key was deleted.
///
/// A delete is a *write*: it adds an entry, a tombstone, that hides every
/// older version of the key. It is never confused with a put of an empty
/// value, which is a value that happens to have no bytes.
public enum ValueKind: UInt8, Sendable, Comparable, CustomStringConvertible {
  /// A tombstone: the key was deleted at this sequence number.
  case deletion = 0
  /// A value.
  case value = 1

  public static func < (a: ValueKind, b: ValueKind) -> Bool { a.rawValue < b.rawValue }

  public var description: String {
    switch self {
    case .deletion: "DEL"
    case .value: "PUT"
    }
  }
}

// snippet: internal-key
/// A user key with the sequence number and kind of one write to it.
///
/// The memtable (and, from chapter 3, every table on disk) holds many
/// versions of a key, one per write. Internal keys order them so that a
/// lookup finds the newest version first:
///
/// 1. user key, ascending (bytewise);
/// 2. sequence number, **descending**: newer versions come first;
/// 3. kind, descending (a value before a tombstone at the same sequence,
///    which a well-formed log never produces, but the order must be total).
///
/// To read a key "as of" snapshot `s`, seek to `(key, s, .value)`: the first
/// entry at or after it is the newest version no newer than `s`.
public struct InternalKey: Hashable, Sendable, Comparable, CustomStringConvertible {
  public var userKey: Bytes
  public var sequence: SequenceNumber
  public var kind: ValueKind

  public init(_ userKey: Bytes, sequence: SequenceNumber, kind: ValueKind) {
    self.userKey = userKey
    self.sequence = sequence
    self.kind = kind
  }

  public static func < (a: InternalKey, b: InternalKey) -> Bool {
    compare(a.userKey, a.sequence, a.kind, b.userKey, b.sequence, b.kind) < 0
  }

  /// Three-way comparison of two internal keys given by parts: negative,
  /// zero or positive as the first sorts before, with or after the second.
  @inlinable
  public static func compare(
    _ aKey: Bytes, _ aSequence: SequenceNumber, _ aKind: ValueKind,
    _ bKey: Bytes, _ bSequence: SequenceNumber, _ bKind: ValueKind
  ) -> Int {
    let byKey = compareBytes(aKey, bKey)
    if byKey != 0 { return byKey }
    if aSequence != bSequence { return aSequence > bSequence ? -1 : 1 }
    if aKind != bKind { return aKind > bKind ? -1 : 1 }
    return 0
  }

  /// `user:1 #7 PUT`.
  public var description: String { "\(Format.printable(userKey)) #\(sequence) \(kind)" }
}
// end snippet

/// Bytewise three-way comparison, as `memcmp` then length.
@inlinable
public func compareBytes(_ a: Bytes, _ b: Bytes) -> Int {
  a.withUnsafeBytes { x in b.withUnsafeBytes { y in compareBytes(x, y) } }
}

/// Bytewise three-way comparison of two buffers.
@inlinable
public func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
  let common = min(a.count, b.count)
  if common > 0, let x = a.baseAddress, let y = b.baseAddress {
    let result = memcmp(x, y, common)
    if result != 0 { return Int(result) }
  }
  return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
