import Chapter1WAL
import Chapter2Memtable

/// # The table file format
///
/// A sorted string table (SSTable) is an immutable file of entries sorted by
/// internal key: a frozen memtable written out, or (chapter 6) the output
/// of a compaction. It is written once, front to back, and read at random:
/// a lookup must find its key's block without reading the rest. So the
/// file ends with a fixed-size footer, which a reader finds from the file
/// size alone; the footer locates the index, and the index locates every
/// data block.
///
/// ```
///  offset        part                 contents
///  0             data block 0         entries (see BlockBuilder), then a 5-byte trailer
///  ...           data block 1, 2 ...  each starts where the previous trailer ends
///  I             index block          one entry per data block: last key -> handle
///  P             properties block     tagged figures (see TableProperties)
///  size - 56     footer               56 bytes:
///    +0            properties handle    varint offset, varint size
///                  index handle         varint offset, varint size
///                  zero padding         up to 40 bytes in all
///    +40           format version       fixed32, 1 (2: a meta block follows
///                                         the data blocks, see below)
///    +44           magic                fixed64 0x5453534843414542: "BEACHSST" in the file
///    +52           checksum             fixed32, masked CRC32C of footer bytes +0 ..< +52
/// ```
///
/// - **Keys** in every block are encoded internal keys (see
///   `InternalKeyEncoding`), so one table can hold several versions of a
///   key, tombstones included, in the same order as the memtable.
/// - **Handles** (see `BlockHandle`) are a block's offset and the size of
///   its contents, without the trailer; every block, the index and the
///   properties included, is followed by the trailer of `BlockTrailer`:
///   a type byte (0) and a masked CRC32C.
/// - **The index** holds, for each data block, the block's last key and
///   its handle, with a restart point at every entry (no prefix
///   compression: the index is small, read once at open, and binary-searched
///   exactly). To find a key, take the first index entry whose key is at or
///   after it: every key in earlier blocks is smaller, and this block's
///   last key is not. LevelDB stores a *separator* instead, the shortest
///   key between one block's last key and the next block's first, to make
///   the index smaller; the exact last key costs a few bytes per block and
///   buys a check: a reader can confirm that a block ends with the key the
///   index promised, and that the index's last key is the table's largest.
/// - **The footer** has a fixed size so that it can be found without
///   knowing anything else; the handles get 40 bytes (two handles of at
///   most 20) so that the footer's size does not depend on the file's.
///   The magic number says "this is a BeachDB table" (a hexdump shows
///   `BEACHSST` in its text column), the version says which layout, and
///   the checksum covers everything before it, padding included.
///
/// Every byte of the file belongs to exactly one checksummed part, and the
/// reader checks that the parts tile the file (data blocks from byte 0,
/// each where the previous ended, then index, properties, footer), so a
/// damaged byte anywhere is reported, never read as data.
///
/// ## A worked example
///
/// `apple #1 PUT = red` and `apricot #2 DEL`, default options, make a
/// 188-byte table:
///
/// ```
/// 00000000  00 0d 03 61 70 70 6c 65  01 01 00 00 00 00 00 00
/// 00000010  72 65 64 02 0d 00 72 69  63 6f 74 00 02 00 00 00
/// 00000020  00 00 00 00 00 00 00 01  00 00 00 00 8a 61 05 80
/// 00000030  00 0f 02 61 70 72 69 63  6f 74 00 02 00 00 00 00
/// 00000040  00 00 00 2b 00 00 00 00  01 00 00 00 00 e9 98 7f
/// 00000050  55 01 02 02 01 03 0d 61  70 70 6c 65 01 01 00 00
/// 00000060  00 00 00 00 04 0f 61 70  72 69 63 6f 74 00 02 00
/// 00000070  00 00 00 00 00 05 01 06  02 07 1c 08 03 09 01 00
/// 00000080  07 71 0f 4a 51 2e 30 1c  00 00 00 00 00 00 00 00
/// 00000090  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
/// 000000a0  00 00 00 00 00 00 00 00  00 00 00 00 01 00 00 00
/// 000000b0  42 45 41 43 48 53 53 54  38 4b 0c 28
/// ```
///
/// ```
/// data block 0, contents 0 ..< 43
///  0    00 0d 03                 shared 0, unshared 13, value 3
///  3    61 70 70 6c 65           "apple"
///  8    01 01 00 00 00 00 00 00  trailer 1 << 8 | 1: #1 PUT
///  16   72 65 64                 "red"
///  19   02 0d 00                 shares "ap", 13 new bytes, no value
///  22   72 69 63 6f 74           "ricot"
///  27   00 02 00 00 00 00 00 00  trailer 2 << 8 | 0: #2 DEL
///  35   00 00 00 00              restart[0] = 0
///  39   01 00 00 00              1 restart point
///  43   00 8a 61 05 80           trailer: type 0, checksum 0x8005618a
/// index block, contents 48 ..< 76
///  48   00 0f 02                 shared 0, unshared 15, value 2
///  51   61 70 72 69 63 6f 74 00  "apricot" #2 DEL: data block 0's last key
///       02 00 00 00 00 00 00
///  66   00 2b                    handle: offset 0, size 43
///  68   00 00 00 00 01 00 00 00  restart[0] = 0, 1 restart point
///  76   00 e9 98 7f 55           trailer: type 0, checksum 0x557f98e9
/// properties block, contents 81 ..< 127
///  81   01 02                    entryCount 2
///  83   02 01                    dataBlockCount 1
///  85   03 0d 61 70 70 6c 65 01  smallestKey: 13 bytes, apple #1 PUT
///       01 00 00 00 00 00 00
///  100  04 0f 61 70 72 69 63 6f  largestKey: 15 bytes, apricot #2 DEL
///       74 00 02 00 00 00 00 00 00
///  117  05 01  06 02             smallestSequence 1, largestSequence 2
///  121  07 1c  08 03  09 01      rawKeyBytes 28, rawValueBytes 3, deletionCount 1
///  127  00 07 71 0f 4a           trailer: type 0, checksum 0x4a0f7107
/// footer, 132 ..< 188
///  132  51 2e                    properties handle: offset 81, size 46
///  134  30 1c                    index handle: offset 48, size 28
///  136  00 ... 00                zero padding to 40 bytes
///  172  01 00 00 00              format version 1
///  176  42 45 41 43 48 53 53 54  magic: "BEACHSST"
///  184  38 4b 0c 28              checksum: mask(CRC32C of bytes 132 ..< 184) = 0x280c4b38
/// ```
///
/// (`TableFormatTests.workedExample` builds this table and checks every
/// byte.)
public enum TableFormat {
  /// The magic number at the end of every table: the eight ASCII bytes
  /// `BEACHSST` once written little-endian, so a hexdump shows the word.
  public static let magic: UInt64 = 0x5453_5348_4341_4542

  /// The format this chapter writes: data blocks, index, properties,
  /// footer.
  public static let formatVersion: UInt32 = 1

  /// The same layout with one more block between the last data block and
  /// the index: a *meta block*, which a later chapter fills (chapter 5: a
  /// bloom filter, whose layout its `FilterBlock` documents). The block
  /// needs no handle of its own: the parts tile the file, so it is exactly
  /// the bytes from the end of the last data block to the start of the
  /// index. A table without a meta block is written as version 1, so
  /// readers of this chapter still read it.
  public static let formatVersionWithMetaBlock: UInt32 = 2

  /// The versions a reader accepts.
  public static let knownVersions: ClosedRange<UInt32> = 1...2

}

/// Where a block is in the file: its offset and the size of its contents
/// (the 5-byte trailer that follows is not counted).
///
/// Encoded as two varints, so a handle takes 2 to 20 bytes.
public struct BlockHandle: Hashable, Sendable, CustomStringConvertible {
  /// The offset of the block's first byte.
  public var offset: Int
  /// The size of the block's contents, without its trailer.
  public var size: Int

  /// The longest encoding: two 10-byte varints.
  public static let maxEncodedLength = 20

  public init(offset: Int, size: Int) {
    self.offset = offset
    self.size = size
  }

  /// The offset just past the block's trailer: where the next block starts.
  public var end: Int { offset + size + BlockTrailer.size }

  /// Appends the handle: offset varint, size varint.
  public func encode(into out: inout Bytes) {
    out.appendVarint(UInt64(offset))
    out.appendVarint(UInt64(size))
  }

  /// The handle's encoding.
  public var encoded: Bytes {
    var out = Bytes()
    encode(into: &out)
    return out
  }

  /// Reads a handle, checking that the block it names ends inside a file
  /// of `fileSize` bytes (so that no later sum overflows).
  public static func decode(_ reader: inout ByteReader, fileSize: Int) throws(DecodingError) -> BlockHandle {
    let at = reader.offset
    let offset = try reader.readVarint()
    let size = try reader.readVarint()
    guard offset <= UInt64(fileSize), size <= UInt64(fileSize),
      Int(offset) + Int(size) + BlockTrailer.size <= fileSize
    else {
      throw DecodingError(
        offset: at, "block handle @\(offset) \(size) B runs past the end of the \(fileSize)-byte file")
    }
    return BlockHandle(offset: Int(offset), size: Int(size))
  }

  /// `@4096 4031 B`.
  public var description: String { "@\(offset) \(size) B" }
}

/// The fixed-size record at the very end of a table: where the index and
/// the properties are, which format this is, and a checksum of itself.
public struct Footer: Hashable, Sendable {
  /// The properties block.
  public var properties: BlockHandle
  /// The index block.
  public var index: BlockHandle
  /// The format version (`TableFormat.formatVersion`).
  public var formatVersion: UInt32

  /// Bytes in a footer: 40 of handles and padding, version 4, magic 8,
  /// checksum 4.
  public static let size = 56
  /// Bytes given to the two handles, zero-padded.
  public static let handlesSize = 2 * BlockHandle.maxEncodedLength

  public init(properties: BlockHandle, index: BlockHandle, formatVersion: UInt32 = TableFormat.formatVersion) {
    self.properties = properties
    self.index = index
    self.formatVersion = formatVersion
  }

  /// The footer's 56 bytes.
  public func encoded() -> Bytes {
    var out = Bytes()
    out.reserveCapacity(Self.size)
    properties.encode(into: &out)
    index.encode(into: &out)
    out += Bytes(repeating: 0, count: Self.handlesSize - out.count)
    out.appendFixed32(formatVersion)
    out.appendFixed64(TableFormat.magic)
    out.appendFixed32(CRC32C.mask(CRC32C.checksum(out)))
    return out
  }

  /// Decodes and checks a footer: magic first (is this a table at all?),
  /// then the checksum, the version, the handles and the padding.
  ///
  /// - Parameters:
  ///   - bytes: the last `Footer.size` bytes of the file.
  ///   - fileSize: the whole file's size, to bound the handles.
  /// - Throws: `DecodingError` with the offset within the footer.
  public static func decode(_ bytes: Bytes, fileSize: Int) throws(DecodingError) -> Footer {
    guard bytes.count == size else {
      throw DecodingError(offset: 0, "footer is \(bytes.count) bytes, expected \(size)")
    }
    var tail = ByteReader(bytes, offset: handlesSize)
    let version = try tail.readFixed32()
    let magic = try tail.readFixed64()
    let storedChecksum = try tail.readFixed32()
    guard magic == TableFormat.magic else {
      throw DecodingError(
        offset: handlesSize + 4,
        "bad magic \(Format.printable(Array(bytes[(handlesSize + 4)..<(handlesSize + 12)]))) (expected BEACHSST): "
          + "not a table, or its end is damaged")
    }
    let computed = CRC32C.mask(CRC32C.checksum(bytes, 0..<(size - 4)))
    guard storedChecksum == computed else {
      throw DecodingError(
        offset: size - 4,
        "footer checksum mismatch: stored \(BlockTrailer.hex(storedChecksum)), computed \(BlockTrailer.hex(computed))"
      )
    }
    guard TableFormat.knownVersions.contains(version) else {
      throw DecodingError(
        offset: handlesSize,
        "format version \(version) is not one this reader knows (\(TableFormat.knownVersions.lowerBound)..."
          + "\(TableFormat.knownVersions.upperBound))")
    }
    var handles = ByteReader(Array(bytes[..<handlesSize]))
    let properties = try BlockHandle.decode(&handles, fileSize: fileSize)
    let index = try BlockHandle.decode(&handles, fileSize: fileSize)
    let padding = handles.offset
    guard bytes[padding..<handlesSize].allSatisfy({ $0 == 0 }) else {
      throw DecodingError(offset: padding, "footer padding after the handles is not zero")
    }
    return Footer(properties: properties, index: index, formatVersion: version)
  }
}
