/// Fixed-width and variable-width integer encoding.
///
/// Every on-disk format in this book is built from four primitives:
///
/// - **fixed32 / fixed64**: little-endian, always 4 or 8 bytes. Used where a
///   reader must find a field at a known offset (a record header, a footer).
/// - **varint32 / varint64**: 7 bits a byte, low groups first, the high bit set
///   on every byte but the last. Small numbers take one byte: 300 is
///   `0xAC 0x02`. Used for lengths and counts, which are usually small.
/// - **length-prefixed bytes**: a varint length, then that many bytes.
///
/// Encoders append to a `Bytes` buffer. Decoding goes through `ByteReader`,
/// which never traps: every read checks the bounds and throws `DecodingError`
/// on short or malformed input, because the bytes may come from a damaged file.

// snippet: coding-varint
extension Array where Element == UInt8 {
  /// Appends `value` as 4 little-endian bytes.
  @inlinable
  public mutating func appendFixed32(_ value: UInt32) {
    append(UInt8(truncatingIfNeeded: value))
    append(UInt8(truncatingIfNeeded: value >> 8))
    append(UInt8(truncatingIfNeeded: value >> 16))
    append(UInt8(truncatingIfNeeded: value >> 24))
  }

  /// Appends `value` as 8 little-endian bytes.
  @inlinable
  public mutating func appendFixed64(_ value: UInt64) {
    appendFixed32(UInt32(truncatingIfNeeded: value))
    appendFixed32(UInt32(truncatingIfNeeded: value >> 32))
  }

  /// Appends `value` as a varint: 7 bits a byte, least significant group first.
  @inlinable
  public mutating func appendVarint(_ value: UInt64) {
    var v = value
    while v >= 0x80 {
      append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    append(UInt8(v))
  }

  /// Appends a varint length followed by the bytes themselves.
  @inlinable
  public mutating func appendLengthPrefixed(_ bytes: Bytes) {
    appendVarint(UInt64(bytes.count))
    append(contentsOf: bytes)
  }
}
// end snippet

/// The number of bytes `appendVarint(value)` writes: 1 to 10.
@inlinable
public func varintLength(_ value: UInt64) -> Int {
  var length = 1
  var v = value
  while v >= 0x80 {
    v >>= 7
    length += 1
  }
  return length
}

/// What went wrong while decoding bytes that did not have the expected shape.
public struct DecodingError: Error, Equatable, CustomStringConvertible {
  /// Where in the buffer the problem was found.
  public var offset: Int
  /// What was expected there.
  public var message: String

  public init(offset: Int, _ message: String) {
    self.offset = offset
    self.message = message
  }

  public var description: String { "\(message) at byte \(offset)" }
}

/// A cursor over a byte buffer that checks every read.
///
/// All methods throw `DecodingError` instead of trapping, so hostile or damaged
/// input can never crash the process.
public struct ByteReader {
  public let bytes: Bytes
  /// The index of the next byte to read.
  public private(set) var offset: Int

  public init(_ bytes: Bytes, offset: Int = 0) {
    self.bytes = bytes
    self.offset = offset
  }

  /// Bytes not read yet.
  public var remaining: Int { bytes.count - offset }
  public var isAtEnd: Bool { offset >= bytes.count }

  public mutating func readByte() throws(DecodingError) -> UInt8 {
    guard offset < bytes.count else { throw DecodingError(offset: offset, "unexpected end of input (wanted 1 byte)") }
    defer { offset += 1 }
    return bytes[offset]
  }

  public mutating func readFixed32() throws(DecodingError) -> UInt32 {
    guard remaining >= 4 else { throw DecodingError(offset: offset, "unexpected end of input (wanted 4 bytes)") }
    let value = decodeFixed32(bytes, at: offset)
    offset += 4
    return value
  }

  public mutating func readFixed64() throws(DecodingError) -> UInt64 {
    guard remaining >= 8 else { throw DecodingError(offset: offset, "unexpected end of input (wanted 8 bytes)") }
    let low = UInt64(decodeFixed32(bytes, at: offset))
    let high = UInt64(decodeFixed32(bytes, at: offset + 4))
    offset += 8
    return high << 32 | low
  }

  /// Reads a varint of at most 10 bytes whose value fits in 64 bits.
  public mutating func readVarint() throws(DecodingError) -> UInt64 {
    let start = offset
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard offset < bytes.count else { throw DecodingError(offset: start, "truncated varint") }
      let byte = bytes[offset]
      offset += 1
      if shift == 63 && byte > 1 { throw DecodingError(offset: start, "varint overflows 64 bits") }
      result |= UInt64(byte & 0x7F) << shift
      if byte < 0x80 { return result }
      shift += 7
      if shift > 63 { throw DecodingError(offset: start, "varint longer than 10 bytes") }
    }
  }

  /// Reads `count` bytes.
  public mutating func readBytes(_ count: Int) throws(DecodingError) -> Bytes {
    guard count >= 0, remaining >= count else {
      throw DecodingError(offset: offset, "unexpected end of input (wanted \(count) bytes, \(remaining) left)")
    }
    defer { offset += count }
    return Array(bytes[offset..<offset + count])
  }

  /// Reads a varint length, then that many bytes.
  public mutating func readLengthPrefixed() throws(DecodingError) -> Bytes {
    let start = offset
    let length = try readVarint()
    guard length <= UInt64(remaining) else {
      throw DecodingError(offset: start, "length \(length) runs past the end of the input (\(remaining) bytes left)")
    }
    return try readBytes(Int(length))
  }
}

/// Reads a little-endian `UInt32` at `offset`. REQUIRES: `offset + 4 <= bytes.count`.
@inlinable
public func decodeFixed32(_ bytes: Bytes, at offset: Int) -> UInt32 {
  UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
    | UInt32(bytes[offset + 3]) << 24
}
