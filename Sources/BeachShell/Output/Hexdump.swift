import Chapter1WAL

/// The classic 16-bytes-a-line dump, as `hexdump -C` prints it.
///
/// ```
/// 00000000  0c 02 ae 91 11 00 00 00  a0 e3 7a c2 01 00 00 00  |..........z.....|
/// 00000010  00 00 00 00 01 00 00 00  01 01 6b 01 76           |..........k.v|
/// ```
///
/// Each line is the offset of its first byte (eight hex digits, counted from
/// the start of the file, not of the dump), the bytes in two groups of eight,
/// and the same bytes as ASCII with anything unprintable shown as `.`. A short
/// last line is padded so the ASCII column stays aligned.
public enum Hexdump {
  /// Bytes shown per line.
  public static let bytesPerLine = 16

  /// The dump of `bytes`, which start at `offset` in their file.
  public static func lines(_ bytes: Bytes, startingAt offset: Int = 0) -> [String] {
    var lines: [String] = []
    var index = 0
    while index < bytes.count {
      let row = bytes[index..<min(index + bytesPerLine, bytes.count)]
      lines.append(line(row, offset: offset + index))
      index += bytesPerLine
    }
    return lines
  }

  /// One line: offset, hex in two groups of eight, ASCII.
  static func line(_ row: ArraySlice<UInt8>, offset: Int) -> String {
    var text = hex(offset, width: 8) + " "
    for position in 0..<bytesPerLine {
      if position == 8 { text += " " }
      let index = row.startIndex + position
      text += index < row.endIndex ? " " + hex(Int(row[index]), width: 2) : "   "
    }
    text += "  |"
    for byte in row {
      text.append(byte >= 0x20 && byte < 0x7F ? Character(Unicode.Scalar(byte)) : ".")
    }
    return text + "|"
  }

  /// `value` in lowercase hex, zero-padded to `width` digits.
  static func hex(_ value: Int, width: Int) -> String {
    let digits = String(value, radix: 16)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
  }
}
