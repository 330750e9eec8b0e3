import Chapter1WAL
import Chapter2Memtable

/// Writing a table: sorted entries in, the file format of `TableFormat` out.
///
/// The builder streams. Entries go into the current data block; when the
/// block reaches the target size it is sealed with its trailer, appended to
/// the file, and its last key and handle become an entry of the index
/// block, which stays in memory. `finish` writes the last data block, the
/// index, the properties and the footer. Memory use is one data block plus
/// the index (about 30 bytes per data block), whatever the size of the
/// table, which is what lets compaction (chapter 6) write large tables.
///
/// The builder checks what the format relies on: keys strictly increasing
/// (a duplicate would make lookups ambiguous, a key out of order would make
/// binary search wrong), sequence numbers that fit the key trailer, and at
/// least one entry. It does not sync: making the file durable and giving
/// it its final name is the caller's job (the flush in `Flush/` syncs the
/// file, renames it and syncs the directory), because only the caller knows
/// when the table is to be published.
///
/// Not thread-safe: one writer builds a table.
public final class TableBuilder {
  /// The file's name, for errors and traces (no directory: traces stay
  /// the same wherever the database lives).
  public let name: String
  /// How blocks are cut.
  public let options: TableOptions
  private let file: any WritableFile
  private let tracer: Tracer
  private var dataBlock: BlockBuilder
  /// One entry per data block written: its last key → its handle. Every
  /// entry a restart point, so a lookup's binary search lands exactly.
  private var indexBlock = BlockBuilder(restartInterval: 1)
  /// Bytes appended to the file so far.
  private var offset = 0
  private var dataBlockCount = 0
  /// The encoded key of the previous entry.
  private var lastKey: Bytes = []
  private var scratch: Bytes = []
  private var smallestKey: InternalKey?
  private var largestKey: InternalKey?
  private var smallestSequence = SequenceNumber.max
  private var largestSequence: SequenceNumber = 0
  private var rawKeyBytes = 0
  private var rawValueBytes = 0
  private var deletionCount = 0
  /// The first error, repeated by every later call.
  private var failure: TableError?
  private var finished = false
  /// Entries added so far.
  public private(set) var entryCount = 0
  /// Sees every key and writes a block of its own before the index
  /// (chapter 5's filter); nil in this chapter.
  private let metaBlock: (any TableMetaBlockBuilder)?

  /// A builder that writes to `file`, which should be empty.
  ///
  /// - Parameters:
  ///   - file: where the table goes; the builder appends, never syncs or closes.
  ///   - name: the file's name for errors and traces, e.g. `000005.sst`.
  ///   - options: block size and restart interval.
  ///   - tracer: receives an `sstable` event per block and one at the end.
  ///   - metaBlock: sees every entry's user key and supplies one more block,
  ///     written after the data blocks (format version 2); chapter 5's
  ///     bloom filter. Nil writes format version 1.
  public init(
    file: any WritableFile, name: String, options: TableOptions = .init(), tracer: Tracer = .disabled,
    metaBlock: (any TableMetaBlockBuilder)? = nil
  ) {
    self.file = file
    self.name = name
    self.options = options
    self.tracer = tracer
    self.metaBlock = metaBlock
    self.dataBlock = BlockBuilder(restartInterval: options.restartInterval)
  }

  /// The file's size so far: bytes written plus the open data block with its
  /// trailer (exact, not a guess), but not the index, properties and footer
  /// that `finish` adds. After `finish`, the file's size. Compaction
  /// (chapter 6) watches it to cut its output into tables of a target size.
  public var estimatedSize: Int { offset + (dataBlock.isEmpty ? 0 : dataBlock.estimatedSize + BlockTrailer.size) }

  /// Adds an entry. Keys must strictly increase; a tombstone's value is
  /// stored empty, as in the memtable.
  ///
  /// REQUIRES: `finish` not called yet.
  ///
  /// - Throws: `TableError.outOfOrder` (naming both keys) if `key` does not
  ///   sort after the previous key, `.sequenceTooLarge` if its sequence
  ///   number is 2^56 or more, `.io` if a full block cannot be written.
  public func add(_ key: InternalKey, value: Bytes) throws(TableError) {
    precondition(!finished, "TableBuilder.add after finish")
    if let failure { throw failure }
    guard key.sequence <= InternalKeyEncoding.maxSequence else { throw .sequenceTooLarge(file: name, key: key) }
    scratch.removeAll(keepingCapacity: true)
    InternalKeyEncoding.append(key, to: &scratch)
    if entryCount > 0 && compareInternalKeys(lastKey, scratch) >= 0 {
      throw .outOfOrder(file: name, previous: InternalKeyEncoding.decodeUnchecked(lastKey), key: key)
    }
    let stored = key.kind == .deletion ? [] : value
    dataBlock.add(scratch, stored)
    if let metaBlock { scratch.withUnsafeBytes { metaBlock.add(userKey: InternalKeyEncoding.userKey($0)) } }
    swap(&lastKey, &scratch)

    if smallestKey == nil { smallestKey = key }
    largestKey = key
    smallestSequence = min(smallestSequence, key.sequence)
    largestSequence = max(largestSequence, key.sequence)
    rawKeyBytes += lastKey.count
    rawValueBytes += stored.count
    if key.kind == .deletion { deletionCount += 1 }
    entryCount += 1

    if dataBlock.estimatedSize >= options.blockSize { try writeDataBlock(isLast: false) }
  }

  /// Writes the last data block, the index block, the properties block and
  /// the footer. Does not sync or close the file.
  ///
  /// REQUIRES: `finish` not called yet.
  ///
  /// - Returns: the table's properties, as stored in it.
  /// - Throws: `TableError.empty` if no entry was added, `.io` if a write
  ///   fails.
  @discardableResult
  public func finish() throws(TableError) -> TableProperties {
    precondition(!finished, "TableBuilder.finish called twice")
    if let failure { throw failure }
    guard entryCount > 0, let smallestKey, let largestKey else { throw .empty(file: name) }
    if !dataBlock.isEmpty { try writeDataBlock(isLast: true) }
    finished = true

    let properties = TableProperties(
      entryCount: entryCount, dataBlockCount: dataBlockCount, smallestKey: smallestKey, largestKey: largestKey,
      smallestSequence: smallestSequence, largestSequence: largestSequence, rawKeyBytes: rawKeyBytes,
      rawValueBytes: rawValueBytes, deletionCount: deletionCount)
    var metaSize: Int?
    if let metaBlock {
      let contents = metaBlock.finish()
      var sealed = Bytes()
      BlockTrailer.seal(contents, into: &sealed)
      try write(sealed)
      metaSize = contents.count
    }
    var out = Bytes()
    let indexContents = indexBlock.finish()
    let indexHandle = BlockHandle(offset: offset, size: indexContents.count)
    BlockTrailer.seal(indexContents, into: &out)
    let propertiesContents = properties.encoded()
    let propertiesHandle = BlockHandle(offset: indexHandle.end, size: propertiesContents.count)
    BlockTrailer.seal(propertiesContents, into: &out)
    let version = metaBlock == nil ? TableFormat.formatVersion : TableFormat.formatVersionWithMetaBlock
    out += Footer(properties: propertiesHandle, index: indexHandle, formatVersion: version).encoded()
    try write(out)

    tracer(
      .sstable, "finish", name,
      "\(Format.plural(dataBlockCount, "data block")), \(metaSize.map { "meta block \($0) B, " } ?? "")"
        + "index \(indexContents.count) B, "
        + "properties \(propertiesContents.count) B, \(offset) B; \(Format.plural(entryCount, "entry", "entries")), "
        + "keys \(smallestKey) ... \(largestKey)",
      why: "the index, the properties and the fixed-size footer go last: a reader starts at the footer and finds "
        + "everything else from it; the caller syncs the file before publishing it")
    return properties
  }

  /// Seals the current data block, appends it, and indexes it by its last key.
  private func writeDataBlock(isLast: Bool) throws(TableError) {
    let contents = dataBlock.finish()
    var out = Bytes()
    out.reserveCapacity(contents.count + BlockTrailer.size)
    BlockTrailer.seal(contents, into: &out)
    let handle = BlockHandle(offset: offset, size: contents.count)
    try write(out)
    indexBlock.add(dataBlock.lastAddedKey, handle.encoded)
    let entries = dataBlock.entryCount
    tracer(
      .sstable, "block", name,
      "block \(dataBlockCount) @ \(handle.offset), \(contents.count) B, \(Format.plural(entries, "entry", "entries")), "
        + "last key \(InternalKeyEncoding.decodeUnchecked(dataBlock.lastAddedKey))",
      why: (isLast
        ? "the table is finishing, so its last block goes out whatever its size"
        : "the block reached the \(options.blockSize)-byte target")
        + "; it goes to the file with its checksum, and the index keeps its last key and where it is")
    dataBlockCount += 1
    dataBlock.reset()
  }

  /// Appends `bytes` to the file, remembering a failure for later calls.
  private func write(_ bytes: Bytes) throws(TableError) {
    do throws(FileSystemError) {
      try file.append(bytes)
    } catch {
      failure = .io(file: name, error)
      throw .io(file: name, error)
    }
    offset += bytes.count
  }
}

extension TraceComponent {
  /// Sorted string tables: blocks written, tables finished, blocks read.
  public static let sstable: TraceComponent = "sstable"
}

/// How a table is cut into blocks.
public struct TableOptions: Sendable, Equatable {
  /// The target size of a data block's contents, in bytes. A block is
  /// closed as soon as it reaches this size, so blocks are this size plus
  /// at most one entry. Bigger blocks mean a smaller index and more bytes
  /// read per lookup.
  public var blockSize: Int
  /// Entries between restart points in data blocks. 1 stores every key
  /// whole: no prefix compression. (The index block always uses 1.)
  public var restartInterval: Int

  /// REQUIRES: `blockSize >= 1`, `restartInterval >= 1`.
  public init(blockSize: Int = 4096, restartInterval: Int = 16) {
    precondition(blockSize >= 1 && restartInterval >= 1, "block size and restart interval must be positive")
    self.blockSize = blockSize
    self.restartInterval = restartInterval
  }
}

/// A block a table carries beside its data: it sees every entry's user key
/// as the table is built, and its contents are written between the last
/// data block and the index (format version 2). This chapter writes none;
/// chapter 5's bloom filter is one.
public protocol TableMetaBlockBuilder: AnyObject {
  /// The user key of the next entry, in table order (a key with several
  /// versions comes once per version).
  func add(userKey: UnsafeRawBufferPointer)
  /// The block's contents, once every key is in.
  func finish() -> Bytes
}
