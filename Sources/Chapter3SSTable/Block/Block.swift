import Chapter1WAL

/// Reading a block: the format `BlockBuilder` writes (see there), checked
/// as it is read.
///
/// A block comes off the disk after its checksum has been verified (see
/// `BlockTrailer`), so damage from a bad sector or a torn write has been
/// caught already. The decoder still trusts nothing: a checksum proves the
/// bytes are the ones written, not that whoever wrote them wrote a valid
/// block. So every varint is bounded, every length is checked against the
/// end of the entries, a key may not share more bytes than the previous
/// key has, a restart point must hold a whole key and sit on an entry
/// boundary, and the restart array must be in range and increasing. A
/// violation is a `BlockCorruption` naming the offset in the block and
/// what was wrong; nothing traps.
///
/// `init` checks the trailer of the block (the restart array) once, in
/// O(r); entries are checked as an iterator decodes them, so a point
/// lookup pays only for the entries it reads.

/// A block whose bytes do not follow the block format.
public struct BlockCorruption: Error, Equatable, CustomStringConvertible {
  /// Where in the block's contents the problem was found.
  public var offset: Int
  /// What was wrong.
  public var message: String

  public init(offset: Int, _ message: String) {
    self.offset = offset
    self.message = message
  }

  public var description: String { "\(message) at block byte \(offset)" }
}

/// A decoded view of one block's contents (without its on-disk trailer).
public struct Block: Sendable {
  /// The block's bytes: entries, restart array, restart count.
  public let contents: Bytes
  /// Number of restart points (at least 1).
  public let restartCount: Int
  /// Where the entries end and the restart array begins.
  public let entriesEnd: Int

  /// Checks the restart array of `contents` and wraps them.
  ///
  /// - Throws: `BlockCorruption` if the block is too short for its restart
  ///   count, or a restart point is out of range or out of order.
  /// - Complexity: O(r), r restart points.
  public init(_ contents: Bytes) throws(BlockCorruption) {
    guard contents.count >= 4 else {
      throw BlockCorruption(offset: 0, "block of \(contents.count) bytes has no room for its restart count")
    }
    let countOffset = contents.count - 4
    let count = Int(decodeFixed32(contents, at: countOffset))
    guard count >= 1 else { throw BlockCorruption(offset: countOffset, "block has 0 restart points (at least 1)") }
    guard count <= countOffset / 4 else {
      throw BlockCorruption(
        offset: countOffset, "restart count \(count) needs \(4 * count) bytes but the block has \(countOffset)")
    }
    let entriesEnd = countOffset - 4 * count
    var previous = -1
    for index in 0..<count {
      let at = entriesEnd + 4 * index
      let restart = Int(decodeFixed32(contents, at: at))
      if index == 0 && restart != 0 {
        throw BlockCorruption(offset: at, "restart[0] is \(restart); the first entry is at 0")
      }
      // An empty block still has restart[0] = 0, equal to entriesEnd.
      guard restart < entriesEnd || (entriesEnd == 0 && count == 1) else {
        throw BlockCorruption(offset: at, "restart[\(index)] = \(restart) is past the entries' end \(entriesEnd)")
      }
      guard restart > previous else {
        throw BlockCorruption(offset: at, "restart[\(index)] = \(restart) does not follow restart[\(index - 1)]")
      }
      previous = restart
    }
    self.contents = contents
    self.restartCount = count
    self.entriesEnd = entriesEnd
  }

  /// A block with no entries (one restart point at 0): what an iterator
  /// holds when it is in no block.
  public static let empty = Block(contents: [0, 0, 0, 0, 1, 0, 0, 0], restartCount: 1, entriesEnd: 0)

  private init(contents: Bytes, restartCount: Int, entriesEnd: Int) {
    self.contents = contents
    self.restartCount = restartCount
    self.entriesEnd = entriesEnd
  }

  /// The offset of restart point `index`. REQUIRES: `index < restartCount`.
  public func restart(_ index: Int) -> Int {
    Int(decodeFixed32(contents, at: entriesEnd + 4 * index))
  }

  /// An iterator over the entries, searching with `comparator`.
  public func makeIterator(_ comparator: KeyComparator) -> BlockIterator {
    BlockIterator(block: self, comparator: comparator)
  }
}

/// One entry's header, decoded: where its key delta and value lie.
struct BlockEntry {
  var shared: Int
  var unshared: Int
  var valueLength: Int
  /// Offset of the key delta.
  var keyStart: Int
  /// Offset just past the value: where the next entry starts.
  var end: Int

  var valueRange: Range<Int> { (keyStart + unshared)..<end }

  /// Decodes the entry header at `offset`, checking that it and its key
  /// delta and value fit before `limit`.
  ///
  /// REQUIRES: `offset < limit <= bytes.count`.
  static func decode(
    _ bytes: UnsafeRawBufferPointer, at offset: Int, limit: Int
  ) throws(BlockCorruption) -> BlockEntry {
    var position = offset
    // Fast path: in most entries all three numbers fit in one byte each.
    if limit - offset >= 3 && (bytes[offset] | bytes[offset + 1] | bytes[offset + 2]) < 0x80 {
      position += 3
      let entry = BlockEntry(
        shared: Int(bytes[offset]), unshared: Int(bytes[offset + 1]), valueLength: Int(bytes[offset + 2]),
        keyStart: position, end: 0)
      return try entry.finished(offset: offset, limit: limit)
    }
    let shared = try varint(bytes, &position, limit: limit, field: "shared length")
    let unshared = try varint(bytes, &position, limit: limit, field: "unshared length")
    let valueLength = try varint(bytes, &position, limit: limit, field: "value length")
    let entry = BlockEntry(shared: shared, unshared: unshared, valueLength: valueLength, keyStart: position, end: 0)
    return try entry.finished(offset: offset, limit: limit)
  }

  /// Sets `end`, checking that the key delta and value fit before `limit`.
  private func finished(offset: Int, limit: Int) throws(BlockCorruption) -> BlockEntry {
    // Each length is at most `limit` (checked when decoded), so no sum overflows.
    guard keyStart + unshared + valueLength <= limit else {
      throw BlockCorruption(
        offset: offset,
        "entry's key (\(unshared) B) and value (\(valueLength) B) run past the entries' end \(limit)")
    }
    var entry = self
    entry.end = keyStart + unshared + valueLength
    return entry
  }

  /// Reads one varint no larger than `limit` before `limit`.
  private static func varint(
    _ bytes: UnsafeRawBufferPointer, _ position: inout Int, limit: Int, field: String
  ) throws(BlockCorruption) -> Int {
    let start = position
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard position < limit else { throw BlockCorruption(offset: start, "truncated \(field)") }
      let byte = bytes[position]
      position += 1
      result |= UInt64(byte & 0x7F) << shift
      if byte < 0x80 { break }
      shift += 7
      guard shift < 35 else { throw BlockCorruption(offset: start, "\(field) varint longer than 5 bytes") }
    }
    guard result <= UInt64(limit) else {
      throw BlockCorruption(offset: start, "\(field) \(result) is larger than the block")
    }
    return Int(result)
  }
}
