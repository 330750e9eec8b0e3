import Chapter1WAL
import Chapter2Memtable

/// # Internal keys as bytes
///
/// In memory (chapter 2) an internal key is a struct: user key, sequence
/// number, kind. On disk it must be bytes, and bytes that a table can store,
/// prefix-compress and compare without taking them apart. The encoding is
/// LevelDB's: the user key, then an 8-byte **trailer**:
///
/// ```
///  user key bytes ...   trailer: fixed64, little-endian
///                       = sequence << 8 | kind
/// ```
///
/// The kind takes the low byte (0 = deletion, 1 = value) and the sequence
/// number the other 56 bits, so **a sequence number must be below 2^56**
/// (`InternalKeyEncoding.maxSequence` is 2^56 − 1, about 7 × 10^16: at a
/// million writes a second, two thousand years). `TableBuilder.add` refuses
/// anything larger rather than silently dropping the top byte.
///
/// For example `apple #1 PUT` is 13 bytes:
///
/// ```
///  61 70 70 6c 65            "apple"
///  01 01 00 00 00 00 00 00   trailer 0x101 = 1 << 8 | 1 (value)
/// ```
///
/// ## Order
///
/// Encoded keys compare exactly as `InternalKey` does: user key ascending
/// (bytewise), then sequence descending, then kind descending. The trick is
/// that the trailer packs sequence and kind so that "sequence descending,
/// then kind descending" is just "trailer descending": a larger sequence
/// gives a larger trailer whatever the kinds. `compareInternalKeys` splits
/// off the last 8 bytes, compares the rest with `memcmp`, then compares the
/// trailers as integers, reversed.
///
/// Why not make the trailer big-endian and inverted, so that plain `memcmp`
/// would do? Because the user key has no terminator: `"ab"` followed by a
/// trailer would be compared against the bytes of `"abc"`, so one key's
/// trailer would be compared with another key's user-key bytes. The split
/// is what keeps user-key order primary.
public enum InternalKeyEncoding {
  /// Bytes after the user key.
  public static let trailerSize = 8

  /// The largest sequence number an encoded key can carry: 2^56 − 1.
  public static let maxSequence: SequenceNumber = (1 << 56) - 1

  /// The trailer for `sequence` and `kind`. REQUIRES: `sequence <= maxSequence`.
  @inlinable
  public static func trailer(sequence: SequenceNumber, kind: ValueKind) -> UInt64 {
    sequence << 8 | UInt64(kind.rawValue)
  }

  /// Appends the encoding of `key` (user key, then trailer) to `out`.
  ///
  /// REQUIRES: `key.sequence <= maxSequence`.
  @inlinable
  public static func append(_ key: InternalKey, to out: inout Bytes) {
    out.append(contentsOf: key.userKey)
    out.appendFixed64(trailer(sequence: key.sequence, kind: key.kind))
  }

  /// The encoding of `key`. REQUIRES: `key.sequence <= maxSequence`.
  @inlinable
  public static func encode(_ key: InternalKey) -> Bytes {
    var out = Bytes()
    out.reserveCapacity(key.userKey.count + trailerSize)
    append(key, to: &out)
    return out
  }

  /// Why `bytes` are not an encoded internal key, or `nil` if they are.
  ///
  /// Checks the two things that can be wrong: too short for a trailer, or
  /// a kind byte that is neither deletion nor value.
  public static func problem(_ bytes: UnsafeRawBufferPointer) -> String? {
    guard bytes.count >= trailerSize else {
      return "internal key of \(bytes.count) bytes is shorter than its \(trailerSize)-byte trailer"
    }
    let kind = bytes[bytes.count - trailerSize]
    guard ValueKind(rawValue: kind) != nil else { return "internal key has unknown kind \(kind)" }
    return nil
  }

  /// Decodes an encoded internal key.
  ///
  /// - Throws: `DecodingError` if `bytes` are too short or the kind is unknown.
  public static func decode(_ bytes: Bytes) throws(DecodingError) -> InternalKey {
    if let problem = bytes.withUnsafeBytes({ problem($0) }) { throw DecodingError(offset: 0, problem) }
    return decodeUnchecked(bytes)
  }

  /// Decodes an encoded internal key already known to be well formed.
  ///
  /// REQUIRES: `problem(bytes) == nil` (callers check once, where they can
  /// throw, and decode here where they cannot).
  public static func decodeUnchecked(_ bytes: Bytes) -> InternalKey {
    let split = bytes.count - trailerSize
    let trailer = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: split, as: UInt64.self).littleEndian }
    return InternalKey(
      Array(bytes[..<split]), sequence: trailer >> 8, kind: ValueKind(rawValue: UInt8(trailer & 0xFF)) ?? .deletion)
  }

  /// The user-key part of an encoded key (all of it, if it is too short to
  /// have a trailer).
  @inlinable
  public static func userKey(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    bytes.count >= trailerSize ? UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - trailerSize)]) : bytes
  }

  /// The trailer of an encoded key, or 0 if it is too short to have one.
  @inlinable
  public static func trailer(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    bytes.count >= trailerSize
      ? bytes.loadUnaligned(fromByteOffset: bytes.count - trailerSize, as: UInt64.self).littleEndian : 0
  }
}

/// Three-way comparison of two encoded internal keys, in `InternalKey`
/// order: negative, zero or positive as `a` sorts before, with or after `b`.
///
/// Total even on malformed input: a buffer shorter than a trailer compares
/// as a user key with trailer 0. A search over damaged bytes therefore
/// cannot trap; whoever lands on such a key reports it as corruption.
///
/// - Complexity: O(length of the shorter user key).
@inlinable
public func compareInternalKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
  let byUserKey = compareBytes(InternalKeyEncoding.userKey(a), InternalKeyEncoding.userKey(b))
  if byUserKey != 0 { return byUserKey }
  let x = InternalKeyEncoding.trailer(a)
  let y = InternalKeyEncoding.trailer(b)
  return x == y ? 0 : (x > y ? -1 : 1)
}

/// Three-way comparison of two encoded internal keys held in arrays.
@inlinable
public func compareInternalKeys(_ a: Bytes, _ b: Bytes) -> Int {
  a.withUnsafeBytes { x in b.withUnsafeBytes { y in compareInternalKeys(x, y) } }
}
