import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import PropertyBased
import Testing

@testable import Chapter4Manifest

/// The version edit's encoding: round trips, and hostile bytes rejected
/// with a clear error rather than a crash.
@Suite struct VersionEditTests {
  static func table(_ number: UInt64, _ from: String, _ to: String) -> TableMetadata {
    TableMetadata(
      number: number, fileSize: 1000 + number, entryCount: 10,
      smallest: InternalKey(Bytes(utf8: from), sequence: 9, kind: .value),
      largest: InternalKey(Bytes(utf8: to), sequence: 3, kind: .deletion))
  }

  static let edits = zip(
    Gen<UInt64>.value(in: 0...1_000_000), Gen<Int>.value(in: 0...6), Gen<Int>.value(in: 0...3),
    Gen<Int>.value(in: 0...3)
  )
  .map { number, level, adds, deletes in
    var edit = VersionEdit()
    if number % 2 == 0 { edit.logNumber = number }
    if number % 3 == 0 { edit.nextFileNumber = number + 1 }
    if number % 5 != 0 { edit.lastSequence = number * 7 }
    edit.added = (0..<adds).map { (level, table(number + UInt64($0), "a\($0)", "z\($0)")) }
    edit.deleted = (0..<deletes).map { ((level + $0) % 7, number + 100 + UInt64($0)) }
    return edit
  }

  @Test func editsRoundTrip() async {
    await propertyCheck(input: Self.edits) { edit in
      let decoded = try VersionEdit.decode(edit.encoded())
      #expect(decoded == edit)
      #expect(decoded.lines == edit.lines)
    }
  }

  @Test func anUnknownTagIsAClearError() throws {
    var bytes = VersionEdit().encoded()
    bytes.appendVarint(9)
    bytes.appendVarint(1)
    #expect(throws: DecodingError(offset: 0, "unknown tag 9 in version edit")) { try VersionEdit.decode(bytes) }
  }

  @Test func aLevelPastTheLastIsRefused() {
    var bytes = Bytes()
    bytes.appendVarint(VersionEdit.Tag.deleteTable.rawValue)
    bytes.appendVarint(7)
    bytes.appendVarint(12)
    #expect(throws: DecodingError(offset: 1, "level 7 is beyond the last level (6)")) {
      try VersionEdit.decode(bytes)
    }
  }

  @Test func aTableWhoseKeysAreBackwardsIsRefused() {
    var edit = VersionEdit()
    var bad = Self.table(4, "m", "n")
    swap(&bad.smallest, &bad.largest)
    edit.added = [(0, bad)]
    #expect(throws: DecodingError.self) { try VersionEdit.decode(edit.encoded()) }
  }

  /// No truncation of an edit and no random byte string traps the decoder.
  /// (A truncation at a field boundary decodes as a smaller edit: the
  /// record's checksum, not the edit, is what catches a cut.)
  @Test func truncationsAndRandomBytesNeverTrap() async {
    var edit = VersionEdit()
    edit.logNumber = 5
    edit.added = [(0, Self.table(7, "apple", "pear"))]
    edit.deleted = [(1, 3)]
    let bytes = edit.encoded()
    for length in 0..<bytes.count {
      _ = try? VersionEdit.decode(Array(bytes[..<length]))
    }
    await propertyCheck(count: 500, input: Gen<UInt8>.value().array(of: 0...64)) { bytes in
      _ = try? VersionEdit.decode(bytes)
    }
  }
}
