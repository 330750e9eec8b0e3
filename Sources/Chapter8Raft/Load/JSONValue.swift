import Chapter1WAL

/// A JSON value (RFC 8259), as small as etcd's gateway replies need: the
/// whole grammar is read, and numbers are kept as their text (etcd writes
/// its 64-bit revisions as strings anyway, and a `Double` would round them).
///
/// No Foundation here: the chapters' modules keep to the standard library.
public enum JSONValue: Sendable, Equatable {
  case object([String: JSONValue])
  case array([JSONValue])
  case string(String)
  /// A number, as written: `14`, `-1.5e3`.
  case number(String)
  case bool(Bool)
  case null

  /// Why a text is not one JSON value.
  public struct ParseError: Error, Equatable, CustomStringConvertible {
    /// Where the reader stopped, in bytes from the start.
    public var offset: Int
    public var reason: String

    public var description: String { "not JSON at byte \(offset): \(reason)" }
  }

  /// The member `name` of an object (`nil` for a missing member or a value
  /// that is not an object).
  public subscript(name: String) -> JSONValue? {
    if case .object(let members) = self { members[name] } else { nil }
  }

  /// The string, or `nil` for any other value.
  public var string: String? { if case .string(let text) = self { text } else { nil } }

  /// The number as an integer, or `nil` for any other value or a number
  /// with a fraction.
  public var integer: Int? { if case .number(let text) = self { Int(text) } else { nil } }

  /// Reads one value from `text`, with nothing but white space after it.
  ///
  /// - Throws: `ParseError`, with the offset of the first byte that does
  ///   not fit; nesting deeper than 64 levels is refused too.
  public static func parse<Text: Collection<UInt8>>(_ text: Text) throws(ParseError) -> JSONValue {
    var reader = JSONReader(bytes: Array(text))
    let value = try reader.value(depth: 0)
    reader.skipWhiteSpace()
    guard reader.offset == reader.bytes.count else { throw reader.error("text after the value") }
    return value
  }
}

/// A cursor over the bytes of one JSON text.
private struct JSONReader {
  let bytes: Bytes
  var offset = 0

  init(bytes: Bytes) { self.bytes = bytes }

  func error(_ reason: String) -> JSONValue.ParseError { JSONValue.ParseError(offset: offset, reason: reason) }

  var next: UInt8? { offset < bytes.count ? bytes[offset] : nil }

  mutating func skipWhiteSpace() {
    while let byte = next, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { offset += 1 }
  }

  mutating func expect(_ word: String) throws(JSONValue.ParseError) {
    for byte in word.utf8 {
      guard next == byte else { throw error("expected \(word)") }
      offset += 1
    }
  }

  mutating func value(depth: Int) throws(JSONValue.ParseError) -> JSONValue {
    guard depth < 64 else { throw error("nested too deep") }
    skipWhiteSpace()
    switch next {
    case UInt8(ascii: "{"):
      offset += 1
      var members: [String: JSONValue] = [:]
      skipWhiteSpace()
      if next == UInt8(ascii: "}") {
        offset += 1
        return .object(members)
      }
      while true {
        skipWhiteSpace()
        guard next == UInt8(ascii: "\"") else { throw error("expected a member's name") }
        let name = try string()
        skipWhiteSpace()
        try expect(":")
        members[name] = try value(depth: depth + 1)
        skipWhiteSpace()
        if next == UInt8(ascii: ",") {
          offset += 1
        } else {
          try expect("}")
          return .object(members)
        }
      }
    case UInt8(ascii: "["):
      offset += 1
      var elements: [JSONValue] = []
      skipWhiteSpace()
      if next == UInt8(ascii: "]") {
        offset += 1
        return .array(elements)
      }
      while true {
        elements.append(try value(depth: depth + 1))
        skipWhiteSpace()
        if next == UInt8(ascii: ",") {
          offset += 1
        } else {
          try expect("]")
          return .array(elements)
        }
      }
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"):
      try expect("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expect("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expect("null")
      return .null
    case .some(let byte) where byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte): return try number()
    case .some: throw error("expected a value")
    case .none: throw error("the text ended before a value")
    }
  }

  /// A string, from its opening quote to past its closing one.
  mutating func string() throws(JSONValue.ParseError) -> String {
    offset += 1  // the opening quote
    var scalars = String.UnicodeScalarView()
    var run = Bytes()  // unescaped UTF-8, decoded once per run
    func flush() {
      scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
      run.removeAll(keepingCapacity: true)
    }
    while true {
      guard let byte = next else { throw error("the text ended inside a string") }
      offset += 1
      switch byte {
      case UInt8(ascii: "\""):
        flush()
        return String(scalars)
      case UInt8(ascii: "\\"):
        flush()
        guard let escaped = next else { throw error("the text ended inside an escape") }
        offset += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): run.append(escaped)
        case UInt8(ascii: "b"): run.append(0x08)
        case UInt8(ascii: "f"): run.append(0x0C)
        case UInt8(ascii: "n"): run.append(0x0A)
        case UInt8(ascii: "r"): run.append(0x0D)
        case UInt8(ascii: "t"): run.append(0x09)
        case UInt8(ascii: "u"):
          var code = try hex4()
          if (0xD800..<0xDC00).contains(code) {  // a surrogate pair: \uD83D\uDE00
            try expect("\\u")
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw error("a lone surrogate") }
            code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
          }
          guard let scalar = Unicode.Scalar(code) else { throw error("a lone surrogate") }
          scalars.append(scalar)
        default: throw error("an unknown escape")
        }
      case 0x00..<0x20: throw error("a control character inside a string")
      default: run.append(byte)
      }
    }
  }

  mutating func hex4() throws(JSONValue.ParseError) -> UInt32 {
    var code: UInt32 = 0
    for _ in 0..<4 {
      guard let byte = next, let digit = hexDigit(byte) else { throw error("expected four hex digits") }
      code = code << 4 | digit
      offset += 1
    }
    return code
  }

  func hexDigit(_ byte: UInt8) -> UInt32? {
    switch byte {
    case 0x30...0x39: UInt32(byte - 0x30)
    case 0x41...0x46: UInt32(byte - 0x41 + 10)
    case 0x61...0x66: UInt32(byte - 0x61 + 10)
    default: nil
    }
  }

  /// A number: `-`? digits (`.` digits)? (`e` sign? digits)?, kept as text.
  mutating func number() throws(JSONValue.ParseError) -> JSONValue {
    let start = offset
    if next == UInt8(ascii: "-") { offset += 1 }
    func digits() -> Int {
      let from = offset
      while let byte = next, (0x30...0x39).contains(byte) { offset += 1 }
      return offset - from
    }
    guard digits() > 0 else { throw error("expected a digit") }
    if next == UInt8(ascii: ".") {
      offset += 1
      guard digits() > 0 else { throw error("expected a digit after the point") }
    }
    if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
      offset += 1
      if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { offset += 1 }
      guard digits() > 0 else { throw error("expected an exponent") }
    }
    return .number(String(decoding: bytes[start..<offset], as: UTF8.self))
  }
}
