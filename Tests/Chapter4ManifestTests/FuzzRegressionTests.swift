import Chapter1WAL
import Chapter2Memtable
import Testing

@testable import Chapter4Manifest

/// Inputs `Scripts/fuzz` found that a decoder once mishandled, byte for
/// byte, each with what the decoder must now say about it.
@Suite struct FuzzRegressionTests {
  /// An edit adding table 1 of 1 byte with an entry count above `Int.max`
  /// (16848994576809751785), then more tables. Printing it (`manifest-dump`,
  /// the edit's `lines` and `summary`) trapped converting the count to
  /// `Int`. A table cannot hold more entries than bytes, so the decoder now
  /// refuses it, naming the table, and `manifest-dump` says so.
  @Test func anEditWithMoreEntriesThanBytesIsDamage() throws {
    let bytes: Bytes = [
      0x04, 0x00, 0x01, 0x01, 0xE9, 0xE9, 0xE9, 0xE9, 0xC3, 0xE9, 0xE9, 0xE9, 0xE9, 0x01, 0x19, 0x09, 0x0A, 0x01,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x00, 0x19, 0x00, 0x01, 0x01, 0x09, 0x00, 0x0A, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x19, 0x09, 0x0A, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    ]
    #expect(throws: DecodingError.self) { try VersionEdit.decode(bytes) }
    var manifest = Bytes()
    LogFormat.frame(bytes, into: &manifest)
    let dump = ManifestDump.dump(manifest, name: "MANIFEST-000001")
    #expect(dump.isCorrupt)
    #expect(dump.lines.contains { $0.contains("claims 16848994576809751785 entries in 1 bytes") })
    // Printing a table's stored numbers never converts them, whatever they are.
    let metadata = TableMetadata(
      number: 1, fileSize: 1, entryCount: UInt64.max, smallest: InternalKey([0x61], sequence: 1, kind: .value),
      largest: InternalKey([0x61], sequence: 1, kind: .value))
    #expect(metadata.description.contains("\(UInt64.max) entries"))
  }
}
