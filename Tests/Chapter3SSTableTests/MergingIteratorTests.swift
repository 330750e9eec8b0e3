import Chapter1WAL
import Chapter2Memtable
import Testing

@testable import Chapter3SSTable

/// The merge and the database iterator read keys and values lent in place
/// (`withUnsafeKey`, `withUnsafeValue`) into buffers they reuse; these tests
/// check that what they lend is what the copies say, that nothing a caller
/// kept changes under it, and that a seek staying in its block reads nothing.
@Suite struct MergingIteratorTests {
  /// Three sources over overlapping keys: a memtable and two tables, with
  /// versions of the same key in several of them, and tombstones.
  static func sources(seed: UInt64) throws -> (sources: [any InternalIterator], entries: [Entry]) {
    var random = SeededGenerator(seed: seed)
    var perSource: [[Entry]] = [[], [], []]
    var all: [Entry] = []
    for sequence in SequenceNumber(1)...600 {
      let user = String(format: "key%03d", Int.random(in: 0..<150, using: &random))
      let kind: ValueKind = Int.random(in: 0..<5, using: &random) == 0 ? .deletion : .value
      let entry = Entry(user, sequence, kind, kind == .value ? "value\(sequence)" : "")
      perSource[Int.random(in: 0..<3, using: &random)].append(entry)
      all.append(entry)
    }
    let list = SkipList()
    for entry in perSource[0] {
      list.insert(entry.key.userKey, sequence: entry.key.sequence, kind: entry.key.kind, value: entry.value)
    }
    var sources: [any InternalIterator] = [list.makeIterator()]
    for index in 1...2 {
      let sorted = perSource[index].sorted { $0.key < $1.key }
      let bytes = try TableFixture.bytes(sorted, options: TableOptions(blockSize: 256))
      sources.append(try TableFixture.open(bytes).makeIterator())
    }
    return (sources, all.sorted { $0.key < $1.key })
  }

  @Test(arguments: [1, 2, 3] as [UInt64])
  func lentKeysAndValuesAreTheCopiesInOrder(seed: UInt64) throws {
    let (sources, entries) = try Self.sources(seed: seed)
    var merged = MergingIterator(sources)
    try merged.seekToFirst()
    var seen: [Entry] = []
    while merged.isValid {
      let lent = merged.withUnsafeKey { $0.copied }
      let lentValue = merged.withUnsafeValue { Bytes($0) }
      #expect(lent == merged.key)
      #expect(lentValue == merged.value)
      seen.append(Entry(key: lent, value: lentValue))
      try merged.next()
    }
    #expect(seen == entries)
  }

  @Test(arguments: [1, 2, 3] as [UInt64])
  func theDatabaseIteratorShowsTheNewestVisibleVersionAtEachSnapshot(seed: UInt64) throws {
    let (_, entries) = try Self.sources(seed: seed)
    for snapshot in [SequenceNumber(0), 1, 150, 599, 600, .max] {
      var expected: [(Bytes, Bytes)] = []
      var decided: Bytes?
      for entry in entries where entry.key.sequence <= snapshot && entry.key.userKey != decided {
        decided = entry.key.userKey
        if entry.key.kind == .value { expected.append((entry.key.userKey, entry.value)) }
      }
      var iterator = DatabaseIterator(merging: try Self.sources(seed: seed).sources, snapshot: snapshot)
      try iterator.seekToFirst()
      var kept: [(Bytes, Bytes)] = []
      while iterator.isValid {
        kept.append((iterator.key, iterator.value))  // kept while the iterator reuses its buffers
        try iterator.next()
      }
      #expect(kept.map(\.0) == expected.map(\.0), "snapshot \(snapshot)")
      #expect(kept.map(\.1) == expected.map(\.1), "snapshot \(snapshot)")
    }
  }

  @Test func aSeekInTheBlockTheIteratorIsInReadsNothing() throws {
    let entries = (0..<400).map { Entry(String(format: "key%03d", $0), SequenceNumber($0 + 1), .value, "v\($0)") }
    let table = try TableFixture.open(try TableFixture.bytes(entries, options: TableOptions(blockSize: 512)))
    #expect(table.dataBlockCount > 4)
    var iterator = table.makeIterator()
    func seek(_ user: String) throws -> Int {
      let before = table.blocksRead
      try iterator.seek(InternalKey(Bytes(utf8: user), sequence: .max, kind: .value))
      return table.blocksRead - before
    }
    #expect(try seek("key001") == 1)
    #expect(try seek("key003") == 0)  // same block
    #expect(Format.printable(iterator.key.userKey) == "key003")
    #expect(try seek("key002") == 0)  // backward, still the same block
    #expect(Format.printable(iterator.key.userKey) == "key002")
    #expect(try seek("key350") == 1)
    #expect(Format.printable(iterator.key.userKey) == "key350")
  }
}
