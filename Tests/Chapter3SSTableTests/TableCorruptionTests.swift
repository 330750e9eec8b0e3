import Chapter1WAL
import Chapter2Memtable
import Testing

@testable import Chapter3SSTable

/// Damaged tables: every single-byte change, every truncation, and damage
/// behind a recomputed checksum. The rule under test is the one the book
/// states for every format: a reader reports damage as an error naming
/// the file and what failed, and never traps or returns a wrong value.
@Suite struct TableCorruptionTests {
  /// About 30 entries in five or six data blocks: versions, tombstones,
  /// empty values.
  static let entries: [Entry] = (0..<30).map { n in
    let sequence = SequenceNumber(100 - n)
    switch n % 5 {
    case 0: return Entry("key\(n / 2)", sequence, .deletion)
    case 1: return Entry("key\(n / 2)", sequence, .value, "")
    default: return Entry("key\(n / 2)", sequence, .value, "value-\(n)")
    }
  }.sorted { $0.key < $1.key }

  static let options = TableOptions(blockSize: 128, restartInterval: 4)

  /// Everything a reader can be asked: open, a scan each way, and a get of
  /// every key at the newest snapshot and at an older one.
  struct Reading: Equatable {
    var forward: [Entry]
    var backward: [Entry]
    var gets: [LookupResult]
  }

  static func readEverything(_ bytes: Bytes) throws -> Reading {
    let table = try TableFixture.open(bytes)
    var gets: [LookupResult] = []
    for key in Set(entries.map(\.key.userKey)).sorted(by: { compareBytes($0, $1) < 0 }) {
      gets.append(try table.get(key, snapshot: .max).result)
      gets.append(try table.get(key, snapshot: 90).result)
    }
    return Reading(
      forward: try TableFixture.scan(table), backward: try TableFixture.scanBackward(table), gets: gets)
  }

  /// Which part of the original table holds byte `offset`, as error
  /// messages name it.
  static func part(of offset: Int, in table: TableReader) -> String {
    if offset >= table.fileSize - Footer.size { return "footer" }
    if offset >= table.footer.properties.offset { return "properties block" }
    if offset >= table.footer.index.offset { return "index block" }
    let block = table.index.firstIndex { offset < $0.handle.end }!
    return "data block \(block) "
  }

  @Test func theFixtureSpansSeveralBlocks() throws {
    let table = try TableFixture.open(try TableFixture.bytes(Self.entries, options: Self.options))
    #expect(table.dataBlockCount >= 4)
    let reading = try Self.readEverything(try TableFixture.bytes(Self.entries, options: Self.options))
    #expect(reading.forward == Self.entries && reading.backward == Self.entries)
  }

  /// Flip each byte in turn (three ways). Every byte of a table is covered
  /// by a checksum (blocks and their trailers by the block checksum, the
  /// footer's padding by the footer's), so no byte is unused: every flip
  /// must be reported, by the part that holds the byte. Were a flip ever
  /// read without an error, the reading would have to equal the original.
  @Test func everySingleByteFlipIsReportedByThePartThatHoldsIt() throws {
    let original = try TableFixture.bytes(Self.entries, options: Self.options)
    let layout = try TableFixture.open(original)
    let expected = try Self.readEverything(original)
    var undetected: [Int] = []
    for offset in original.indices {
      for mask: UInt8 in [0x01, 0x80, 0xFF] {
        var damaged = original
        damaged[offset] ^= mask
        do {
          let reading = try Self.readEverything(damaged)
          #expect(reading == expected, "flip \(mask) at \(offset) read back wrong values")
          undetected.append(offset)
        } catch let error as TableError {
          let part = Self.part(of: offset, in: layout)
          guard case .corrupt(let file, _, let what) = error else {
            Issue.record("flip at \(offset): not reported as corruption: \(error)")
            continue
          }
          #expect(file == "000007.sst")
          #expect(what.hasPrefix(part), "flip at \(offset) in \(part) reported as: \(error)")
        }
      }
    }
    #expect(undetected.isEmpty, "flips read without an error at offsets \(undetected)")
  }

  @Test func everyTruncationIsReported() throws {
    let original = try TableFixture.bytes(Self.entries, options: Self.options)
    for length in 0..<original.count {
      #expect(throws: TableError.self, "cut to \(length) bytes") {
        try Self.readEverything(Array(original[..<length]))
      }
    }
    #expect(throws: TableError.self) { try Self.readEverything(original + [0]) }
  }

  /// Damage the checksums cannot see: change a byte inside a part, then
  /// recompute that part's checksum, as a buggy or hostile writer would.
  /// The decoders must still never trap, and any error must name the file.
  /// Values may legitimately differ (a value byte is just a value byte),
  /// but damage to the footer's fields is always caught.
  @Test func damageBehindAValidChecksumNeverTraps() throws {
    let original = try TableFixture.bytes(Self.entries, options: Self.options)
    let table = try TableFixture.open(original)
    var parts = table.index.map(\.handle) + [table.footer.index, table.footer.properties]
    parts.sort { $0.offset < $1.offset }
    var errors = 0
    for handle in parts {
      for offset in handle.offset..<(handle.offset + handle.size) {
        var damaged = original
        damaged[offset] ^= 0x5A
        var contents = Array(damaged[handle.offset..<(handle.offset + handle.size)])
        var sealed = Bytes()
        BlockTrailer.seal(contents, into: &sealed)
        damaged.replaceSubrange(handle.offset..<handle.end, with: sealed)
        contents.removeAll()
        do {
          _ = try Self.readEverything(damaged)
        } catch let error as TableError {
          #expect(error.file == "000007.sst")
          errors += 1
        }
      }
    }
    #expect(errors > 0)

    let footerStart = original.count - Footer.size
    for offset in footerStart..<(original.count - 4) {
      var damaged = original
      damaged[offset] ^= 0x5A
      var footer = Array(damaged[footerStart..<(original.count - 4)])
      footer.appendFixed32(CRC32C.mask(CRC32C.checksum(footer)))
      damaged.replaceSubrange(footerStart..<original.count, with: footer)
      #expect(throws: TableError.self, "footer byte \(offset - footerStart) changed and resealed") {
        try Self.readEverything(damaged)
      }
    }
  }

  @Test func errorsNameTheFileThePartAndTheOffset() throws {
    var bytes = try TableFixture.bytes(Self.entries, options: Self.options)
    let table = try TableFixture.open(bytes)
    let block = table.index[2].handle
    bytes[block.offset + 5] ^= 1
    #expect {
      try Self.readEverything(bytes)
    } throws: { error in
      let text = String(describing: error)
      return text.hasPrefix("000007.sst: corrupt from byte \(block.offset): data block 2 (bytes \(block.offset)..<")
        && text.contains("block checksum mismatch")
    }
    #expect(
      throws: TableError.corrupt(
        file: "000007.sst", offset: 0, what: "file of 10 bytes is too short to be a table (the footer alone is 56)")
    ) {
      try TableFixture.open(Bytes(repeating: 0, count: 10))
    }
  }
}
