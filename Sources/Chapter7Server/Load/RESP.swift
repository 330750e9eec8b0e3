import Chapter1WAL

// MARK: - RESP2, the Redis protocol
//
// Just enough of it to send GET and SET and read every reply Redis 2 to 7
// gives them (https://redis.io/docs/latest/develop/reference/protocol-spec/).
// A value is a type byte, then a line ending in CR LF:
//
//     +OK\r\n                     simple string: the line is the value
//     -ERR unknown command\r\n    error: the line is the message
//     :42\r\n                     integer: a signed decimal
//     $5\r\nhello\r\n             bulk string: a length line, that many
//                                 bytes, CR LF; $-1\r\n is nil (GET of a
//                                 missing key)
//     *2\r\n$3\r\nGET\r\n$1\r\nk\r\n
//                                 array: a count line, then that many
//                                 values; *-1\r\n is a nil array
//
// A command is an array of bulk strings: `*3 $3 SET $1 k $2 v1`. Replies
// come back in the order the commands were sent (there are no request ids,
// unlike chapter 7's frames), so a pipelining client matches them to its
// requests by position.
//
// The decoder reads bytes from a server it does not control: every length
// and count is checked against a limit before anything waits for or
// allocates that much, numbers are parsed without overflow, nesting is
// bounded, and no input traps.

/// One RESP2 value.
public enum RESPValue: Sendable, Equatable {
  case simpleString(Bytes)
  case error(String)
  case integer(Int64)
  /// `nil`: the null bulk string, `$-1`.
  case bulkString(Bytes?)
  /// `nil`: the null array, `*-1`.
  case array([RESPValue]?)
}

/// Why bytes are not RESP2. Each one ends the connection: after it the
/// reader no longer knows where the next value begins.
public enum RESPDecodingError: Error, Equatable, CustomStringConvertible {
  /// A value began with a byte that is not `+ - : $ *`.
  case unknownType(UInt8, offset: Int)
  /// A line ran past the limit without its CR LF.
  case lineTooLong(offset: Int)
  /// An integer, length or count line is not a decimal number in range.
  case badNumber(offset: Int)
  /// A bulk string's length or an array's count is negative (other than
  /// -1, nil) or over the limit.
  case badLength(Int64, offset: Int)
  /// A bulk string's bytes are not followed by CR LF.
  case missingTerminator(offset: Int)
  /// Arrays nested deeper than the limit.
  case tooDeep(offset: Int)

  public var description: String {
    switch self {
    case .unknownType(let byte, let offset): "byte \(offset): 0x\(String(byte, radix: 16)) is not a RESP2 type"
    case .lineTooLong(let offset): "byte \(offset): a line with no CR LF within the limit"
    case .badNumber(let offset): "byte \(offset): not a decimal number in range"
    case .badLength(let length, let offset): "byte \(offset): a length or count of \(length) is out of range"
    case .missingTerminator(let offset): "byte \(offset): a bulk string's bytes are not followed by CR LF"
    case .tooDeep(let offset): "byte \(offset): arrays nested too deep"
    }
  }
}

/// RESP2's encoding and decoding.
public enum RESP {
  /// How much one value may claim.
  public struct Limits: Sendable {
    /// The longest bulk string (Redis's own limit is 512 MiB).
    public var maximumBulkLength = 64 << 20
    /// The most elements in one array.
    public var maximumArrayCount = 1 << 20
    /// The longest simple string, error or number line.
    public var maximumLineLength = 64 << 10
    /// The deepest nesting of arrays.
    public var maximumDepth = 8

    public init() {}
  }

  /// Appends the command `arguments` (`["SET", key, value]`) as an array
  /// of bulk strings.
  public static func encodeCommand(_ arguments: [Bytes], into out: inout Bytes) {
    out.append(UInt8(ascii: "*"))
    out.append(contentsOf: String(arguments.count).utf8)
    out.append(contentsOf: crlf)
    for argument in arguments {
      out.append(UInt8(ascii: "$"))
      out.append(contentsOf: String(argument.count).utf8)
      out.append(contentsOf: crlf)
      out.append(contentsOf: argument)
      out.append(contentsOf: crlf)
    }
  }

  /// The value at the start of `bytes` and how many bytes it took, or
  /// `nil` if `bytes` holds only the beginning of one.
  public static func decode<C: RandomAccessCollection<UInt8>>(_ bytes: C, limits: Limits = .init())
    throws(RESPDecodingError) -> (value: RESPValue, size: Int)? where C.Index == Int
  {
    var parser = Parser(bytes: bytes, position: bytes.startIndex, limits: limits)
    guard let value = try parser.value(depth: 0) else { return nil }
    return (value, parser.position - bytes.startIndex)
  }

  static let crlf: [UInt8] = [0x0d, 0x0a]

  private struct Parser<C: RandomAccessCollection<UInt8>> where C.Index == Int {
    let bytes: C
    var position: Int
    let limits: Limits

    var offset: Int { position - bytes.startIndex }

    mutating func value(depth: Int) throws(RESPDecodingError) -> RESPValue? {
      guard position < bytes.endIndex else { return nil }
      let start = offset
      let type = bytes[position]
      switch type {
      case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"): break
      default: throw .unknownType(type, offset: start)
      }
      position += 1
      guard let line = try line() else { return nil }
      switch type {
      case UInt8(ascii: "+"): return .simpleString(Bytes(line))
      case UInt8(ascii: "-"): return .error(String(decoding: line, as: UTF8.self))
      case UInt8(ascii: ":"): return .integer(try RESP.number(line, offset: start + 1))
      case UInt8(ascii: "$"):
        let length = try RESP.number(line, offset: start + 1)
        if length == -1 { return .bulkString(nil) }
        guard length >= 0, length <= limits.maximumBulkLength else { throw .badLength(length, offset: start) }
        let count = Int(length)
        // Nothing is copied until the whole string and its CR LF are here.
        guard bytes.endIndex - position >= count + 2 else { return nil }
        let body = Bytes(bytes[position..<(position + count)])
        guard bytes[position + count] == 0x0d, bytes[position + count + 1] == 0x0a else {
          throw .missingTerminator(offset: offset + count)
        }
        position += count + 2
        return .bulkString(body)
      default:  // "*"
        let count = try RESP.number(line, offset: start + 1)
        if count == -1 { return .array(nil) }
        guard count >= 0, count <= limits.maximumArrayCount else { throw .badLength(count, offset: start) }
        guard depth < limits.maximumDepth else { throw .tooDeep(offset: start) }
        var elements: [RESPValue] = []
        // No capacity reserved from the count: the bytes have not shown it is honest.
        for _ in 0..<count {
          guard let element = try value(depth: depth + 1) else { return nil }
          elements.append(element)
        }
        return .array(elements)
      }
    }

    /// The bytes up to the next CR LF, which it steps over; `nil` if no CR
    /// LF is here yet.
    mutating func line() throws(RESPDecodingError) -> C.SubSequence? {
      let start = position
      var index = position
      while index < bytes.endIndex {
        if bytes[index] == 0x0d {
          guard index + 1 < bytes.endIndex else { return nil }
          if bytes[index + 1] == 0x0a {
            position = index + 2
            return bytes[start..<index]
          }
        }
        if index - start >= limits.maximumLineLength { throw .lineTooLong(offset: start - bytes.startIndex) }
        index += 1
      }
      if index - start > limits.maximumLineLength { throw .lineTooLong(offset: start - bytes.startIndex) }
      return nil
    }
  }

  /// A signed decimal: an optional `-` and 1 to 19 digits, in Int64's range.
  static func number(_ line: some Collection<UInt8>, offset: Int) throws(RESPDecodingError) -> Int64 {
    var digits = line[...]
    let negative = digits.first == UInt8(ascii: "-")
    if negative { digits = digits.dropFirst() }
    guard !digits.isEmpty, digits.count <= 19 else { throw .badNumber(offset: offset) }
    var value: Int64 = 0
    for digit in digits {
      guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { throw .badNumber(offset: offset) }
      let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
      let (sum, overflow2) = shifted.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
      guard !overflow1, !overflow2 else { throw .badNumber(offset: offset) }
      value = sum
    }
    return negative ? -value : value
  }
}
