/// A `WriteBatch` is a list of puts and deletes applied atomically: the unit of
/// atomicity in the engine, and the payload of one log record.
///
/// ## Encoding
///
/// A batch is encoded in one deterministic way, so that the same batch always
/// gives the same bytes (and so the same checksum):
///
/// ```
/// +-----------------+-----------+--------------------------------------------+
/// | sequence: fixed64 | count: fixed32 | count × operation                    |
/// +-----------------+-----------+--------------------------------------------+
/// operation := kind: 1 byte (1 = put, 0 = delete)
///              key:  varint length + bytes
///              value: varint length + bytes           (puts only)
/// ```
///
/// `sequence` is the number of the first operation; operation *i* gets
/// `sequence + i`. The header is 12 bytes.
public struct WriteBatch: Equatable, Sendable {
  /// One operation in a batch.
  public enum Operation: Equatable, Sendable {
    case put(key: Bytes, value: Bytes)
    case delete(key: Bytes)

    /// The key the operation acts on.
    public var key: Bytes {
      switch self {
      case .put(let key, _), .delete(let key): key
      }
    }
  }

  /// The tag byte of each operation kind in the encoding.
  public enum Kind: UInt8, Sendable {
    case delete = 0
    case put = 1
  }

  /// The operations, in the order they were added (and will be applied).
  public private(set) var operations: [Operation] = []

  /// Bytes of keys and values, for accounting.
  public private(set) var payloadBytes = 0

  public init() {}

  public init(_ operations: [Operation]) {
    for operation in operations {
      switch operation {
      case .put(let key, let value): put(key, value)
      case .delete(let key): delete(key)
      }
    }
  }

  /// Adds a put. A later operation on the same key in the same batch wins.
  public mutating func put(_ key: Bytes, _ value: Bytes) {
    operations.append(.put(key: key, value: value))
    payloadBytes += key.count + value.count
  }

  /// Adds a delete.
  public mutating func delete(_ key: Bytes) {
    operations.append(.delete(key: key))
    payloadBytes += key.count
  }

  public var count: Int { operations.count }
  public var isEmpty: Bool { operations.isEmpty }

  /// The size of the fixed header in the encoding.
  public static let headerSize = 12

  // snippet: batch-encode
  /// Appends the batch's encoding, numbering its operations from `sequence`.
  public func encode(sequence: SequenceNumber, into out: inout Bytes) {
    out.appendFixed64(sequence)
    out.appendFixed32(UInt32(operations.count))
    for operation in operations {
      switch operation {
      case .put(let key, let value):
        out.append(Kind.put.rawValue)
        out.appendLengthPrefixed(key)
        out.appendLengthPrefixed(value)
      case .delete(let key):
        out.append(Kind.delete.rawValue)
        out.appendLengthPrefixed(key)
      }
    }
  }
  // end snippet

  /// The encoding as a new buffer.
  public func encoded(sequence: SequenceNumber) -> Bytes {
    var out = Bytes()
    out.reserveCapacity(encodedSize)
    encode(sequence: sequence, into: &out)
    return out
  }

  /// The exact size of the encoding.
  public var encodedSize: Int {
    var size = Self.headerSize
    for operation in operations {
      switch operation {
      case .put(let key, let value):
        size += 1 + varintLength(UInt64(key.count)) + key.count + varintLength(UInt64(value.count)) + value.count
      case .delete(let key):
        size += 1 + varintLength(UInt64(key.count)) + key.count
      }
    }
    return size
  }

  /// Decodes a batch and its first sequence number.
  ///
  /// - Throws: `DecodingError` if the bytes are not exactly one well-formed
  ///   batch (trailing bytes are an error too). Never traps.
  public static func decode(_ bytes: Bytes) throws(DecodingError) -> (sequence: SequenceNumber, batch: WriteBatch) {
    var reader = ByteReader(bytes)
    let sequence = try reader.readFixed64()
    let count = try reader.readFixed32()
    // Each operation takes at least 2 bytes; a count that cannot fit is damage,
    // and checking it first stops a hostile count from reserving huge arrays.
    guard Int(count) <= reader.remaining / 2 else {
      throw DecodingError(offset: 8, "operation count \(count) cannot fit in \(reader.remaining) bytes")
    }
    var batch = WriteBatch()
    for _ in 0..<count {
      let kindOffset = reader.offset
      switch try reader.readByte() {
      case Kind.put.rawValue:
        let key = try reader.readLengthPrefixed()
        let value = try reader.readLengthPrefixed()
        batch.put(key, value)
      case Kind.delete.rawValue:
        batch.delete(try reader.readLengthPrefixed())
      case let other:
        throw DecodingError(offset: kindOffset, "unknown operation kind \(other)")
      }
    }
    guard reader.isAtEnd else {
      throw DecodingError(offset: reader.offset, "\(reader.remaining) unexpected bytes after \(count) operations")
    }
    return (sequence, batch)
  }
}
