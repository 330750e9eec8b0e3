/// # The log record format
///
/// A log file is a sequence of records and nothing else: no file header, no
/// padding. Each record frames one payload (for the write-ahead log, one
/// encoded `WriteBatch`; chapter 4's manifest reuses the same framing for
/// version edits):
///
/// ```
///  offset  size  field
///  +0      4     checksum     masked CRC32C of bytes +4 ..< +12+n: the rest of
///                             the header *and* the payload
///  +4      4     length       n, the payload size, little-endian
///  +8      4     lengthCheck  masked CRC32C of the 4 length bytes alone
///  +12     n     payload
/// ```
///
/// Why two checksums? The big one covers everything, so any damaged byte in
/// the header or the payload is caught. The small one lets a reader trust the
/// length *before* it reads the payload, and that is what lets recovery tell
/// two situations apart that look alike at the end of a file:
///
/// - **A torn tail.** The machine lost power while the last record was being
///   written. Its length is intact (lengthCheck agrees) but the file ends
///   before `+12+n`, or the file ends inside the 12-byte header. Nothing that
///   was acknowledged can be in such a record (it was never synced), so
///   recovery cuts the file back to the record's start and carries on.
/// - **Corruption.** A record whose length check fails, or whose payload is
///   complete but whose checksum does not match. That is damage to bytes that
///   were once durable; skipping it could silently drop acknowledged writes
///   that follow it, so recovery refuses to open and names the file and
///   offset. (One exception: a tail of nothing but zero bytes, which some file
///   systems leave after a crash when they extended the file but never wrote
///   the data, is treated as torn.)
///
/// Checksums are masked (see `CRC32C.mask`) because payloads may themselves
/// contain checksums, and a CRC over data that embeds CRCs is weaker.
///
/// A record's payload is at most `maxRecordSize` bytes (16 MiB by default);
/// a writer refuses larger batches rather than writing records a reader
/// would refuse.
///
/// ## A worked example
///
/// One batch, sequence 1, `put "k" "v"`, encodes as a 17-byte payload:
///
/// ```
/// 01 00 00 00 00 00 00 00   sequence 1 (fixed64)
/// 01 00 00 00               count 1 (fixed32)
/// 01                        kind: put
/// 01 6b                     key: length 1, "k"
/// 01 76                     value: length 1, "v"
/// ```
///
/// Framed as a record at offset 0, it takes 12 + 17 = 29 bytes:
///
/// ```
/// 00000000  8e f1 1b 30 11 00 00 00  64 e3 07 43 01 00 00 00
/// 00000010  00 00 00 00 01 00 00 00  01 01 6b 01 76
///
/// 8e f1 1b 30   checksum: mask(CRC32C of the 25 bytes from offset 4) = 0x301bf18e
/// 11 00 00 00   length 17
/// 64 e3 07 43   lengthCheck: mask(CRC32C of 11 00 00 00) = 0x4307e364
/// 01 00 …  76   the payload above
/// ```
///
/// (`LogFormatTests.workedExample` checks these exact bytes.)
public enum LogFormat {
  /// Bytes before the payload.
  public static let headerSize = 12
  /// The default largest payload a record may carry.
  public static let defaultMaxRecordSize = 16 << 20

  // snippet: log-frame
  /// Appends one framed record carrying `payload` to `out`.
  public static func frame(_ payload: Bytes, into out: inout Bytes) {
    let start = out.count
    out.appendFixed32(0)  // checksum, filled in below
    out.appendFixed32(UInt32(payload.count))
    out.appendFixed32(lengthCheck(UInt32(payload.count)))
    out.append(contentsOf: payload)
    let crc = CRC32C.mask(CRC32C.checksum(out, start + 4..<out.count))
    out.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: start, as: UInt32.self) }
  }
  // end snippet

  /// The masked CRC32C of a length's four little-endian bytes.
  public static func lengthCheck(_ length: UInt32) -> UInt32 {
    var bytes = Bytes()
    bytes.appendFixed32(length)
    return CRC32C.mask(CRC32C.checksum(bytes))
  }

  /// The framed size of a payload of `length` bytes.
  public static func recordSize(payloadLength length: Int) -> Int { headerSize + length }

  /// The name of the log file with number `number`: `000001.log`.
  public static func fileName(number: UInt64) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, 6 - digits.count)) + digits + ".log"
  }

  /// The number in a log file's name, or `nil` if `name` is not exactly
  /// the name the engine gives a log (`7.log` and `0000007.log` are not:
  /// the engine never reads or removes a file it did not name).
  public static func number(fromFileName name: String) -> UInt64? {
    guard name.hasSuffix(".log"), let number = UInt64(name.dropLast(4)), fileName(number: number) == name else {
      return nil
    }
    return number
  }
}
