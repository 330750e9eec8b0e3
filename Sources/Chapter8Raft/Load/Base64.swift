import Chapter1WAL

/// Base64 (RFC 4648, the standard alphabet, `=` padding): how etcd's JSON
/// gateway carries keys and values, which are bytes and not text.
///
/// Every three bytes become four characters from `A`–`Z`, `a`–`z`, `0`–`9`,
/// `+` and `/`; a last group of one or two bytes is padded with `=` to four
/// characters. The gateway writes padded text and accepts only padded text.
public enum Base64 {
  private static let alphabet = Bytes(utf8: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

  /// Each character's 6-bit value, 0xFF for a byte outside the alphabet.
  private static let values: [UInt8] = {
    var table = [UInt8](repeating: 0xFF, count: 256)
    for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
    return table
  }()

  /// The padded encoding of `bytes`, appended to `output`.
  public static func encode(_ bytes: Bytes, into output: inout Bytes) {
    output.reserveCapacity(output.count + (bytes.count + 2) / 3 * 4)
    var index = 0
    while index + 3 <= bytes.count {
      let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
      for shift in [18, 12, 6, 0] { output.append(alphabet[Int(group >> UInt32(shift) & 0x3F)]) }
      index += 3
    }
    let rest = bytes.count - index
    guard rest > 0 else { return }
    let group = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
    output.append(alphabet[Int(group >> 18 & 0x3F)])
    output.append(alphabet[Int(group >> 12 & 0x3F)])
    output.append(rest == 2 ? alphabet[Int(group >> 6 & 0x3F)] : UInt8(ascii: "="))
    output.append(UInt8(ascii: "="))
  }

  /// The padded encoding of `bytes`.
  public static func encode(_ bytes: Bytes) -> Bytes {
    var output = Bytes()
    encode(bytes, into: &output)
    return output
  }

  /// The bytes `text` encodes, or `nil` if it is not padded base64 (a
  /// length that is not a multiple of 4, a character outside the
  /// alphabet, `=` anywhere but in the last two places).
  public static func decode<Text: Collection<UInt8>>(_ text: Text) -> Bytes? {
    let characters = Array(text)
    guard characters.count % 4 == 0 else { return nil }
    var output = Bytes()
    output.reserveCapacity(characters.count / 4 * 3)
    var index = 0
    while index < characters.count {
      let last = index + 4 == characters.count
      let padding = last ? characters[index...].reversed().prefix { $0 == UInt8(ascii: "=") }.count : 0
      guard padding <= 2 else { return nil }
      var group: UInt32 = 0
      for offset in 0..<4 {
        let value = offset < 4 - padding ? values[Int(characters[index + offset])] : 0
        guard value != 0xFF else { return nil }
        group = group << 6 | UInt32(value)
      }
      output.append(UInt8(group >> 16 & 0xFF))
      if padding < 2 { output.append(UInt8(group >> 8 & 0xFF)) }
      if padding < 1 { output.append(UInt8(group & 0xFF)) }
      index += 4
    }
    return output
  }
}
