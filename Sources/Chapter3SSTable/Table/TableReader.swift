import Chapter1WAL
import Chapter2Memtable
import Synchronization

/// Reading a table: open it from the footer, then fetch one data block per
/// lookup.
///
/// `open` reads the three small parts at the end of the file and checks
/// them before it trusts anything: the footer (magic, checksum, version),
/// the properties block and the index block. It keeps the index in memory,
/// decoded: a sorted array of each data block's last key and handle. It
/// also checks that the blocks tile the file exactly (data blocks from
/// byte 0, each starting where the previous one's trailer ends, then the
/// index, the properties, the footer), so every byte of the file belongs
/// to exactly one checksummed part and a damaged handle cannot point
/// anywhere but where it must.
///
/// A lookup then costs one binary search in memory and **one data block
/// read**: the first index entry whose key is at or after the lookup key
/// names the only block that can hold it (index keys are the blocks' last
/// keys). A key outside the table's range costs no read at all; a key
/// inside the range but absent costs a read that finds nothing. Chapter 5
/// adds bloom filters to skip that read, and a block cache to skip the
/// disk; this chapter reads through the `FileSystem` every time and counts
/// the blocks it reads, so the evidence can show what the later chapters
/// save.
///
/// Every block read is verified (checksum, then the block format, then the
/// keys in it) and every failure is a `TableError` naming the file, the
/// byte offset and what failed. A reader is immutable after `open` and
/// safe to share between threads; each iterator is a value of its own.
public final class TableReader: Sendable {
  /// The file's name, for errors and traces.
  public let name: String
  /// The file's size in bytes.
  public let fileSize: Int
  /// The footer, as read.
  public let footer: Footer
  /// The properties, as read.
  public let properties: TableProperties
  /// Index: data block `i`'s last key, encoded.
  let indexKeys: [Bytes]
  /// Index: data block `i`'s handle.
  let blockHandles: [BlockHandle]
  /// The meta block of a format 2 table (chapter 5: its filter), verified;
  /// nil in format 1.
  public let metaBlock: Bytes?
  /// Where the meta block is; nil in format 1.
  public let metaBlockHandle: BlockHandle?
  let file: any ReadableFile
  let tracer: Tracer
  /// Where data blocks come from: nil reads the file every time (this
  /// chapter); chapter 5 supplies a cache.
  let blocks: (any TableBlockSource)?
  private let blocksReadCounter = Atomic<Int>(0)

  private init(
    name: String, file: any ReadableFile, footer: Footer, properties: TableProperties, index: TableIndex,
    meta: (handle: BlockHandle, contents: Bytes)?, tracer: Tracer, blocks: (any TableBlockSource)?
  ) {
    self.name = name
    self.file = file
    self.fileSize = file.size
    self.footer = footer
    self.properties = properties
    self.indexKeys = index.keys
    self.blockHandles = index.handles
    self.metaBlockHandle = meta?.handle
    self.metaBlock = meta?.contents
    self.tracer = tracer
    self.blocks = blocks
  }

  deinit { try? file.close() }

  /// Opens the table at `path`, reading and verifying its footer,
  /// properties and index.
  ///
  /// - Parameters:
  ///   - path: the file.
  ///   - name: its name in errors and traces, e.g. `000005.sst`.
  ///   - fileSystem: where the file is.
  ///   - tracer: receives `sstable` events for open and each block read.
  ///   - blocks: where data blocks come from; nil (this chapter) reads the
  ///     file for each. Chapter 5 passes its block cache.
  /// - Throws: `TableError.io` if the file cannot be read,
  ///   `TableError.corrupt` naming the part that failed its checks.
  public static func open(
    path: String, name: String, fileSystem: any FileSystem, tracer: Tracer = .disabled,
    blocks: (any TableBlockSource)? = nil
  ) throws(TableError) -> TableReader {
    let file: any ReadableFile
    do throws(FileSystemError) {
      file = try fileSystem.openReadable(path)
    } catch {
      throw .io(file: name, error)
    }
    do throws(TableError) {
      let footer = try readFooter(file, name: name)
      let properties = try readProperties(file, name: name, footer: footer)
      let index = try readIndex(file, name: name, footer: footer)
      try check(index, against: properties, footer: footer, name: name)
      let meta = try readMetaBlock(file, name: name, footer: footer, index: index)
      tracer(
        .sstable, "open", name,
        "\(file.size) B, \(Format.plural(index.keys.count, "data block")), "
          + "\(Format.plural(properties.entryCount, "entry", "entries")), keys \(properties.smallestKey) ... "
          + "\(properties.largestKey)",
        why: "the footer locates the index and properties; the index stays in memory so that a lookup reads "
          + "one data block")
      return TableReader(
        name: name, file: file, footer: footer, properties: properties, index: index, meta: meta, tracer: tracer,
        blocks: blocks)
    } catch {
      try? file.close()
      throw error
    }
  }

  /// Data blocks read since the table was opened, by lookups and iterators
  /// (the footer, index and properties read by `open` are not counted).
  public var blocksRead: Int { blocksReadCounter.load(ordering: .relaxed) }

  /// The number of data blocks.
  public var dataBlockCount: Int { blockHandles.count }

  /// The index, decoded: each data block's last key and handle.
  public var index: [(lastKey: InternalKey, handle: BlockHandle)] {
    zip(indexKeys, blockHandles).map { (InternalKeyEncoding.decodeUnchecked($0), $1) }
  }

  // snippet: table-get
  /// The newest version of `key` with a sequence number at most `snapshot`,
  /// exactly as `Memtable.get` answers: `.found`, `.deleted(at:)` (a
  /// tombstone hides anything older) or `.notFound`.
  ///
  /// - Returns: the answer and the number of data blocks read for it: 0
  ///   when the key is past the table's last key, otherwise 1.
  /// - Throws: `TableError` if the block cannot be read or is damaged.
  /// - Complexity: O(log b) comparisons in the index (b data blocks), one
  ///   block read, O(log r + interval) comparisons in the block.
  public func get(_ key: Bytes, snapshot: SequenceNumber) throws(TableError) -> (
    result: LookupResult, blocksRead: Int
  ) {
    // Every stored sequence number is at most maxSequence, so clamping the
    // snapshot changes no answer and keeps the target encodable.
    let sequence = min(snapshot, InternalKeyEncoding.maxSequence)
    let target = InternalKeyEncoding.encode(InternalKey(key, sequence: sequence, kind: .value))
    let blockNumber = firstBlock(atOrAfter: target)
    guard blockNumber < blockHandles.count else {
      tracer(
        .sstable, "read", name,
        "no block for \(Format.printable(key)) @\(snapshot): past the last key \(properties.largestKey)",
        why: "the index's last key is before the lookup key, so no block of this table can hold it")
      return (.notFound, 0)
    }
    let held = try dataBlock(blockNumber)
    var iterator = held.block.makeIterator(.internalKey)
    do throws(BlockCorruption) {
      try iterator.seek(target)
    } catch {
      throw corruption(inBlock: blockNumber, error)
    }
    guard iterator.isValid else {
      throw corruption(inBlock: blockNumber, BlockCorruption(offset: 0, "block ends before its index key"))
    }
    if let problem = iterator.withUnsafeKey({ InternalKeyEncoding.problem($0) }) {
      throw corruption(inBlock: blockNumber, BlockCorruption(offset: iterator.entryOffset, problem))
    }
    let (matches, trailer) = iterator.withUnsafeKey { found in
      key.withUnsafeBytes { compareBytes(InternalKeyEncoding.userKey(found), $0) == 0 }
        ? (true, InternalKeyEncoding.trailer(found)) : (false, 0)
    }
    let result: LookupResult
    if !matches {
      result = .notFound
    } else if trailer & 0xFF == UInt64(ValueKind.deletion.rawValue) {
      result = .deleted(at: trailer >> 8)
    } else {
      result = .found(iterator.value)
    }
    tracer(
      .sstable, "read", name,
      "block \(blockNumber) @ \(blockHandles[blockNumber].offset), \(blockHandles[blockNumber].size) B "
        + "for \(Format.printable(key)) @\(snapshot): \(describe(result))",
      why: "block \(blockNumber) is the first whose last key is at or after (\(Format.printable(key)), \(sequence)); "
        + "only it can hold the newest version visible at the snapshot")
    return (result, held.wasRead ? 1 : 0)
  }
  // end snippet

  /// An iterator over every entry, every version, in internal-key order.
  public func makeIterator() -> TableIterator { TableIterator(table: self) }

  /// The first data block whose last key is at or after `target` (an
  /// encoded internal key), or `dataBlockCount` if there is none.
  func firstBlock(atOrAfter target: Bytes) -> Int {
    var low = 0
    var high = indexKeys.count
    while low < high {
      let middle = (low + high) / 2
      if compareInternalKeys(indexKeys[middle], target) < 0 {
        low = middle + 1
      } else {
        high = middle
      }
    }
    return low
  }

  /// Data block `number`, from the block source if there is one, else
  /// read from the file.
  func dataBlock(_ number: Int) throws(TableError) -> HeldBlock {
    if let blocks { return try blocks.dataBlock(number, of: self) }
    return HeldBlock(block: try loadDataBlock(number), pin: nil, wasRead: true)
  }

  /// Reads, verifies and decodes data block `number` from the file, and
  /// counts the read. A block source calls this on a miss.
  ///
  /// - Parameter checksum: the CRC32C used to verify the block.
  public func loadDataBlock(
    _ number: Int, checksum: BlockTrailer.Checksum = CRC32C.checksum
  ) throws(TableError) -> Block {
    let handle = blockHandles[number]
    blocksReadCounter.add(1, ordering: .relaxed)
    let contents = try Self.readBlock(
      file, name: name, handle: handle, what: "data block \(number)", checksum: checksum)
    do throws(BlockCorruption) {
      return try Block(contents)
    } catch {
      throw corruption(inBlock: number, error)
    }
  }

  /// Where data block `number` is.
  public func handle(ofBlock number: Int) -> BlockHandle { blockHandles[number] }

  /// A `TableError` for damage found inside data block `number`.
  func corruption(inBlock number: Int, _ error: BlockCorruption) -> TableError {
    let handle = blockHandles[number]
    return .corrupt(
      file: name, offset: handle.offset + error.offset,
      what: "data block \(number) @ \(handle.offset) (\(handle.size) B): \(error.message) at block byte \(error.offset)"
    )
  }

  private func describe(_ result: LookupResult) -> String {
    switch result {
    case .found(let value): "found \(Format.printable(value))"
    case .deleted(let sequence): "deleted at #\(sequence)"
    case .notFound: "not in this table"
    }
  }
}

/// The index block, decoded and checked.
struct TableIndex {
  var keys: [Bytes] = []
  var handles: [BlockHandle] = []
  /// Where the data blocks end: the index, or in format 2 the meta block,
  /// starts here.
  var dataEnd = 0
}

/// A data block as a read holds it: the block, and whatever keeps it from
/// being evicted meanwhile (chapter 5's cache handle; nothing when it was
/// read straight from the file).
public struct HeldBlock: Sendable {
  public var block: Block
  /// Released when the holder is done with the block.
  public var pin: (any AnyObject & Sendable)?
  /// Whether getting it read the file (a cache miss, or no cache).
  public var wasRead: Bool

  public init(block: Block, pin: (any AnyObject & Sendable)?, wasRead: Bool) {
    self.block = block
    self.pin = pin
    self.wasRead = wasRead
  }
}

/// Where a table's data blocks come from, if not straight from its file:
/// chapter 5's block cache. On a miss the source calls
/// `table.loadDataBlock(number)`.
public protocol TableBlockSource: Sendable {
  /// Data block `number` of `table`.
  func dataBlock(_ number: Int, of table: TableReader) throws(TableError) -> HeldBlock
}

extension TableReader {
  /// Reads and checks the footer at the end of `file`.
  static func readFooter(_ file: any ReadableFile, name: String) throws(TableError) -> Footer {
    let size = file.size
    guard size >= Footer.size else {
      throw .corrupt(
        file: name, offset: 0, what: "file of \(size) bytes is too short to be a table (the footer alone is 56)")
    }
    let start = size - Footer.size
    let bytes = try read(file, name: name, at: start, count: Footer.size)
    do throws(DecodingError) {
      return try Footer.decode(bytes, fileSize: size)
    } catch {
      throw .corrupt(file: name, offset: start + error.offset, what: "footer: \(error.message)")
    }
  }

  /// Reads and decodes the properties block named by `footer`.
  static func readProperties(_ file: any ReadableFile, name: String, footer: Footer) throws(TableError)
    -> TableProperties
  {
    let handle = footer.properties
    let expectedEnd = file.size - Footer.size
    guard handle.end == expectedEnd else {
      throw .corrupt(
        file: name, offset: expectedEnd,
        what: "footer: properties block \(handle) ends at \(handle.end), not where the footer starts (\(expectedEnd))")
    }
    let contents = try readBlock(file, name: name, handle: handle, what: "properties block")
    do throws(DecodingError) {
      return try TableProperties.decode(contents)
    } catch {
      throw .corrupt(
        file: name, offset: handle.offset + error.offset, what: "properties block @ \(handle.offset): \(error)")
    }
  }

  /// Reads the index block named by `footer`, decodes every entry and
  /// checks that the keys increase and the handles tile the data region.
  static func readIndex(_ file: any ReadableFile, name: String, footer: Footer) throws(TableError) -> TableIndex {
    let handle = footer.index
    guard handle.end == footer.properties.offset else {
      throw .corrupt(
        file: name, offset: file.size - Footer.size,
        what: "footer: index block \(handle) ends at \(handle.end), not where the properties block starts "
          + "(\(footer.properties.offset))")
    }
    let contents = try readBlock(file, name: name, handle: handle, what: "index block")
    func corrupt(_ offset: Int, _ message: String) -> TableError {
      .corrupt(file: name, offset: handle.offset + offset, what: "index block @ \(handle.offset): \(message)")
    }
    var index = TableIndex()
    do throws(BlockCorruption) {
      var iterator = try Block(contents).makeIterator(.internalKey)
      try iterator.seekToFirst()
      var nextOffset = 0
      while iterator.isValid {
        let at = iterator.entryOffset
        if let problem = iterator.withUnsafeKey({ InternalKeyEncoding.problem($0) }) {
          throw BlockCorruption(offset: at, "entry \(index.keys.count): \(problem)")
        }
        if let previous = index.keys.last, compareInternalKeys(previous, iterator.key) >= 0 {
          throw BlockCorruption(offset: at, "entry \(index.keys.count): key does not follow the previous entry's")
        }
        var value = ByteReader(iterator.value)
        let blockHandle: BlockHandle
        do throws(DecodingError) {
          blockHandle = try BlockHandle.decode(&value, fileSize: file.size)
          guard value.isAtEnd else { throw DecodingError(offset: value.offset, "trailing bytes after the handle") }
        } catch {
          throw BlockCorruption(offset: at, "entry \(index.keys.count): \(error)")
        }
        guard blockHandle.offset == nextOffset else {
          throw BlockCorruption(
            offset: at,
            "entry \(index.keys.count): data block \(blockHandle) does not start where the previous one ends "
              + "(\(nextOffset))")
        }
        nextOffset = blockHandle.end
        index.keys.append(iterator.key)
        index.handles.append(blockHandle)
        try iterator.next()
      }
      // Format 2 has a meta block between the data and the index (at least
      // its trailer); format 1 has nothing there.
      let hasMeta = footer.formatVersion == TableFormat.formatVersionWithMetaBlock
      guard hasMeta ? nextOffset + BlockTrailer.size <= handle.offset : nextOffset == handle.offset else {
        throw BlockCorruption(
          offset: contents.count,
          "data blocks end at \(nextOffset), not where the \(hasMeta ? "meta" : "index") block starts")
      }
      index.dataEnd = nextOffset
    } catch {
      throw corrupt(error.offset, error.description)
    }
    return index
  }

  /// Cross-checks the index against the properties.
  static func check(
    _ index: TableIndex, against properties: TableProperties, footer: Footer, name: String
  ) throws(TableError) {
    guard index.keys.count == properties.dataBlockCount else {
      throw .corrupt(
        file: name, offset: footer.index.offset,
        what: "index has \(Format.plural(index.keys.count, "entry", "entries")) but the properties count "
          + "\(Format.plural(properties.dataBlockCount, "data block"))")
    }
    guard index.keys.last == InternalKeyEncoding.encode(properties.largestKey) else {
      throw .corrupt(
        file: name, offset: footer.index.offset,
        what: "index's last key is not the properties' largest key \(properties.largestKey)")
    }
  }

  /// Reads a format 2 table's meta block: exactly the bytes between the
  /// data blocks and the index, with its trailer.
  static func readMetaBlock(
    _ file: any ReadableFile, name: String, footer: Footer, index: TableIndex
  ) throws(TableError) -> (handle: BlockHandle, contents: Bytes)? {
    guard footer.formatVersion == TableFormat.formatVersionWithMetaBlock else { return nil }
    let handle = BlockHandle(offset: index.dataEnd, size: footer.index.offset - index.dataEnd - BlockTrailer.size)
    return (handle, try readBlock(file, name: name, handle: handle, what: "meta block"))
  }

  /// Reads the block `handle` names with its trailer, and returns its
  /// verified contents.
  static func readBlock(
    _ file: any ReadableFile, name: String, handle: BlockHandle, what: String,
    checksum: BlockTrailer.Checksum = CRC32C.checksum
  ) throws(TableError) -> Bytes {
    let raw = try read(file, name: name, at: handle.offset, count: handle.size + BlockTrailer.size)
    do throws(BlockTrailer.Problem) {
      return try BlockTrailer.verify(raw, size: handle.size, checksum: checksum)
    } catch {
      // A checksum covers the whole block: the damage is somewhere in it.
      let end = handle.offset + handle.size + BlockTrailer.size
      throw .corrupt(
        file: name, offset: handle.offset,
        what: "\(what) (bytes \(handle.offset)..<\(end): \(handle.size) B and its trailer): \(error)")
    }
  }

  /// Reads `count` bytes at `offset`, wrapping a file-system failure.
  static func read(_ file: any ReadableFile, name: String, at offset: Int, count: Int) throws(TableError) -> Bytes {
    do throws(FileSystemError) {
      return try file.read(at: offset, count: count)
    } catch {
      throw .io(file: name, error)
    }
  }
}
