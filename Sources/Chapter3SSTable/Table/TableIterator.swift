import Chapter1WAL
import Chapter2Memtable

/// A position in a table: which data block, and where in it.
///
/// A two-level iterator, as LevelDB calls it: the index (in memory) says
/// which block comes next, and a `BlockIterator` walks inside the block
/// read from the file. Moving within a block costs nothing but decoding;
/// crossing into the next block reads it (one `ReadableFile.read`, counted
/// in `TableReader.blocksRead`). A full scan therefore reads every data
/// block once, in file order.
///
/// As it leaves a block, the iterator checks that the block's last key is
/// the key the index holds for it. Together with the checksums this means
/// a scan notices a block that is intact but not the one the index meant
/// (an index pointing at the wrong place), instead of returning its
/// entries as if they belonged there.
///
/// Any failure leaves the iterator invalid and throws a `TableError`
/// naming the file and the block.
public struct TableIterator: InternalIterator, Sendable {
  /// The table being read.
  public let table: TableReader
  /// The current data block's number; `table.dataBlockCount` when invalid.
  public private(set) var blockNumber: Int
  /// The position in the current data block (in `Block.empty` when the
  /// iterator is at no entry). Read in place: a copy would share its key
  /// buffer and make the next step copy the key.
  private var block = Block.empty.makeIterator(.internalKey)
  /// Keeps the current block in the cache while the iterator is in it
  /// (chapter 5); nil when blocks come straight from the file.
  private var pin: (any AnyObject & Sendable)?

  init(table: TableReader) {
    self.table = table
    self.blockNumber = table.dataBlockCount
  }

  /// Whether the iterator is at an entry.
  public var isValid: Bool { block.isValid }

  /// The current entry's internal key (decoded into a copy). REQUIRES: `isValid`.
  public var key: InternalKey {
    precondition(isValid, "TableIterator.key on an invalid iterator")
    return InternalKeyEncoding.decodeUnchecked(block.key)
  }

  /// The current entry's value (empty for a tombstone). REQUIRES: `isValid`.
  public var value: Bytes {
    precondition(isValid, "TableIterator.value on an invalid iterator")
    return block.value
  }

  /// Lends the current key where the block iterator decoded it. REQUIRES: `isValid`.
  public func withUnsafeKey<R>(_ body: (BorrowedKey) throws -> R) rethrows -> R {
    precondition(isValid, "TableIterator.withUnsafeKey on an invalid iterator")
    return try block.withUnsafeKey { try body(BorrowedKey(encoded: $0)) }
  }

  /// Lends the current value where it lies in the block. REQUIRES: `isValid`.
  public func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    precondition(isValid, "TableIterator.withUnsafeValue on an invalid iterator")
    return try block.withUnsafeValue(body)
  }

  /// Moves to the first entry of the table.
  public mutating func seekToFirst() throws(TableError) {
    try enter(0) { (iterator) throws(BlockCorruption) in try iterator.seekToFirst() }
  }

  /// Moves to the last entry of the table.
  public mutating func seekToLast() throws(TableError) {
    try enter(table.dataBlockCount - 1) { (iterator) throws(BlockCorruption) in try iterator.seekToLast() }
    try checkBlockEndsAtIndexKey()
  }

  /// Moves to the first entry at or after `target`, or invalid if there is
  /// none.
  ///
  /// - Complexity: a binary search in the index, one block read, a seek in
  ///   the block. A seek that lands in the block the iterator is already
  ///   in reads nothing.
  public mutating func seek(_ target: InternalKey) throws(TableError) {
    let sequence = min(target.sequence, InternalKeyEncoding.maxSequence)
    let encoded = InternalKeyEncoding.encode(InternalKey(target.userKey, sequence: sequence, kind: target.kind))
    let number = table.firstBlock(atOrAfter: encoded)
    guard number < table.dataBlockCount else {
      invalidate()
      return
    }
    guard number == blockNumber, block.isValid else {
      return try enter(number) { (iterator) throws(BlockCorruption) in try iterator.seek(encoded) }
    }
    try step { (iterator) throws(BlockCorruption) in try iterator.seek(encoded) }
    guard block.isValid else {
      invalidate()
      throw table.corruption(inBlock: number, BlockCorruption(offset: 0, "block ends before its index key"))
    }
    try settle()
  }

  /// Moves to the next entry, reading the next block when this one ends.
  /// REQUIRES: `isValid`.
  public mutating func next() throws(TableError) {
    precondition(isValid, "TableIterator.next() on an invalid iterator")
    try step { (iterator) throws(BlockCorruption) in try iterator.next() }
    if block.isValid {
      try settle()
      // The block iterator kept the key before this one: compare in place.
      let ordered = block.withUnsafePreviousKey { previous in
        block.withUnsafeKey { compareInternalKeys(previous, $0) < 0 }
      }
      if ordered == false { try outOfOrder(after: block.withUnsafePreviousKey { Bytes($0) } ?? [], forward: true) }
      return
    }
    // Off the end of this block (its iterator still holds the last key):
    // it must have ended with its index key.
    try checkBlockEndsAtIndexKey()
    let following = blockNumber + 1
    guard following < table.dataBlockCount else {
      invalidate()
      return
    }
    try enter(following) { (iterator) throws(BlockCorruption) in try iterator.seekToFirst() }
    // That last key is the index key, checked above.
    try checkOrder(from: table.indexKeys[following - 1], forward: true)
  }

  /// Moves to the previous entry, reading the previous block when this one
  /// is exhausted. REQUIRES: `isValid`.
  public mutating func prev() throws(TableError) {
    precondition(isValid, "TableIterator.prev() on an invalid iterator")
    let previous = block.key  // a copy: backward steps are rare, and pay for one
    try step { (iterator) throws(BlockCorruption) in try iterator.prev() }
    if block.isValid {
      try settle()
      return try checkOrder(from: previous, forward: false)
    }
    let preceding = blockNumber - 1
    guard preceding >= 0 else {
      invalidate()
      return
    }
    try enter(preceding) { (iterator) throws(BlockCorruption) in try iterator.seekToLast() }
    try checkBlockEndsAtIndexKey()
    try checkOrder(from: previous, forward: false)
  }

  /// Reads block `number`, positions in it with `position`, and settles.
  /// A data block always has entries (the builder writes no empty one), so
  /// landing nowhere is damage.
  private mutating func enter(
    _ number: Int, _ position: (inout BlockIterator) throws(BlockCorruption) -> Void
  ) throws(TableError) {
    do throws(TableError) {
      let held = try table.dataBlock(number)
      let data = held.block
      pin = held.pin
      table.tracer(
        .sstable, "read", table.name,
        "block \(number) @ \(table.blockHandles[number].offset), \(table.blockHandles[number].size) B (iterator)",
        why: "the iterator moved into block \(number); blocks are read one at a time, as the scan reaches them")
      blockNumber = number
      var iterator = data.makeIterator(.internalKey)
      do throws(BlockCorruption) {
        try position(&iterator)
      } catch {
        throw table.corruption(inBlock: number, error)
      }
      block = iterator
      guard iterator.isValid else {
        throw table.corruption(inBlock: number, BlockCorruption(offset: 0, "block ends before its index key"))
      }
      try settle()
    } catch {
      invalidate()
      throw error
    }
  }

  /// Moves within the current block, in place (a copy would share the
  /// key buffer and make every step copy it).
  private mutating func step(_ move: (inout BlockIterator) throws(BlockCorruption) -> Void) throws(TableError) {
    guard block.isValid else { return }
    do throws(BlockCorruption) {
      try move(&block)
    } catch {
      let number = blockNumber
      invalidate()
      throw table.corruption(inBlock: number, error)
    }
  }

  /// Checks that the block iterator's current key is an internal key, in
  /// place.
  private mutating func settle() throws(TableError) {
    guard block.isValid else { return }
    if let problem = block.withUnsafeKey({ InternalKeyEncoding.problem($0) }) {
      let number = blockNumber
      let offset = block.entryOffset
      invalidate()
      throw table.corruption(inBlock: number, BlockCorruption(offset: offset, problem))
    }
  }

  /// Checks that the entry just reached sorts strictly after `previous`
  /// (before it, moving backward). A block's checksum proves its bytes are
  /// the ones written, not that they were written in order, so a table
  /// whose keys go backward is damage, met the moment it is read.
  private mutating func checkOrder(from previous: Bytes, forward: Bool) throws(TableError) {
    guard block.isValid else { return }
    let order = previous.withUnsafeBytes { p in block.withUnsafeKey { compareInternalKeys(p, $0) } }
    if forward ? order >= 0 : order <= 0 { try outOfOrder(after: previous, forward: forward) }
  }

  /// Throws the corruption of an entry out of order with `previous` (an
  /// encoded key already checked), leaving the iterator invalid.
  private mutating func outOfOrder(after previous: Bytes, forward: Bool) throws(TableError) {
    let number = blockNumber
    let offset = block.entryOffset
    let current = InternalKeyEncoding.decodeUnchecked(block.key)
    let before = InternalKeyEncoding.decodeUnchecked(previous)
    invalidate()
    throw table.corruption(
      inBlock: number,
      BlockCorruption(offset: offset, "entry \(current) does not sort \(forward ? "after" : "before") \(before)"))
  }

  /// Checks that the block iterator's key (the current entry's, or the
  /// last one's once it has run off the end) is the key the index holds
  /// for the block.
  private mutating func checkBlockEndsAtIndexKey() throws(TableError) {
    guard blockNumber < table.dataBlockCount, !block.key.isEmpty else { return }
    guard block.key == table.indexKeys[blockNumber] else {
      let number = blockNumber
      let handle = table.blockHandles[number]
      let last = InternalKeyEncoding.decodeUnchecked(block.key)
      invalidate()
      throw table.corruption(
        inBlock: number,
        BlockCorruption(
          offset: handle.size,
          "block ends with \(last) but the index says its last key is "
            + "\(InternalKeyEncoding.decodeUnchecked(table.indexKeys[number]))"))
    }
  }

  private mutating func invalidate() {
    block = Block.empty.makeIterator(.internalKey)
    pin = nil
    blockNumber = table.dataBlockCount
  }
}
