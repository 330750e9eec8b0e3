import Chapter1WAL
import Chapter2Memtable

/// # The properties block
///
/// Figures about a table that a reader wants without reading the table:
/// how many entries, which keys and sequence numbers it spans (chapter 4's
/// manifest and chapter 6's compaction pick files by key range), how many
/// bytes its keys and values took before prefix compression, how many
/// entries are tombstones (compaction's clue that a table is worth
/// rewriting).
///
/// The block is a list of tagged fields, each a varint tag then a value:
///
/// ```
///  tag  field              value
///  1    entryCount         varint
///  2    dataBlockCount     varint
///  3    smallestKey        varint length, encoded internal key
///  4    largestKey         varint length, encoded internal key
///  5    smallestSequence   varint
///  6    largestSequence    varint
///  7    rawKeyBytes        varint   sum of encoded key sizes (user key + 8)
///  8    rawValueBytes      varint
///  9    deletionCount      varint
/// ```
///
/// The writer emits them in tag order; the reader accepts any order but
/// requires each tag exactly once. An unknown tag is an error, not a field
/// to skip: a value's length depends on its tag, so past an unknown tag
/// nothing can be read with confidence, and a table written by a newer
/// format would say so in the footer's version anyway. The block is
/// followed by the usual trailer (type byte and checksum, see
/// `BlockTrailer`).
///
/// Why tags rather than fixed positions? They make the block
/// self-describing in a dump, and adding a property later is a new tag and
/// a format version bump, not a new layout. LevelDB has no properties
/// block; RocksDB's is a block of name → value entries in the ordinary
/// block format.
public struct TableProperties: Hashable, Sendable, CustomStringConvertible {
  /// Entries, tombstones included.
  public var entryCount: Int
  /// Data blocks (index entries).
  public var dataBlockCount: Int
  /// The first key in the table.
  public var smallestKey: InternalKey
  /// The last key in the table.
  public var largestKey: InternalKey
  /// The smallest sequence number of any entry.
  public var smallestSequence: SequenceNumber
  /// The largest sequence number of any entry.
  public var largestSequence: SequenceNumber
  /// Bytes of encoded keys (user key + 8-byte trailer each) before prefix
  /// compression.
  public var rawKeyBytes: Int
  /// Bytes of values.
  public var rawValueBytes: Int
  /// Entries that are tombstones.
  public var deletionCount: Int

  public init(
    entryCount: Int, dataBlockCount: Int, smallestKey: InternalKey, largestKey: InternalKey,
    smallestSequence: SequenceNumber, largestSequence: SequenceNumber, rawKeyBytes: Int, rawValueBytes: Int,
    deletionCount: Int
  ) {
    self.entryCount = entryCount
    self.dataBlockCount = dataBlockCount
    self.smallestKey = smallestKey
    self.largestKey = largestKey
    self.smallestSequence = smallestSequence
    self.largestSequence = largestSequence
    self.rawKeyBytes = rawKeyBytes
    self.rawValueBytes = rawValueBytes
    self.deletionCount = deletionCount
  }

  /// The tags of the fields, as stored.
  public enum Tag: UInt64, CaseIterable, Sendable {
    case entryCount = 1
    case dataBlockCount = 2
    case smallestKey = 3
    case largestKey = 4
    case smallestSequence = 5
    case largestSequence = 6
    case rawKeyBytes = 7
    case rawValueBytes = 8
    case deletionCount = 9
  }

  /// The block's contents (without trailer).
  public func encoded() -> Bytes {
    var out = Bytes()
    func number(_ tag: Tag, _ value: UInt64) {
      out.appendVarint(tag.rawValue)
      out.appendVarint(value)
    }
    func key(_ tag: Tag, _ value: InternalKey) {
      out.appendVarint(tag.rawValue)
      out.appendLengthPrefixed(InternalKeyEncoding.encode(value))
    }
    number(.entryCount, UInt64(entryCount))
    number(.dataBlockCount, UInt64(dataBlockCount))
    key(.smallestKey, smallestKey)
    key(.largestKey, largestKey)
    number(.smallestSequence, smallestSequence)
    number(.largestSequence, largestSequence)
    number(.rawKeyBytes, UInt64(rawKeyBytes))
    number(.rawValueBytes, UInt64(rawValueBytes))
    number(.deletionCount, UInt64(deletionCount))
    return out
  }

  /// Decodes a properties block's contents.
  ///
  /// - Throws: `DecodingError` (offset within the block) on an unknown,
  ///   repeated or missing tag, a malformed value, or figures that
  ///   contradict each other (more deletions than entries, a smallest key
  ///   after the largest).
  public static func decode(_ contents: Bytes) throws(DecodingError) -> TableProperties {
    var reader = ByteReader(contents)
    var numbers: [Tag: UInt64] = [:]
    var keys: [Tag: InternalKey] = [:]
    while !reader.isAtEnd {
      let at = reader.offset
      let rawTag = try reader.readVarint()
      guard let tag = Tag(rawValue: rawTag) else {
        throw DecodingError(offset: at, "unknown property tag \(rawTag) (this reader knows 1..\(Tag.allCases.count))")
      }
      guard numbers[tag] == nil && keys[tag] == nil else {
        throw DecodingError(offset: at, "property \(tag) appears twice")
      }
      switch tag {
      case .smallestKey, .largestKey:
        let valueAt = reader.offset
        let bytes = try reader.readLengthPrefixed()
        do throws(DecodingError) {
          keys[tag] = try InternalKeyEncoding.decode(bytes)
        } catch {
          throw DecodingError(offset: valueAt, "property \(tag): \(error.message)")
        }
      default:
        numbers[tag] = try reader.readVarint()
      }
    }
    func number(_ tag: Tag) throws(DecodingError) -> UInt64 {
      guard let value = numbers[tag] else { throw DecodingError(offset: contents.count, "property \(tag) is missing") }
      return value
    }
    func count(_ tag: Tag) throws(DecodingError) -> Int {
      let value = try number(tag)
      guard value <= UInt64(Int.max) else { throw DecodingError(offset: contents.count, "property \(tag) overflows") }
      return Int(value)
    }
    func key(_ tag: Tag) throws(DecodingError) -> InternalKey {
      guard let value = keys[tag] else { throw DecodingError(offset: contents.count, "property \(tag) is missing") }
      return value
    }
    let properties = TableProperties(
      entryCount: try count(.entryCount), dataBlockCount: try count(.dataBlockCount),
      smallestKey: try key(.smallestKey), largestKey: try key(.largestKey),
      smallestSequence: try number(.smallestSequence), largestSequence: try number(.largestSequence),
      rawKeyBytes: try count(.rawKeyBytes), rawValueBytes: try count(.rawValueBytes),
      deletionCount: try count(.deletionCount))
    if let problem = properties.inconsistency {
      throw DecodingError(offset: 0, "properties contradict each other: \(problem)")
    }
    return properties
  }

  /// What is impossible about these figures, or `nil` if nothing is.
  var inconsistency: String? {
    if entryCount < 1 { return "a table has at least one entry, these say \(entryCount)" }
    if dataBlockCount < 1 || dataBlockCount > entryCount {
      return "\(dataBlockCount) data blocks for \(entryCount) entries"
    }
    if deletionCount > entryCount { return "\(deletionCount) deletions among \(entryCount) entries" }
    if smallestKey > largestKey { return "smallest key \(smallestKey) sorts after largest key \(largestKey)" }
    if smallestSequence > largestSequence {
      return "smallest sequence \(smallestSequence) above largest \(largestSequence)"
    }
    return nil
  }

  /// `2 entries (1 deletion), 1 data block, seq 1...2, keys apple #1 PUT ... apricot #2 DEL`.
  public var description: String {
    "\(Format.plural(entryCount, "entry", "entries")) (\(Format.plural(deletionCount, "deletion"))), "
      + "\(Format.plural(dataBlockCount, "data block")), seq \(smallestSequence)..\(largestSequence), "
      + "keys \(smallestKey) ... \(largestKey), raw keys \(rawKeyBytes) B, raw values \(rawValueBytes) B"
  }
}
