/// Reading a log back: the rules of recovery, applied one record at a time.
///
/// `LogReader` walks the records of a log file held in memory and classifies
/// what it finds at each offset: a good record, the clean end of the file, a
/// torn tail (cut it off), or corruption (stop and say where). The rules are
/// explained in `LogFormat`; this file is their only implementation, shared
/// by recovery and by `wal-dump`.
public struct LogReader {
  /// What the reader found at one offset.
  public enum Step: Equatable {
    /// A record whose checksums match. `next` is the offset after it.
    case record(LogRecord)
    /// The file ends exactly at a record boundary.
    case end
    /// The file ends inside a record that was never completely written.
    case tornTail(offset: Int, reason: String)
    /// Bytes that were once durable are damaged. `resumeAt` is the offset of
    /// the next record when the length could still be trusted (so a dump tool
    /// may carry on), `nil` when it cannot.
    case corrupt(offset: Int, reason: String, resumeAt: Int?)
  }

  /// The bytes of the whole log file.
  public let bytes: Bytes
  /// The largest payload a record may declare.
  public let maxRecordSize: Int
  /// Where the next record starts.
  public private(set) var offset: Int = 0

  public init(bytes: Bytes, maxRecordSize: Int = LogFormat.defaultMaxRecordSize) {
    self.bytes = bytes
    self.maxRecordSize = maxRecordSize
  }

  /// Classifies what starts at the current offset and moves past it when it
  /// is a record (or, for damage, when its length can be trusted).
  public mutating func next() -> Step {
    let step = Self.classify(bytes, at: offset, maxRecordSize: maxRecordSize)
    switch step {
    case .record(let record): offset = record.end
    case .corrupt(_, _, let resume?): offset = resume
    case .end, .tornTail, .corrupt: break
    }
    return step
  }

  // snippet: log-classify
  /// Decides what the bytes at `offset` are, following the recovery rules.
  public static func classify(_ bytes: Bytes, at offset: Int, maxRecordSize: Int) -> Step {
    let remaining = bytes.count - offset
    if remaining == 0 { return .end }
    if allZero(bytes, from: offset) {
      return .tornTail(offset: offset, reason: "\(remaining) zero bytes where a record should start")
    }
    if remaining < LogFormat.headerSize {
      return .tornTail(offset: offset, reason: "header cut short (\(remaining) of \(LogFormat.headerSize) bytes)")
    }
    let length = decodeFixed32(bytes, at: offset + 4)
    let storedLengthCheck = decodeFixed32(bytes, at: offset + 8)
    guard storedLengthCheck == LogFormat.lengthCheck(length) else {
      return .corrupt(offset: offset, reason: "length check mismatch: the header is damaged", resumeAt: nil)
    }
    guard Int(length) <= maxRecordSize else {
      return .corrupt(
        offset: offset, reason: "length \(length) exceeds the \(maxRecordSize)-byte record limit", resumeAt: nil)
    }
    let end = offset + LogFormat.headerSize + Int(length)
    if end > bytes.count {
      return .tornTail(
        offset: offset, reason: "payload cut short (\(remaining - LogFormat.headerSize) of \(length) bytes)")
    }
    let stored = CRC32C.unmask(decodeFixed32(bytes, at: offset))
    let computed = CRC32C.checksum(bytes, offset + 4..<end)
    guard stored == computed else {
      return .corrupt(
        offset: offset,
        reason: "checksum mismatch (stored \(hex32(stored)), computed \(hex32(computed)))",
        resumeAt: end)
    }
    return .record(LogRecord(offset: offset, length: Int(length), checksum: stored, end: end))
  }
  // end snippet

  private static func allZero(_ bytes: Bytes, from offset: Int) -> Bool {
    var index = offset
    while index < bytes.count {
      if bytes[index] != 0 { return false }
      index += 1
    }
    return true
  }
}

/// A record found in a log: where it is and how big it is.
public struct LogRecord: Equatable, Sendable {
  /// Where the record's header starts.
  public var offset: Int
  /// The payload's length.
  public var length: Int
  /// The CRC32C of the record (unmasked).
  public var checksum: UInt32
  /// The offset just past the record.
  public var end: Int

  /// Where the payload starts.
  public var payloadRange: Range<Int> { offset + LogFormat.headerSize..<end }
}

/// A log that cannot be trusted: bytes that were once durable are damaged.
public struct LogCorruption: Error, Equatable, CustomStringConvertible {
  /// The log file's name (relative to the database directory).
  public var file: String
  /// Where the damaged record starts.
  public var offset: Int
  /// What check failed.
  public var reason: String

  public init(file: String, offset: Int, reason: String) {
    self.file = file
    self.offset = offset
    self.reason = reason
  }

  public var description: String { "corruption in \(file) at offset \(offset): \(reason)" }
}

/// `0x` and eight lowercase hex digits.
func hex32(_ value: UInt32) -> String {
  let digits = String(value, radix: 16)
  return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
