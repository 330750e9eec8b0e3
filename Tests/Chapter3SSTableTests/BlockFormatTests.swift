import Chapter1WAL
import Chapter2Memtable
import Foundation
import PropertyBased
import Synchronization
import Testing

@testable import Chapter3SSTable

@Suite struct BlockFormatTests {
  /// The example at the top of BlockBuilder.swift, and its trailer from
  /// BlockTrailer.swift, byte for byte.
  @Test func workedExample() throws {
    var builder = BlockBuilder(restartInterval: 2)
    builder.add(Bytes(utf8: "apple"), Bytes(utf8: "1"))
    builder.add(Bytes(utf8: "apricot"), Bytes(utf8: "2"))
    builder.add(Bytes(utf8: "banana"), Bytes(utf8: "3"))
    #expect(builder.estimatedSize == 40)
    let contents = builder.finish()
    #expect(
      hexdump(contents) == """
        00000000  00 05 01 61 70 70 6c 65  31 02 05 01 72 69 63 6f
        00000010  74 32 00 06 01 62 61 6e  61 6e 61 33 00 00 00 00
        00000020  12 00 00 00 02 00 00 00
        """)
    var sealed = Bytes()
    let checksum = BlockTrailer.seal(contents, into: &sealed)
    #expect(Array(sealed[40...]).hexString == "00" + "03e5f451")
    #expect(checksum == 0x51F4_E503)
    #expect(try BlockTrailer.verify(sealed, size: 40) == contents)

    let block = try Block(contents)
    #expect(block.restartCount == 2)
    #expect(block.restart(1) == 18)
    var iterator = block.makeIterator(.bytewise)
    try iterator.seek(Bytes(utf8: "apricot"))
    #expect(iterator.key == Bytes(utf8: "apricot") && iterator.value == Bytes(utf8: "2"))
  }

  /// Sorted, distinct keys with shared prefixes (few distinct bytes, so
  /// prefixes are common), and values of any length including empty.
  static let entries = zip(Gen<UInt8>.value(in: 97...99).array(of: 0...10), Gen<UInt8>.value().array(of: 0...40))
    .array(of: 0...120)
    .map { pairs in
      var seen = Set<Bytes>()
      return pairs.filter { seen.insert($0.0).inserted }.sorted { compareBytes($0.0, $1.0) < 0 }
    }

  static func build(_ entries: [(Bytes, Bytes)], interval: Int) throws -> Block {
    var builder = BlockBuilder(restartInterval: interval)
    for (key, value) in entries { builder.add(key, value) }
    let contents = builder.finish()
    #expect(contents.count == builder.estimatedSize)
    return try Block(contents)
  }

  @Test func roundTripsForwardAndBackward() async {
    await propertyCheck(count: 200, input: Self.entries, Gen<Int>.value(in: 1...20)) { entries, interval throws in
      let block = try Self.build(entries, interval: interval)
      #expect(block.restartCount == max(1, (entries.count + interval - 1) / interval))
      var iterator = block.makeIterator(.bytewise)
      var forward: [(Bytes, Bytes)] = []
      try iterator.seekToFirst()
      while iterator.isValid {
        forward.append((iterator.key, iterator.value))
        try iterator.next()
      }
      #expect(forward.map(\.0) == entries.map(\.0))
      #expect(forward.map(\.1) == entries.map(\.1))
      var backward: [Bytes] = []
      try iterator.seekToLast()
      while iterator.isValid {
        backward.append(iterator.key)
        try iterator.prev()
      }
      #expect(backward == entries.map(\.0).reversed())
    }
  }

  /// `seek` (binary search over restart points, then a short scan) lands
  /// where a linear scan of the entries does, for keys in the block and
  /// keys between them.
  @Test func seekMatchesALinearScan() async {
    await propertyCheck(
      count: 200, input: Self.entries, Gen<Int>.value(in: 1...20),
      Gen<UInt8>.value(in: 96...100).array(of: 0...11)
        .array(of: 1...20)
    ) { entries, interval, targets throws in
      let block = try Self.build(entries, interval: interval)
      var iterator = block.makeIterator(.bytewise)
      for target in targets + entries.map(\.0) {
        try iterator.seek(target)
        let expected = entries.first { compareBytes($0.0, target) >= 0 }
        #expect(iterator.isValid == (expected != nil))
        if let expected, iterator.isValid {
          #expect(iterator.key == expected.0)
          #expect(iterator.value == expected.1)
        }
      }
    }
  }

  /// A point seek is a binary search over the restart points, then a scan
  /// of at most one restart interval: O(log r + interval) comparisons,
  /// not a scan of the block.
  @Test func seekComparesLogarithmicallyManyKeys() throws {
    let comparisons = Atomic<Int>(0)
    let counting = KeyComparator(name: "counting") { a, b in
      comparisons.add(1, ordering: .relaxed)
      return compareBytes(a, b)
    }
    let keys = (0..<4096).map { Bytes(utf8: String(format: "key%06d", $0)) }
    for interval in [1, 16] {
      var builder = BlockBuilder(restartInterval: interval)
      for key in keys { builder.add(key, [1]) }
      let block = try Block(builder.finish())
      var iterator = block.makeIterator(counting)
      let restarts = keys.count / interval
      let bound = Int(log2(Double(restarts)).rounded(.up)) + interval + 1
      for key in keys.shuffled().prefix(200) {
        comparisons.store(0, ordering: .relaxed)
        try iterator.seek(key)
        #expect(iterator.key == key)
        #expect(comparisons.load(ordering: .relaxed) <= bound, "interval \(interval)")
      }
    }
  }

  @Test func emptyBlockHasOneRestartAndNoEntries() throws {
    var builder = BlockBuilder()
    let block = try Block(builder.finish())
    #expect(block.contents.count == 8)
    var iterator = block.makeIterator(.bytewise)
    try iterator.seekToFirst()
    #expect(!iterator.isValid)
    try iterator.seek([1])
    #expect(!iterator.isValid)
    try iterator.seekToLast()
    #expect(!iterator.isValid)
  }

  @Test func prefixCompressionStoresOnlyWhatDiffers() throws {
    let keys = (0..<32).map { Bytes(utf8: "user:\(1000 + $0)") }
    var compressed = BlockBuilder(restartInterval: 16)
    var whole = BlockBuilder(restartInterval: 1)
    for key in keys {
      compressed.add(key, [])
      whole.add(key, [])
    }
    // Whole: 3 header bytes + 9 key bytes per entry, 32 restarts.
    #expect(whole.finish().count == 32 * 12 + 4 * 32 + 4)
    // Compressed: restarts store 9 bytes; the rest 1 or 2 ("user:10" + 2 digits shared).
    #expect(compressed.finish().count < 32 * 6 + 4 * 2 + 4)
  }

  @Test func malformedBlocksAreNamedErrors() {
    #expect(throws: BlockCorruption(offset: 0, "block of 3 bytes has no room for its restart count")) {
      try Block([0, 0, 0])
    }
    #expect(throws: BlockCorruption(offset: 4, "block has 0 restart points (at least 1)")) {
      try Block([0, 0, 0, 0, 0, 0, 0, 0])
    }
    #expect(throws: BlockCorruption.self) { try Block([0, 0, 0, 0, 9, 0, 0, 0]) }
    // One entry claiming a 100-byte key in a 12-byte block.
    let block = try? Block([0, 100, 0, 0x61, 0, 0, 0, 0, 1, 0, 0, 0])
    var iterator = block?.makeIterator(.bytewise)
    #expect(throws: BlockCorruption.self) { try iterator?.seekToFirst() }
    #expect(iterator?.isValid == false)
    // A restart point whose entry claims to share bytes with a key it cannot see.
    let sharing = try? Block([5, 1, 0, 0x61, 0, 0, 0, 0, 1, 0, 0, 0])
    var second = sharing?.makeIterator(.bytewise)
    #expect(throws: BlockCorruption.self) { try second?.seek([0x61]) }
  }

  /// Arbitrary bytes, and valid blocks with one byte changed (as if the
  /// checksum had been forged), decode or throw; none traps.
  @Test func decodingHostileBytesNeverTraps() async {
    let bytes = Gen<UInt8>.value().array(of: 0...80)
    let targets = Gen<UInt8>.value().array(of: 0...6)
    await propertyCheck(count: 300, input: bytes, targets) { bytes, target in
      Self.exercise(bytes, target: target)
    }
    await propertyCheck(count: 20, input: Self.entries, Gen<Int>.value(in: 1...4)) { entries, interval throws in
      var builder = BlockBuilder(restartInterval: interval)
      for (key, value) in entries { builder.add(key, value) }
      let contents = builder.finish()
      for index in contents.indices {
        var damaged = contents
        damaged[index] ^= 0x41
        Self.exercise(damaged, target: entries.first?.0 ?? [])
      }
    }
  }

  /// Runs every operation over `bytes` as a block, ignoring errors.
  static func exercise(_ bytes: Bytes, target: Bytes) {
    guard let block = try? Block(bytes) else { return }
    var iterator = block.makeIterator(.bytewise)
    var steps = 0
    try? iterator.seekToFirst()
    while iterator.isValid && steps < 1000 {
      _ = iterator.value
      if (try? iterator.next()) == nil { break }
      steps += 1
    }
    try? iterator.seekToLast()
    while iterator.isValid && steps < 2000 {
      if (try? iterator.prev()) == nil { break }
      steps += 1
    }
    try? iterator.seek(target)
    var byInternalKey = block.makeIterator(.internalKey)
    try? byInternalKey.seek(target)
  }

  @Test func trailerRejectsDamageAndUnknownTypes() throws {
    var sealed = Bytes()
    BlockTrailer.seal([1, 2, 3], into: &sealed)
    #expect(throws: BlockTrailer.Problem.truncated(expected: 8, got: 7)) {
      try BlockTrailer.verify(Array(sealed.dropLast()), size: 3)
    }
    var damaged = sealed
    damaged[1] ^= 0x10
    #expect {
      try BlockTrailer.verify(damaged, size: 3)
    } throws: { error in
      if case .checksumMismatch = error as? BlockTrailer.Problem { return true }
      return false
    }
    // A block that says it is compressed, with a checksum that matches.
    var compressed: Bytes = [1, 2, 3, 1]
    compressed.appendFixed32(CRC32C.mask(CRC32C.checksum(compressed)))
    #expect(throws: BlockTrailer.Problem.unknownType(1)) { try BlockTrailer.verify(compressed, size: 3) }
  }
}
