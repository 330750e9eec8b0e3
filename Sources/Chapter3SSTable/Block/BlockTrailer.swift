import Chapter1WAL

/// # The block trailer
///
/// On disk every block (data, index, properties) is followed by 5 bytes:
///
/// ```
///  type       1 byte    0 = stored as is (no compression)
///  checksum   fixed32   masked CRC32C of the block's contents and the type byte
/// ```
///
/// The checksum lets a reader fetch one block and know it is the block that
/// was written, without trusting anything else in the file: a flipped bit
/// anywhere in the contents or the type byte fails it. It covers the type
/// byte so that damage to the type cannot make a reader decode the contents
/// the wrong way.
///
/// The type byte is where LevelDB records Snappy compression. BeachDB does
/// not compress yet, so 0 is the only type; any other value is reported as
/// an unknown type rather than guessed at. A block's *handle* (see
/// `BlockHandle`) gives the size of the contents alone; the reader fetches
/// `size + 5` bytes.
///
/// The example block of `BlockBuilder`'s documentation, 40 bytes of
/// contents, gets the trailer
///
/// ```
///  00            type: no compression
///  03 e5 f4 51   mask(CRC32C of the 40 bytes and 00) = 0x51f4e503
/// ```
///
/// (`BlockFormatTests.workedExample` checks these bytes too.)
public enum BlockTrailer {
  /// Bytes after a block's contents.
  public static let size = 5

  /// The only block type there is: contents stored as they are.
  public static let uncompressed: UInt8 = 0

  /// Appends `contents` and their trailer to `out`; returns the checksum
  /// written (masked), for traces and dumps.
  @discardableResult
  public static func seal(_ contents: Bytes, into out: inout Bytes) -> UInt32 {
    let start = out.count
    out.append(contentsOf: contents)
    out.append(uncompressed)
    let crc = CRC32C.mask(CRC32C.checksum(out, start..<out.count))
    out.appendFixed32(crc)
    return crc
  }

  /// What is wrong with a block read from disk.
  public enum Problem: Error, Equatable, CustomStringConvertible {
    /// Fewer bytes than the contents and the trailer.
    case truncated(expected: Int, got: Int)
    /// The type byte is not one this reader knows.
    case unknownType(UInt8)
    /// The checksum does not match the bytes.
    case checksumMismatch(stored: UInt32, computed: UInt32)

    public var description: String {
      switch self {
      case .truncated(let expected, let got): "block is truncated: wanted \(expected) bytes, got \(got)"
      case .unknownType(let type): "unknown block type \(type) (only 0, no compression, exists)"
      case .checksumMismatch(let stored, let computed):
        "block checksum mismatch: stored \(BlockTrailer.hex(stored)), computed \(BlockTrailer.hex(computed))"
      }
    }
  }

  /// Checks a block read from disk (`size` bytes of contents, then the
  /// trailer) and returns the contents alone.
  ///
  /// The checksum is checked before the type byte: a damaged type byte is
  /// then reported as what it most likely is, damage.
  ///
  /// - Returns: the contents, the first `size` bytes of `raw`.
  /// - Throws: `Problem` if `raw` is short, the checksum fails or the type
  ///   is unknown.
  /// - Parameter checksum: the CRC32C of a range of `raw`: chapter 1's
  ///   table-driven loop unless the caller has a faster one (chapter 5
  ///   uses the processor's instruction).
  public static func verify(
    _ raw: consuming Bytes, size: Int, checksum: Checksum = CRC32C.checksum
  ) throws(Problem) -> Bytes {
    guard raw.count == size + self.size else { throw .truncated(expected: size + self.size, got: raw.count) }
    let stored = CRC32C.unmask(decodeFixed32(raw, at: size + 1))
    let computed = checksum(raw, 0..<(size + 1))
    guard stored == computed else {
      throw .checksumMismatch(stored: CRC32C.mask(stored), computed: CRC32C.mask(computed))
    }
    guard raw[size] == uncompressed else { throw .unknownType(raw[size]) }
    // `consume` hands the buffer over, so dropping the trailer copies nothing.
    var contents = consume raw
    contents.removeLast(self.size)
    return contents
  }

  /// A function computing the CRC32C of `bytes[range]`.
  public typealias Checksum = @Sendable (_ bytes: Bytes, _ range: Range<Int>) -> UInt32

  /// A checksum as eight hex digits: `0x6a6a998e`.
  public static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
  }
}
