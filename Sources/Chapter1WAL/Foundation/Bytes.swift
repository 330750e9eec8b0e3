/// Keys, values and file contents are plain byte arrays.
///
/// A database stores bytes, not strings: a key may be a big-endian integer, a
/// UUID or a UTF-8 name, and the engine must treat all of them the same way.
/// Ordering is lexicographic over unsigned bytes, which is what `[UInt8]`'s
/// `lexicographicallyPrecedes` gives us.
public typealias Bytes = [UInt8]

extension Array where Element == UInt8 {
  /// The bytes of a string's UTF-8 encoding.
  @inlinable
  public init(utf8 string: String) {
    self = Array(string.utf8)
  }

  /// Lowercase hexadecimal, two digits a byte, no separators: `[0xE3, 0x06]` → `"e306"`.
  public var hexString: String {
    var out = ""
    out.reserveCapacity(count * 2)
    for byte in self {
      out.append(hexDigit(byte >> 4))
      out.append(hexDigit(byte & 0x0F))
    }
    return out
  }

  /// Parses hexadecimal digits (upper or lower case, even count); `nil` if malformed.
  public init?(hex: some StringProtocol) {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(hex.utf8.count / 2)
    var high: UInt8?
    for c in hex.utf8 {
      guard let nibble = hexValue(c) else { return nil }
      if let h = high {
        bytes.append(h << 4 | nibble)
        high = nil
      } else {
        high = nibble
      }
    }
    guard high == nil else { return nil }
    self = bytes
  }
}

private func hexDigit(_ nibble: UInt8) -> Character {
  Character(Unicode.Scalar(nibble < 10 ? nibble + 0x30 : nibble - 10 + 0x61))
}

private func hexValue(_ c: UInt8) -> UInt8? {
  switch c {
  case 0x30...0x39: return c - 0x30
  case 0x61...0x66: return c - 0x61 + 10
  case 0x41...0x46: return c - 0x41 + 10
  default: return nil
  }
}
