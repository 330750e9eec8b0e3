import Chapter1WAL

/// # The block format
///
/// A table is cut into blocks of about 4 KiB: the unit the reader fetches,
/// checksums and searches. A block holds sorted key-value entries, then an
/// array of **restart points**, then the length of that array:
///
/// ```
///  entry 0
///  entry 1
///  ...
///  entry n-1
///  restart[0]      fixed32   offset of an entry whose key is stored whole
///  ...
///  restart[r-1]    fixed32
///  r               fixed32   number of restart points (at least 1)
/// ```
///
/// Each entry is
///
/// ```
///  shared        varint   bytes this key shares with the previous key
///  unshared      varint   bytes of this key that follow
///  valueLength   varint
///  key delta     unshared bytes: the key minus its shared prefix
///  value         valueLength bytes
/// ```
///
/// Sorted keys tend to share long prefixes (`user:1041`, `user:1042`, ...),
/// so storing only what differs from the previous key, **prefix
/// compression**, shrinks a block of such keys a great deal. The cost is
/// that a key can only be rebuilt by reading every entry before it. So every
/// `restartInterval` entries (16 by default) the builder stores a key whole
/// (`shared` = 0) and records the entry's offset as a restart point. A
/// reader binary-searches the restart points, comparing the whole keys
/// stored there, then scans forward at most `restartInterval` entries: a
/// point lookup costs O(log r + interval) key comparisons, not a scan of
/// the block. The interval trades space for lookup time: 1 turns prefix
/// compression off entirely (every key whole, binary search lands exactly);
/// LevelDB uses 16 for data blocks and 1 for its index block.
///
/// Offsets are 32 bits, so a block must stay below 4 GiB; blocks are a few
/// KiB, and the builder checks.
///
/// The format knows nothing about what keys mean: the table stores encoded
/// internal keys, and the reader searches with the matching `KeyComparator`.
/// On disk each block is followed by a 5-byte trailer (see `BlockTrailer`).
///
/// ## A worked example
///
/// Three entries, restart interval 2: `apple = 1`, `apricot = 2`,
/// `banana = 3` (plain keys, bytewise order):
///
/// ```
/// 00000000  00 05 01 61 70 70 6c 65  31 02 05 01 72 69 63 6f
/// 00000010  74 32 00 06 01 62 61 6e  61 6e 61 33 00 00 00 00
/// 00000020  12 00 00 00 02 00 00 00
///
///  +0   00 05 01 "apple" "1"     restart: shares 0, 5 new key bytes, value 1 byte
///  +9   02 05 01 "ricot" "2"     shares "ap" with "apple", adds "ricot"
///  +18  00 06 01 "banana" "3"    third entry: a restart again, stored whole
///  +28  00 00 00 00              restart[0] = 0
///  +32  12 00 00 00              restart[1] = 18
///  +36  02 00 00 00              2 restart points
/// ```
///
/// (`BlockFormatTests.workedExample` checks these exact bytes.)
public struct BlockBuilder {
  /// Entries between restart points. 1 turns prefix compression off.
  public let restartInterval: Int
  private var buffer: Bytes = []
  private var restarts: [UInt32] = [0]
  private var entriesSinceRestart = 0
  private var lastKey: Bytes = []
  /// Entries added since the last `reset`.
  public private(set) var entryCount = 0

  /// A builder that stores a whole key every `restartInterval` entries.
  ///
  /// REQUIRES: `restartInterval >= 1`.
  public init(restartInterval: Int = 16) {
    precondition(restartInterval >= 1, "a block needs a restart interval of at least 1")
    self.restartInterval = restartInterval
  }

  /// Whether no entry has been added since the last `reset`.
  public var isEmpty: Bool { entryCount == 0 }

  /// The size `finish()` would return now: entries, restart array, count.
  public var estimatedSize: Int { buffer.count + 4 * restarts.count + 4 }

  /// The last key added (empty if none).
  public var lastAddedKey: Bytes { lastKey }

  /// Appends an entry.
  ///
  /// REQUIRES: `key` sorts after every key added since the last `reset`
  /// (the table builder checks this before it calls here); the block stays
  /// below 4 GiB.
  public mutating func add(_ key: Bytes, _ value: Bytes) {
    var shared = 0
    if entriesSinceRestart < restartInterval {
      let limit = min(lastKey.count, key.count)
      while shared < limit && lastKey[shared] == key[shared] { shared += 1 }
    } else {
      // A restart point: store the whole key, remember where it starts.
      precondition(buffer.count <= Int(UInt32.max), "block exceeds 4 GiB")
      restarts.append(UInt32(buffer.count))
      entriesSinceRestart = 0
    }
    buffer.appendVarint(UInt64(shared))
    buffer.appendVarint(UInt64(key.count - shared))
    buffer.appendVarint(UInt64(value.count))
    buffer.append(contentsOf: key[shared...])
    buffer.append(contentsOf: value)
    lastKey.removeLast(lastKey.count - shared)
    lastKey.append(contentsOf: key[shared...])
    entriesSinceRestart += 1
    entryCount += 1
  }

  /// Appends the restart array and its length, and returns the block's
  /// contents. The builder must be `reset` before it is used again.
  public mutating func finish() -> Bytes {
    precondition(estimatedSize <= Int(UInt32.max), "block exceeds 4 GiB")
    var out = buffer
    for restart in restarts { out.appendFixed32(restart) }
    out.appendFixed32(UInt32(restarts.count))
    return out
  }

  /// Empties the builder for the next block, keeping its buffer's capacity.
  public mutating func reset() {
    buffer.removeAll(keepingCapacity: true)
    restarts = [0]
    entriesSinceRestart = 0
    lastKey.removeAll(keepingCapacity: true)
    entryCount = 0
  }
}
