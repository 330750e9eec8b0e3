import Chapter1WAL

/// A position in a block: the current entry's key (rebuilt from the prefix
/// it shares with the keys before it) and where its value lies.
///
/// Moving forward decodes one entry. Seeking binary-searches the restart
/// points, whose keys are stored whole and can be compared where they lie,
/// then decodes forward from the chosen restart point, at most one restart
/// interval of entries. Moving backward is the costly direction, as in
/// LevelDB: entries link forward only (each key needs the one before it),
/// so `prev` jumps back to the restart point before the current entry and
/// decodes forward again.
///
/// Every decoding step checks its bounds (see `Block`) and throws
/// `BlockCorruption`; after a throw the iterator is invalid.
public struct BlockIterator: Sendable {
  /// The block being read.
  public let block: Block
  /// The order of the block's keys.
  public let comparator: KeyComparator
  /// Offset of the current entry; `block.entriesEnd` when invalid.
  public private(set) var entryOffset: Int
  /// Offset of the entry after the current one.
  private var nextOffset: Int
  /// The restart point at or before the current entry.
  private var restartIndex: Int
  /// The current entry's whole key. REQUIRES: `isValid`. After `next`
  /// runs off the end of the block, still the last entry's key.
  public private(set) var key: Bytes = []
  /// The key decoded before the current one, when the current entry was
  /// decoded right after it; its buffer is reused for the next key, so
  /// moving forward copies only the prefix two keys share.
  private var previousKey: Bytes = []
  /// Whether `previousKey` holds the key of the entry just before the
  /// current one (false right after a seek to a restart point).
  private var hasPreviousKey = false
  private var valueRange: Range<Int> = 0..<0

  init(block: Block, comparator: KeyComparator) {
    self.block = block
    self.comparator = comparator
    self.entryOffset = block.entriesEnd
    self.nextOffset = block.entriesEnd
    self.restartIndex = 0
  }

  /// Whether the iterator is at an entry.
  public var isValid: Bool { entryOffset < block.entriesEnd }

  /// The current entry's value (copied out). REQUIRES: `isValid`.
  public var value: Bytes { Array(block.contents[valueRange]) }

  /// The restart point the current entry follows (for dumps).
  public var currentRestart: Int { restartIndex }

  /// Lends the current key in place. REQUIRES: `isValid`.
  public func withUnsafeKey<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try key.withUnsafeBytes(body)
  }

  /// Lends the current value where it lies in the block. REQUIRES: `isValid`.
  public func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try block.contents.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[valueRange])) }
  }

  /// Lends the key of the entry before the current one, if the current
  /// entry was decoded right after it (what a reader checks order
  /// against); `nil` right after a seek.
  public func withUnsafePreviousKey<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
    hasPreviousKey ? try previousKey.withUnsafeBytes(body) : nil
  }

  /// Moves to the first entry (invalid if the block is empty).
  public mutating func seekToFirst() throws(BlockCorruption) {
    seekToRestart(0)
    try decodeNext()
  }

  /// Moves to the last entry (invalid if the block is empty).
  ///
  /// - Complexity: O(interval): decodes the last restart interval.
  public mutating func seekToLast() throws(BlockCorruption) {
    seekToRestart(block.restartCount - 1)
    try decodeNext()
    while isValid && nextOffset < block.entriesEnd { try decodeNext() }
  }

  // snippet: block-seek
  /// Moves to the first entry whose key is at or after `target`, or
  /// invalid if there is none.
  ///
  /// - Complexity: O(log r) comparisons of whole keys at restart points,
  ///   then at most one restart interval of entries decoded.
  public mutating func seek(_ target: Bytes) throws(BlockCorruption) {
    // Find the last restart point whose key is before the target: the
    // target's first entry at or after it is in that interval or the next.
    var left = 0
    var right = block.restartCount - 1
    while left < right {
      let middle = (left + right + 1) / 2
      if try compareRestartKey(middle, target) < 0 {
        left = middle
      } else {
        right = middle - 1
      }
    }
    seekToRestart(left)
    try decodeNext()
    while isValid && comparator(key, target) < 0 { try decodeNext() }
  }
  // end snippet

  /// Moves to the next entry (invalid after the last). REQUIRES: `isValid`.
  public mutating func next() throws(BlockCorruption) {
    precondition(isValid, "BlockIterator.next() on an invalid iterator")
    try decodeNext()
  }

  /// Moves to the previous entry (invalid before the first). REQUIRES: `isValid`.
  ///
  /// - Complexity: O(interval): decodes forward from the restart point
  ///   before the current entry.
  public mutating func prev() throws(BlockCorruption) {
    precondition(isValid, "BlockIterator.prev() on an invalid iterator")
    let original = entryOffset
    var restart = restartIndex
    while block.restart(restart) >= original {
      guard restart > 0 else {
        invalidate()
        return
      }
      restart -= 1
    }
    seekToRestart(restart)
    try decodeNext()
    while isValid && nextOffset < original { try decodeNext() }
  }

  /// Positions before restart point `index`, with no previous key.
  private mutating func seekToRestart(_ index: Int) {
    restartIndex = index
    key.removeAll(keepingCapacity: true)
    hasPreviousKey = false
    nextOffset = block.restart(index)
    entryOffset = nextOffset
  }

  private mutating func invalidate() {
    entryOffset = block.entriesEnd
    nextOffset = block.entriesEnd
  }

  /// Decodes the entry at `nextOffset` and makes it current, or becomes
  /// invalid at the end of the entries.
  private mutating func decodeNext() throws(BlockCorruption) {
    let offset = nextOffset
    guard offset < block.entriesEnd else {
      invalidate()
      return
    }
    do throws(BlockCorruption) {
      // Keep `restartIndex` at the last restart point at or before the entry,
      // and check that restart points fall on entry boundaries.
      while restartIndex + 1 < block.restartCount {
        let following = block.restart(restartIndex + 1)
        if following > offset { break }
        guard following == offset else {
          throw BlockCorruption(offset: following, "restart[\(restartIndex + 1)] is inside an entry")
        }
        restartIndex += 1
      }
      let contents = block.contents
      // `withUnsafeBytes` rethrows untyped errors, so carry the typed one out in a `Result`.
      let entry = try contents.withUnsafeBytes { bytes in
        Result { () throws(BlockCorruption) in try BlockEntry.decode(bytes, at: offset, limit: block.entriesEnd) }
      }.get()
      // The next restart point must not fall inside this entry either, or
      // a backward walk or a seek would start in the middle of it.
      if restartIndex + 1 < block.restartCount, block.restart(restartIndex + 1) < entry.end {
        throw BlockCorruption(
          offset: block.restart(restartIndex + 1), "restart[\(restartIndex + 1)] is inside an entry")
      }
      guard entry.shared <= key.count else {
        throw BlockCorruption(
          offset: offset, "entry shares \(entry.shared) bytes with a previous key of \(key.count) bytes")
      }
      guard entry.shared == 0 || offset != block.restart(restartIndex) else {
        throw BlockCorruption(offset: offset, "entry at a restart point shares \(entry.shared) bytes (must be 0)")
      }
      // The previous key's buffer becomes this key's: copy the shared
      // prefix, then the rest from the block.
      // (Bytes are copied between buffers lent in place: slicing an array
      // would touch its reference count at every entry.)
      let follows = entryOffset < block.entriesEnd && nextOffset == offset && entryOffset != offset
      var next = Bytes()
      swap(&next, &previousKey)
      next.removeAll(keepingCapacity: true)
      key.withUnsafeBytes { next.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[..<entry.shared])) }
      contents.withUnsafeBytes {
        next.append(
          contentsOf: UnsafeRawBufferPointer(rebasing: $0[entry.keyStart..<(entry.keyStart + entry.unshared)]))
      }
      swap(&previousKey, &key)
      swap(&key, &next)
      hasPreviousKey = follows
      valueRange = entry.valueRange
      entryOffset = offset
      nextOffset = entry.end
    } catch {
      invalidate()
      throw error
    }
  }

  /// Compares the whole key stored at restart point `index` with `target`,
  /// in place.
  private func compareRestartKey(_ index: Int, _ target: Bytes) throws(BlockCorruption) -> Int {
    let offset = block.restart(index)
    return try block.contents.withUnsafeBytes { bytes in
      Result { () throws(BlockCorruption) in
        let entry = try BlockEntry.decode(bytes, at: offset, limit: block.entriesEnd)
        guard entry.shared == 0 else {
          throw BlockCorruption(offset: offset, "entry at a restart point shares \(entry.shared) bytes (must be 0)")
        }
        let stored = UnsafeRawBufferPointer(rebasing: bytes[entry.keyStart..<(entry.keyStart + entry.unshared)])
        return target.withUnsafeBytes { comparator.compare(stored, $0) }
      }
    }.get()
  }
}
