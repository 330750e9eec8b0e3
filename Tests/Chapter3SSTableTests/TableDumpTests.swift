import Chapter1WAL
import Chapter2Memtable
import Testing

@testable import Chapter3SSTable

@Suite struct TableDumpTests {
  @Test func dumpsTheWorkedExample() throws {
    let fileSystem = MemoryFileSystem()
    try TableFixture.build(TableFixture.tinyTable, in: fileSystem)
    let result = try TableDump.run(path: "000007.sst", fileSystem: fileSystem, blocks: true, entries: true)
    #expect(!result.isCorrupt)
    #expect(
      result.lines == [
        "000007.sst: 188 bytes",
        "footer @132: index @48 28 B, properties @81 46 B, format 1, magic BEACHSST, checksum ok",
        "properties: 2 entries (1 deletion), 1 data block, sequences 1..2, raw keys 28 B, raw values 3 B",
        "  smallest apple #1 PUT",
        "  largest  apricot #2 DEL",
        "index: 1 entry",
        "  block 0  @0 43 B  last key apricot #2 DEL",
        "data block 0  @0 43 B  crc32c 0x3b596ec1 ok  2 entries  1 restart point",
        "    apple #1 PUT = red",
        "    apricot #2 DEL",
        "1 good data block, 2 entries read: ok",
      ])
    let brief = try TableDump.run(path: "000007.sst", fileSystem: fileSystem, blocks: false, entries: false)
    #expect(brief.lines.count == 8)
  }

  @Test func aDamagedDataBlockIsReportedAndTheDumpGoesOn() throws {
    var bytes = try TableFixture.bytes(TableCorruptionTests.entries, options: TableCorruptionTests.options)
    let table = try TableFixture.open(bytes)
    let damaged = table.index[1].handle
    bytes[damaged.offset + 3] ^= 0x20
    let fileSystem = MemoryFileSystem()
    try fileSystem.writeFile("000009.sst", bytes, sync: false)
    let result = try TableDump.run(path: "000009.sst", fileSystem: fileSystem, blocks: true, entries: false)
    #expect(result.isCorrupt)
    #expect(result.goodBlocks == table.dataBlockCount - 1)
    #expect(
      result.lines.contains {
        $0.hasPrefix("  CORRUPT: 000009.sst: corrupt from byte \(damaged.offset): data block 1 ")
      })
    #expect(result.lines.contains { $0.hasPrefix("data block 2 ") })
    #expect(result.lines.last?.hasSuffix("1 problem: CORRUPT") == true)
  }

  @Test func aDamagedFooterEndsTheDump() throws {
    var bytes = try TableFixture.bytes(TableFixture.tinyTable)
    bytes[bytes.count - 1] ^= 1
    let fileSystem = MemoryFileSystem()
    try fileSystem.writeFile("000007.sst", bytes, sync: false)
    let result = try TableDump.run(path: "000007.sst", fileSystem: fileSystem, blocks: true, entries: true)
    #expect(result.isCorrupt)
    #expect(
      result.lines == [
        "000007.sst: 188 bytes",
        "  CORRUPT: 000007.sst: corrupt from byte 184: footer: footer checksum mismatch: stored 0x290c4b38, "
          + "computed 0x280c4b38",
        "0 good data blocks, 0 entries read, 1 problem: CORRUPT",
      ])
  }

  @Test func aMissingFileIsAnError() {
    #expect(throws: TableError.self) {
      try TableDump.run(path: "nope.sst", fileSystem: MemoryFileSystem(), blocks: false, entries: false)
    }
  }
}
