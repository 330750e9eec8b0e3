import Chapter1WAL
import Chapter2Memtable
import Testing

@testable import Chapter3SSTable

@Suite struct TableFormatTests {
  /// The two-entry table at the top of TableFormat.swift, byte for byte.
  @Test func workedExample() throws {
    let bytes = try TableFixture.bytes(TableFixture.tinyTable)
    #expect(bytes.count == 188)
    #expect(
      hexdump(bytes) == """
        00000000  00 0d 03 61 70 70 6c 65  01 01 00 00 00 00 00 00
        00000010  72 65 64 02 0d 00 72 69  63 6f 74 00 02 00 00 00
        00000020  00 00 00 00 00 00 00 01  00 00 00 00 8a 61 05 80
        00000030  00 0f 02 61 70 72 69 63  6f 74 00 02 00 00 00 00
        00000040  00 00 00 2b 00 00 00 00  01 00 00 00 00 e9 98 7f
        00000050  55 01 02 02 01 03 0d 61  70 70 6c 65 01 01 00 00
        00000060  00 00 00 00 04 0f 61 70  72 69 63 6f 74 00 02 00
        00000070  00 00 00 00 00 05 01 06  02 07 1c 08 03 09 01 00
        00000080  07 71 0f 4a 51 2e 30 1c  00 00 00 00 00 00 00 00
        00000090  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00
        000000a0  00 00 00 00 00 00 00 00  00 00 00 00 01 00 00 00
        000000b0  42 45 41 43 48 53 53 54  38 4b 0c 28
        """)
    // The parts the annotation names.
    let table = try TableFixture.open(bytes)
    #expect(table.footer.index == BlockHandle(offset: 48, size: 28))
    #expect(table.footer.properties == BlockHandle(offset: 81, size: 46))
    #expect(table.index.map(\.handle) == [BlockHandle(offset: 0, size: 43)])
    #expect(String(decoding: bytes[176..<184], as: UTF8.self) == "BEACHSST")
    #expect(decodeFixed32(bytes, at: 184) == CRC32C.mask(CRC32C.checksum(bytes, 132..<184)))
    #expect(
      table.properties
        == TableProperties(
          entryCount: 2, dataBlockCount: 1,
          smallestKey: InternalKey(Bytes(utf8: "apple"), sequence: 1, kind: .value),
          largestKey: InternalKey(Bytes(utf8: "apricot"), sequence: 2, kind: .deletion),
          smallestSequence: 1, largestSequence: 2, rawKeyBytes: 28, rawValueBytes: 3, deletionCount: 1))
  }

  @Test func footerRoundTrips() throws {
    let footer = Footer(properties: BlockHandle(offset: 1 << 40, size: 300), index: BlockHandle(offset: 7, size: 0))
    let bytes = footer.encoded()
    #expect(bytes.count == Footer.size)
    #expect(try Footer.decode(bytes, fileSize: 1 << 41) == footer)
  }

  @Test func footerChecksMagicBeforeAnythingElse() {
    var bytes = Footer(properties: BlockHandle(offset: 0, size: 1), index: BlockHandle(offset: 6, size: 1)).encoded()
    bytes[44] = UInt8(ascii: "X")
    #expect {
      try Footer.decode(bytes, fileSize: 100)
    } throws: { error in
      (error as? DecodingError)?.message.hasPrefix("bad magic XEACHSST") == true
    }
  }

  @Test func propertiesRejectUnknownRepeatedAndMissingTags() throws {
    let good = try TableFixture.open(try TableFixture.bytes(TableFixture.tinyTable)).properties.encoded()
    #expect(throws: DecodingError(offset: good.count, "unknown property tag 42 (this reader knows 1..9)")) {
      try TableProperties.decode(good + [42, 0])
    }
    #expect(throws: DecodingError(offset: good.count, "property deletionCount appears twice")) {
      try TableProperties.decode(good + [9, 0])
    }
    #expect(throws: DecodingError(offset: 2, "property entryCount is missing")) {
      try TableProperties.decode([2, 1])
    }
  }
}
