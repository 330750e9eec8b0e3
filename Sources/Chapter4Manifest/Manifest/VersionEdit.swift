import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable

/// What the manifest knows about one table: enough to decide, without
/// opening it, whether a read needs it.
public struct TableMetadata: Hashable, Sendable, CustomStringConvertible {
  /// The file number: the table is `000007.sst`.
  public var number: UInt64
  /// The file's size in bytes.
  public var fileSize: UInt64
  /// Entries in the table (every version of every key, tombstones too).
  public var entryCount: UInt64
  /// The table's first internal key.
  public var smallest: InternalKey
  /// The table's last internal key.
  public var largest: InternalKey

  public init(number: UInt64, fileSize: UInt64, entryCount: UInt64, smallest: InternalKey, largest: InternalKey) {
    self.number = number
    self.fileSize = fileSize
    self.entryCount = entryCount
    self.smallest = smallest
    self.largest = largest
  }

  /// `000007.sst`.
  public var name: String { TableFileNames.table(number) }

  /// `a..k`: the user keys the table spans.
  public var keyRange: String { "\(Format.printable(smallest.userKey))..\(Format.printable(largest.userKey))" }

  /// Whether `userKey` falls between the table's first and last user keys.
  public func mayContain(_ userKey: Bytes) -> Bool {
    compareBytes(userKey, smallest.userKey) >= 0 && compareBytes(userKey, largest.userKey) <= 0
  }

  /// The numbers are printed as they are: a damaged manifest may hold any
  /// 64-bit value, so none is converted to `Int`.
  public var description: String {
    "\(name) \(keyRange) \(entryCount) \(entryCount == 1 ? "entry" : "entries") \(fileSize) B"
  }
}

/// # The version edit
///
/// One change to the set of live files, and the counters that go with it:
/// the record the manifest is made of. Replaying every edit in a manifest,
/// oldest first, rebuilds the database's file set exactly as it was.
///
/// An edit is a list of tagged fields, each a varint tag then a value; a
/// field may be absent (an edit that only adds a table says nothing about
/// the log number):
///
/// ```
///  tag  field            value
///  1    logNumber        varint   logs numbered below this are no longer needed
///  2    nextFileNumber   varint   the next number to hand out for any file
///  3    lastSequence     varint   the newest sequence number in any table
///  4    addTable         varint level, varint number, varint size,
///                        varint entries, varint length + smallest internal key,
///                        varint length + largest internal key
///  5    deleteTable      varint level, varint number
///  6    compactPointer   varint level, varint length + internal key: where
///                        the level's next compaction starts (chapter 6)
/// ```
///
/// An unknown tag is an error, never skipped: a field's length depends on
/// its tag, so after an unknown one nothing can be read with confidence. A
/// manifest written by a newer engine with a new kind of field is refused,
/// clearly, by an older one. LevelDB's edits use the same idea (its tags
/// and field set differ).
public struct VersionEdit: Hashable, Sendable, CustomStringConvertible {
  public var logNumber: UInt64?
  public var nextFileNumber: UInt64?
  public var lastSequence: SequenceNumber?
  /// Tables added, with their level.
  public var added: [(level: Int, table: TableMetadata)] = []
  /// Tables removed: level and file number.
  public var deleted: [(level: Int, number: UInt64)] = []
  /// Per level, the largest key its last compaction took, so that the next
  /// one starts after it even across a restart (chapter 6 writes them;
  /// the manifest only keeps the newest of each level).
  public var compactPointers: [(level: Int, key: InternalKey)] = []

  public init() {}

  /// The tags, as written.
  public enum Tag: UInt64, CaseIterable, Sendable {
    case logNumber = 1
    case nextFileNumber = 2
    case lastSequence = 3
    case addTable = 4
    case deleteTable = 5
    case compactPointer = 6
  }

  /// Levels the manifest can name; chapter 6 uses them all.
  public static let levelCount = 7

  /// The edit's bytes: the payload of one manifest record.
  public func encoded() -> Bytes {
    var out = Bytes()
    if let logNumber {
      out.appendVarint(Tag.logNumber.rawValue)
      out.appendVarint(logNumber)
    }
    if let nextFileNumber {
      out.appendVarint(Tag.nextFileNumber.rawValue)
      out.appendVarint(nextFileNumber)
    }
    if let lastSequence {
      out.appendVarint(Tag.lastSequence.rawValue)
      out.appendVarint(lastSequence)
    }
    for (level, table) in added {
      out.appendVarint(Tag.addTable.rawValue)
      out.appendVarint(UInt64(level))
      out.appendVarint(table.number)
      out.appendVarint(table.fileSize)
      out.appendVarint(table.entryCount)
      out.appendLengthPrefixed(InternalKeyEncoding.encode(table.smallest))
      out.appendLengthPrefixed(InternalKeyEncoding.encode(table.largest))
    }
    for (level, number) in deleted {
      out.appendVarint(Tag.deleteTable.rawValue)
      out.appendVarint(UInt64(level))
      out.appendVarint(number)
    }
    for (level, key) in compactPointers {
      out.appendVarint(Tag.compactPointer.rawValue)
      out.appendVarint(UInt64(level))
      out.appendLengthPrefixed(InternalKeyEncoding.encode(key))
    }
    return out
  }

  // snippet: version-edit-decode
  /// Decodes an edit, checking every field: a damaged or hostile record is
  /// a `DecodingError` naming the byte, never a crash.
  public static func decode(_ bytes: Bytes) throws(DecodingError) -> VersionEdit {
    var reader = ByteReader(bytes)
    var edit = VersionEdit()
    while !reader.isAtEnd {
      let at = reader.offset
      let raw = try reader.readVarint()
      guard let tag = Tag(rawValue: raw) else {
        throw DecodingError(offset: at, "unknown tag \(raw) in version edit")
      }
      switch tag {
      case .logNumber: edit.logNumber = try reader.readVarint()
      case .nextFileNumber: edit.nextFileNumber = try reader.readVarint()
      case .lastSequence: edit.lastSequence = try reader.readVarint()
      case .addTable:
        let level = try readLevel(&reader)
        let number = try reader.readVarint()
        let size = try reader.readVarint()
        let entries = try reader.readVarint()
        // Every entry takes at least a byte: more entries than bytes, or a
        // size no file can have, is damage (and would trap arithmetic later).
        guard size <= UInt64(Int.max), entries <= size else {
          throw DecodingError(offset: at, "table \(number) claims \(entries) entries in \(size) bytes")
        }
        let smallest = try readKey(&reader)
        let largest = try readKey(&reader)
        guard smallest <= largest else {
          throw DecodingError(offset: at, "table \(number)'s smallest key sorts after its largest")
        }
        edit.added.append(
          (
            level,
            TableMetadata(
              number: number, fileSize: size, entryCount: entries, smallest: smallest, largest: largest)
          ))
      case .deleteTable:
        let level = try readLevel(&reader)
        edit.deleted.append((level, try reader.readVarint()))
      case .compactPointer:
        let level = try readLevel(&reader)
        edit.compactPointers.append((level, try readKey(&reader)))
      }
    }
    return edit
  }
  // end snippet

  private static func readLevel(_ reader: inout ByteReader) throws(DecodingError) -> Int {
    let at = reader.offset
    let level = try reader.readVarint()
    guard level < UInt64(levelCount) else {
      throw DecodingError(offset: at, "level \(level) is beyond the last level (\(levelCount - 1))")
    }
    return Int(level)
  }

  private static func readKey(_ reader: inout ByteReader) throws(DecodingError) -> InternalKey {
    let at = reader.offset
    do {
      return try InternalKeyEncoding.decode(try reader.readLengthPrefixed())
    } catch {
      throw DecodingError(offset: at, "bad internal key: \(error.message)")
    }
  }

  /// One line per field, as `manifest-dump` and `show manifest` print it.
  public var lines: [String] {
    var lines: [String] = []
    for (level, table) in added { lines.append("add L\(level) \(table)") }
    for (level, number) in deleted { lines.append("delete L\(level) \(TableFileNames.table(number))") }
    if let logNumber { lines.append("log number \(logNumber)") }
    if let nextFileNumber { lines.append("next file \(nextFileNumber)") }
    if let lastSequence { lines.append("last seq \(lastSequence)") }
    for (level, key) in compactPointers { lines.append("compact pointer L\(level) \(Format.printable(key.userKey))") }
    return lines
  }

  public var description: String { lines.joined(separator: "; ") }

  /// The edit in one short line, for the trace: every field, except that
  /// more than three tables are counted rather than listed.
  public var summary: String {
    guard added.count + deleted.count > 3 else { return description }
    var parts: [String] = []
    if !added.isEmpty { parts.append("add \(Format.plural(added.count, "table"))") }
    if !deleted.isEmpty { parts.append("delete \(Format.plural(deleted.count, "table"))") }
    return (parts + lines.filter { !$0.hasPrefix("add ") && !$0.hasPrefix("delete ") }).joined(separator: "; ")
  }

  public static func == (a: VersionEdit, b: VersionEdit) -> Bool { a.encoded() == b.encoded() }
  public func hash(into hasher: inout Hasher) { hasher.combine(encoded()) }
}
