import Chapter1WAL

// MARK: - The wire format
//
// Every message, either way, is one frame: a 4-byte length, a 12-byte
// header, and a payload. The header's integers, and those of the payloads
// below, are big-endian (network order); a BATCH payload is chapter 1's
// encoding, little-endian, as the log stores it.
//
//     offset  size  field
//     0       4     length: the bytes that follow this field (12 + payload)
//     4       1     version: 1
//     5       1     kind: what the frame is (below)
//     6       1     status: a reply's outcome (below); 0 in a request
//     7       1     flags: 0, or in a PUT, DELETE or BATCH 0x01 "no sync":
//                   acknowledge once the log has the write, without
//                   waiting for its fsync (the client's `sync off`); any
//                   other bit is refused
//     8       4     request id: chosen by the client, echoed in the reply
//     12      4     budget: a request's deadline in milliseconds from when
//                   the server takes it up (0: the server's default); 0 in
//                   a reply
//     16      …     payload: length - 12 bytes
//
// Kinds: requests 0x01 GET, 0x02 PUT, 0x03 DELETE, 0x04 BATCH, 0x05 SCAN,
// 0x06 PING, 0x07 STATS, 0x08 TRACE, 0x40 EXTENSION; 0x81 a reply; 0x82 a
// trace event (the server's trace of a request, sent before that request's
// reply).
//
// EXTENSION is the protocol's one door for what a later layer builds on
// this server (a cluster's own messages, say) without a new frame version:
// its payload is a u8 code, then bytes only that layer reads. This chapter
// defines no code; its engines answer every one `bad request`, and the
// connection stays open (see `ServerEngine.handleExtension`).
//
// Request payloads (a "string" is a u32 length then that many bytes):
//
//     GET, DELETE  the key (the whole payload)
//     PUT          key as a string, then the value (the rest)
//     BATCH        chapter 1's WriteBatch encoding, the bytes the log
//                  stores: an 8-byte sequence (0 here; the server assigns
//                  one), a u32 count, then the operations
//     SCAN         u32 limit (entries per page, 1 or more), start as a
//                  string, u8 1 and end as a string (or u8 0: no end)
//     PING         anything: it comes back
//     STATS        empty
//     TRACE        u8 level: 0 off, 1 steps, 2 explain
//     EXTENSION    u8 code, then the code's own bytes (the rest)
//
// Reply payloads: on `ok`, GET's value; for PUT, DELETE and BATCH the u64
// sequence number of the write's last operation; SCAN's page (u32 count,
// count pairs of strings key and value, then u8 1 and the resume key as a
// string, or u8 0 when the range is done); PING's bytes; STATS' text
// (Prometheus text format); nothing for TRACE. On any other status, a UTF-8 message.
// Trace-event payload: five strings (component, action, subject, details,
// why).
//
// A worked example, checked by `FrameTests`: PUT key "k", value "v1",
// request id 7, budget 250 ms:
//
//     00 00 00 13   length 19: 12 header bytes + 7 payload bytes
//     01            version 1
//     02            kind PUT
//     00 00         status 0, flags 0
//     00 00 00 07   request id 7
//     00 00 00 fa   budget 250 ms
//     00 00 00 01   the key's length, 1
//     6b            "k"
//     76 31         "v1"
//
// and its reply, ok, the write given sequence number 5:
//
//     00 00 00 14 01 81 00 00 00 00 00 07 00 00 00 00
//     00 00 00 00 00 00 00 05

/// One frame, decoded: the header's fields and the payload's bytes.
public struct Frame: Equatable, Sendable {
  /// The protocol version this code speaks.
  public static let version: UInt8 = 1
  /// The 4-byte length plus the 12-byte header.
  public static let headerSize = 16
  /// The largest frame a server or client accepts by default: 4 MiB. A
  /// length field claiming more is refused before anything is allocated.
  public static let defaultMaximumSize = 4 << 20

  public var kind: Kind
  public var status: Status
  public var flags: UInt8
  public var requestID: UInt32
  public var budgetMilliseconds: UInt32
  public var payload: Bytes

  /// The flag of a write that need not wait for its fsync.
  public static let noSync: UInt8 = 0x01

  public init(
    kind: Kind, status: Status = .ok, flags: UInt8 = 0, requestID: UInt32, budgetMilliseconds: UInt32 = 0,
    payload: Bytes = []
  ) {
    self.kind = kind
    self.status = status
    self.flags = flags
    self.requestID = requestID
    self.budgetMilliseconds = budgetMilliseconds
    self.payload = payload
  }

  /// What a frame carries.
  public enum Kind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case get = 0x01
    case put, delete, batch, scan, ping, stats, trace
    /// A request of a later layer's own (see the format at the top).
    case `extension` = 0x40
    case reply = 0x81
    case traceEvent = 0x82

    public var isRequest: Bool { rawValue < 0x80 }

    public var description: String {
      switch self {
      case .get: "GET"
      case .put: "PUT"
      case .delete: "DELETE"
      case .batch: "BATCH"
      case .scan: "SCAN"
      case .ping: "PING"
      case .stats: "STATS"
      case .trace: "TRACE"
      case .extension: "EXTENSION"
      case .reply: "REPLY"
      case .traceEvent: "TRACE-EVENT"
      }
    }
  }

  /// A reply's outcome.
  public enum Status: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Done (a GET found its key).
    case ok = 0
    /// A GET's key has no value.
    case notFound = 1
    /// The request could not be understood. After a bad payload the
    /// connection stays open; after a frame that breaks the framing (a bad
    /// length, version, kind, status or flag; the reply's id is 0) it closes.
    case badRequest = 2
    /// The frame was longer than the maximum: the connection closes.
    case tooLarge = 3
    /// The server is at its admission limit: try again later. Nothing was done.
    case busy = 4
    /// The deadline passed. If it passed before the engine call began,
    /// nothing was done; a write that outlasted it may have been applied.
    case timeout = 5
    /// The server is stopping: nothing was done.
    case shuttingDown = 6
    /// The engine found damaged data.
    case corruption = 7
    /// Any other failure of the engine.
    case `internal` = 8

    public var description: String {
      switch self {
      case .ok: "ok"
      case .notFound: "not found"
      case .badRequest: "bad request"
      case .tooLarge: "too large"
      case .busy: "busy"
      case .timeout: "timeout"
      case .shuttingDown: "shutting down"
      case .corruption: "corruption"
      case .internal: "internal"
      }
    }
  }

  /// The frame's bytes, length field first.
  public var encoded: Bytes {
    var out = Bytes()
    encode(into: &out)
    return out
  }

  /// Appends the frame's bytes to `out`.
  public func encode(into out: inout Bytes) {
    out.reserveCapacity(out.count + Frame.headerSize + payload.count)
    out.appendBigEndian(UInt32(Frame.headerSize - 4 + payload.count))
    out.append(Frame.version)
    out.append(kind.rawValue)
    out.append(status.rawValue)
    out.append(flags)
    out.appendBigEndian(requestID)
    out.appendBigEndian(budgetMilliseconds)
    out.append(contentsOf: payload)
  }

  /// Why bytes are not a frame. Each one ends the connection: after it,
  /// the reader no longer knows where the next frame begins.
  public enum DecodingError: Error, Equatable, CustomStringConvertible {
    /// The length field claims fewer bytes than a header.
    case tooShort(claimed: Int)
    /// The length field claims more than the maximum.
    case tooLarge(claimed: Int, maximum: Int)
    case unknownVersion(UInt8)
    case unknownKind(UInt8)
    case unknownStatus(UInt8)
    case unknownFlags(UInt8)

    public var description: String {
      switch self {
      case .tooShort(let claimed): "a frame's length is \(claimed), less than its 12-byte header"
      case .tooLarge(let claimed, let maximum): "a frame of \(claimed) bytes is over the maximum of \(maximum)"
      case .unknownVersion(let v): "protocol version \(v) is not 1"
      case .unknownKind(let k): "unknown frame kind \(hex(k))"
      case .unknownStatus(let s): "unknown status \(s)"
      case .unknownFlags(let f): "unknown flags \(hex(f))"
      }
    }

    private func hex(_ byte: UInt8) -> String { "0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16) }
  }

  // snippet: announced-size
  /// The whole frame's size (length field included) that the first four
  /// bytes of `bytes` announce, checked against `maximumSize` before anyone
  /// waits for, or allocates, that many bytes; `nil` with fewer than four
  /// bytes in hand.
  public static func announcedSize(_ bytes: some Collection<UInt8>, maximumSize: Int = defaultMaximumSize)
    throws(DecodingError) -> Int?
  {
    guard bytes.count >= 4 else { return nil }
    var length = 0
    for byte in bytes.prefix(4) { length = length << 8 | Int(byte) }
    guard length >= headerSize - 4 else { throw .tooShort(claimed: length) }
    guard length + 4 <= maximumSize else { throw .tooLarge(claimed: length + 4, maximum: maximumSize) }
    return length + 4
  }
  // end snippet

  /// Decodes the frame at the start of `bytes`: the frame and the bytes it
  /// took, or `nil` if `bytes` holds only part of one.
  public static func decode(_ bytes: ArraySlice<UInt8>, maximumSize: Int = defaultMaximumSize)
    throws(DecodingError) -> (frame: Frame, size: Int)?
  {
    guard let size = try announcedSize(bytes, maximumSize: maximumSize), bytes.count >= size else { return nil }
    let base = bytes.startIndex
    let versionByte = bytes[base + 4]
    guard versionByte == version else { throw .unknownVersion(versionByte) }
    guard let kind = Kind(rawValue: bytes[base + 5]) else { throw .unknownKind(bytes[base + 5]) }
    guard let status = Status(rawValue: bytes[base + 6]) else { throw .unknownStatus(bytes[base + 6]) }
    let flags = bytes[base + 7]
    guard flags & ~noSync == 0 else { throw .unknownFlags(flags) }
    let frame = Frame(
      kind: kind, status: status, flags: flags, requestID: bytes.bigEndianUInt32(at: base + 8),
      budgetMilliseconds: bytes.bigEndianUInt32(at: base + 12),
      payload: Bytes(bytes[(base + headerSize)..<(base + size)]))
    return (frame, size)
  }
}

// MARK: - Requests and replies

/// A request, as the server executes it.
public enum Request: Equatable, Sendable {
  case get(key: Bytes)
  case put(key: Bytes, value: Bytes)
  case delete(key: Bytes)
  case batch(WriteBatch)
  case scan(start: Bytes, end: Bytes?, limit: Int)
  case ping(Bytes)
  case stats
  case trace(Tracer.Level)
  /// A later layer's request: its code, and bytes only that layer reads.
  case `extension`(code: UInt8, body: Bytes)

  /// The largest page a SCAN may ask for.
  public static let maximumScanLimit = 10_000

  public var kind: Frame.Kind {
    switch self {
    case .get: .get
    case .put: .put
    case .delete: .delete
    case .batch: .batch
    case .scan: .scan
    case .ping: .ping
    case .stats: .stats
    case .trace: .trace
    case .extension: .extension
    }
  }

  /// Whether the request changes the database.
  public var isWrite: Bool {
    switch self {
    case .put, .delete, .batch: true
    default: false
    }
  }

  /// The request's payload bytes.
  public var payload: Bytes {
    var out = Bytes()
    switch self {
    case .get(let key), .delete(let key): out = key
    case .put(let key, let value):
      out.appendString(key)
      out.append(contentsOf: value)
    case .batch(let batch): out = batch.encoded(sequence: 0)
    case .scan(let start, let end, let limit):
      out.appendBigEndian(UInt32(clamping: limit))
      out.appendString(start)
      if let end {
        out.append(1)
        out.appendString(end)
      } else {
        out.append(0)
      }
    case .ping(let bytes): out = bytes
    case .stats: break
    case .trace(let level): out = [UInt8(level.rawValue)]
    case .extension(let code, let body):
      out.append(code)
      out.append(contentsOf: body)
    }
    return out
  }

  /// The request as a frame.
  public func frame(id: UInt32, budgetMilliseconds: UInt32 = 0, flags: UInt8 = 0) -> Frame {
    Frame(kind: kind, flags: flags, requestID: id, budgetMilliseconds: budgetMilliseconds, payload: payload)
  }

  /// Why a frame is not a request the server can run: answered with `bad
  /// request`, and the connection stays open (the framing is intact).
  public struct Malformed: Error, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
  }

  /// The request a frame carries.
  public init(_ frame: Frame) throws(Malformed) {
    guard frame.flags == 0 || [.put, .delete, .batch].contains(frame.kind) else {
      throw Malformed("only a write may carry the no-sync flag")
    }
    var reader = PayloadReader(frame.payload)
    switch frame.kind {
    case .get: self = .get(key: frame.payload)
    case .delete: self = .delete(key: frame.payload)
    case .put:
      guard let key = reader.string() else { throw Malformed("PUT's key length runs past the payload") }
      self = .put(key: key, value: reader.rest())
    case .batch:
      do {
        let (_, batch) = try WriteBatch.decode(frame.payload)
        guard !batch.isEmpty else { throw Malformed("BATCH holds no operation") }
        self = .batch(batch)
      } catch let error as Malformed {
        throw error
      } catch {
        throw Malformed("BATCH's payload is not a write batch: \(error)")
      }
    case .scan:
      guard let limit = reader.uint32(), let start = reader.string(), let hasEnd = reader.byte(), hasEnd <= 1 else {
        throw Malformed("SCAN's payload is truncated or malformed")
      }
      var end: Bytes?
      if hasEnd == 1 {
        guard let e = reader.string() else { throw Malformed("SCAN's end key runs past the payload") }
        end = e
      }
      guard reader.isAtEnd else { throw Malformed("SCAN has \(reader.remaining) trailing bytes") }
      guard (1...UInt32(Request.maximumScanLimit)).contains(limit) else {
        throw Malformed("SCAN's limit \(limit) is not 1 to \(Request.maximumScanLimit)")
      }
      self = .scan(start: start, end: end, limit: Int(limit))
    case .ping: self = .ping(frame.payload)
    case .stats:
      guard frame.payload.isEmpty else { throw Malformed("STATS takes no payload") }
      self = .stats
    case .trace:
      guard frame.payload.count == 1, let level = Tracer.Level(rawValue: Int(frame.payload[0])) else {
        throw Malformed("TRACE takes one byte: 0 off, 1 steps, 2 explain")
      }
      self = .trace(level)
    case .extension:
      guard let code = reader.byte() else { throw Malformed("EXTENSION needs a code byte") }
      self = .extension(code: code, body: reader.rest())
    case .reply, .traceEvent: throw Malformed("a \(frame.kind) frame is not a request")
    }
  }
}

/// One page of a SCAN: its entries, and where the next page starts (`nil`
/// when the range is done).
public struct ScanPage: Equatable, Sendable {
  public var entries: [KeyValuePair]
  public var resumeKey: Bytes?

  public init(entries: [KeyValuePair], resumeKey: Bytes?) {
    self.entries = entries
    self.resumeKey = resumeKey
  }

  public var encoded: Bytes {
    var out = Bytes()
    out.appendBigEndian(UInt32(entries.count))
    for entry in entries {
      out.appendString(entry.key)
      out.appendString(entry.value)
    }
    if let resumeKey {
      out.append(1)
      out.appendString(resumeKey)
    } else {
      out.append(0)
    }
    return out
  }

  public init?(decoding payload: Bytes) {
    var reader = PayloadReader(payload)
    guard let count = reader.uint32(), count <= payload.count / 8 else { return nil }
    var entries: [KeyValuePair] = []
    for _ in 0..<count {
      guard let key = reader.string(), let value = reader.string() else { return nil }
      entries.append(KeyValuePair(key: key, value: value))
    }
    guard let more = reader.byte() else { return nil }
    var resume: Bytes?
    if more == 1 {
      guard let key = reader.string() else { return nil }
      resume = key
    } else if more != 0 {
      return nil
    }
    guard reader.isAtEnd else { return nil }
    self.init(entries: entries, resumeKey: resume)
  }
}

extension TraceEvent {
  /// The event as a trace-event payload: five strings.
  public var encoded: Bytes {
    var out = Bytes()
    for field in [component.rawValue, action, subject, details, why] { out.appendString(Array(field.utf8)) }
    return out
  }

  /// The event a trace-event payload carries, or `nil` if it is not one.
  public init?(decoding payload: Bytes) {
    var reader = PayloadReader(payload)
    var fields: [String] = []
    for _ in 0..<5 {
      guard let bytes = reader.string() else { return nil }
      fields.append(String(decoding: bytes, as: UTF8.self))
    }
    guard reader.isAtEnd else { return nil }
    self.init(
      component: TraceComponent(rawValue: fields[0]), action: fields[1], subject: fields[2], details: fields[3],
      why: fields[4])
  }
}

extension TraceComponent {
  /// The network server: requests received, replies sent, limits applied.
  public static let server: TraceComponent = "server"
}

// MARK: - Bytes

/// Reads a payload front to back; every read checks the bytes are there.
struct PayloadReader {
  private let bytes: Bytes
  private var offset = 0

  init(_ bytes: Bytes) { self.bytes = bytes }

  var isAtEnd: Bool { offset == bytes.count }
  var remaining: Int { bytes.count - offset }

  mutating func byte() -> UInt8? {
    guard remaining >= 1 else { return nil }
    defer { offset += 1 }
    return bytes[offset]
  }

  mutating func uint32() -> UInt32? {
    guard remaining >= 4 else { return nil }
    defer { offset += 4 }
    return bytes[...].bigEndianUInt32(at: offset)
  }

  /// A u32 length, then that many bytes; `nil` if they run past the end.
  mutating func string() -> Bytes? {
    let start = offset
    guard let length = uint32(), Int(length) <= remaining else {
      offset = start
      return nil
    }
    defer { offset += Int(length) }
    return Bytes(bytes[offset..<(offset + Int(length))])
  }

  mutating func rest() -> Bytes {
    defer { offset = bytes.count }
    return Bytes(bytes[offset...])
  }
}

extension Array where Element == UInt8 {
  /// A write's reply payload: its sequence number.
  public static func sequence(_ sequence: SequenceNumber) -> Bytes {
    var out = Bytes()
    out.appendBigEndian(UInt32(truncatingIfNeeded: sequence >> 32))
    out.appendBigEndian(UInt32(truncatingIfNeeded: sequence))
    return out
  }

  /// The sequence number a write's reply carries, or `nil`.
  public var sequence: SequenceNumber? {
    guard count == 8 else { return nil }
    return SequenceNumber(self[...].bigEndianUInt32(at: 0)) << 32 | SequenceNumber(self[...].bigEndianUInt32(at: 4))
  }

  mutating func appendBigEndian(_ value: UInt32) {
    append(UInt8(truncatingIfNeeded: value >> 24))
    append(UInt8(truncatingIfNeeded: value >> 16))
    append(UInt8(truncatingIfNeeded: value >> 8))
    append(UInt8(truncatingIfNeeded: value))
  }

  /// A u32 length, then the bytes.
  mutating func appendString(_ bytes: Bytes) {
    appendBigEndian(UInt32(bytes.count))
    append(contentsOf: bytes)
  }
}

extension ArraySlice where Element == UInt8 {
  func bigEndianUInt32(at index: Int) -> UInt32 {
    UInt32(self[index]) << 24 | UInt32(self[index + 1]) << 16 | UInt32(self[index + 2]) << 8 | UInt32(self[index + 3])
  }
}
