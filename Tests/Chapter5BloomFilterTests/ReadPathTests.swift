import Chapter1WAL
import Chapter3SSTable
import Chapter4Manifest
import TestSupport
import Testing

@testable import Chapter5BloomFilter

/// The read path: filters before blocks, blocks through the cache, a
/// bounded number of open tables, and damage named, never a missed key.
@Suite struct ReadPathTests {
  /// Four tables that all span the same key range (table t holds the keys
  /// i with i % 4 == t), and 1000 absent keys inside that range.
  static func overlappingTables(_ options: Database.Options) throws -> (Database, absent: [Bytes]) {
    let db = try Fixture.open(MemoryFileSystem(), options)
    for t in 0..<4 {
      for i in stride(from: t, to: 400, by: 4) { try db.put(Fixture.key(i), Fixture.value(i)) }
      try db.flush()
    }
    // "key1a" sorts after "key199" and before "key2": inside every range.
    let absent = (0..<1000).map { Bytes(utf8: "key\($0 % 400)a\($0)") }
    return (db, absent)
  }

  @Test func aFilterSkipsTablesThatCannotHoldTheKey() throws {
    var blocks: [Double: Int] = [:]
    var lookups: [Double: Int] = [:]
    for bits in [0.0, 10] {
      let (db, absent) = try Self.overlappingTables(
        Fixture.options(memtableSize: 1 << 20, cacheSize: 0, bitsPerKey: bits))
      #expect(db.versions.current.levels[0].count == 4)
      for key in absent { #expect(try db.get(key) == nil) }
      let s = db.tables.statistics
      blocks[bits] = s.blocksReadByGets.load(ordering: .relaxed)
      lookups[bits] = s.tableLookups.load(ordering: .relaxed)
      #expect(s.gets.load(ordering: .relaxed) == absent.count)
      if bits == 0 {
        #expect(s.filterNegatives.load(ordering: .relaxed) == 0)
      } else {
        // Every "maybe" for an absent key is a false positive.
        let negatives = s.filterNegatives.load(ordering: .relaxed)
        let positives = s.filterPositives.load(ordering: .relaxed)
        #expect(positives == s.filterFalsePositives.load(ordering: .relaxed))
        #expect(negatives + positives == s.tableLookups.load(ordering: .relaxed))
      }
    }
    // Without filters each absent key costs a block per table whose range
    // covers it (nearly all four); with 10 bits per key, about 1 in 100 does.
    #expect(blocks[0] == lookups[0] && lookups[0]! > 3900, "\(blocks) \(lookups)")
    #expect(blocks[10]! < 120, "\(blocks)")
  }

  @Test func aCachedBlockIsReadOnce() throws {
    let db = try Fixture.open(MemoryFileSystem(), Fixture.options(memtableSize: 1 << 20))
    try Fixture.table(db, 0..<200)
    let before = db.tables.blockCache.stats
    #expect(try db.get(Fixture.key(7)) == Fixture.value(7))
    #expect(try db.get(Fixture.key(7)) == Fixture.value(7))
    let after = db.tables.blockCache.stats
    #expect(after.misses - before.misses == 1 && after.hits - before.hits == 1)
    #expect(db.tables.statistics.blocksReadByGets.load(ordering: .relaxed) == 1)
    // Nothing is pinned once the reads are done.
    #expect(after.pinnedUsage == 0)
  }

  @Test func withTheCacheOffEveryGetReadsItsBlock() throws {
    let db = try Fixture.open(MemoryFileSystem(), Fixture.options(memtableSize: 1 << 20, cacheSize: 0))
    try Fixture.table(db, 0..<200)
    for _ in 0..<3 { #expect(try db.get(Fixture.key(7)) == Fixture.value(7)) }
    #expect(db.tables.statistics.blocksReadByGets.load(ordering: .relaxed) == 3)
    #expect(db.tables.blockCache.stats.entryCount == 0)
  }

  /// A table cache of 2 with 6 tables: every key is still found, at most 2
  /// tables stay open, and the others were closed and reopened on demand.
  @Test func aTableCacheSmallerThanTheTablesReopensThemOnDemand() throws {
    let db = try Fixture.open(MemoryFileSystem(), Fixture.options(memtableSize: 1 << 20, openTables: 2))
    for t in 0..<6 { try Fixture.table(db, (t * 50)..<(t * 50 + 50)) }
    #expect(db.versions.current.tables.count == 6)
    for round in 0..<2 {
      for i in 0..<300 { #expect(try db.get(Fixture.key(i)) == Fixture.value(i), "round \(round), key \(i)") }
    }
    #expect(try db.scan(from: nil, to: nil).count == 300)
    let stats = db.tables.tableCache.stats
    #expect(stats.entryCount <= 2 && stats.evictions > 6, "\(stats)")
  }

  /// A filter that decodes wrong (its block's checksum made to match) is an
  /// error naming the table; so is one whose bytes are damaged.
  @Test(arguments: [true, false])
  func aDamagedFilterIsAnErrorNamingTheTable(fixChecksum: Bool) throws {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs, Fixture.options(memtableSize: 1 << 20))
    try Fixture.table(db, 0..<50)
    let name = Fixture.tablesInVersion(db)[0]
    try db.close()
    let path = "/db/" + name
    let reader = try TableReader.open(path: path, name: name, fileSystem: fs)
    let handle = try #require(reader.metaBlockHandle)
    var bytes = try fs.readFile(path)
    // The probes byte, second to last of the block's contents.
    bytes[handle.offset + handle.size - 2] = 0
    if fixChecksum {
      var sealed = Bytes()
      BlockTrailer.seal(Array(bytes[handle.offset..<(handle.offset + handle.size)]), into: &sealed)
      bytes.replaceSubrange(handle.offset..<handle.end, with: sealed)
    }
    try fs.writeFile(path, bytes, sync: true)
    #expect {
      _ = try Fixture.open(fs, Fixture.options(memtableSize: 1 << 20))
    } throws: { error in
      let text = "\(error)"
      return text.contains(name) && text.contains(fixChecksum ? "filter probes 0" : "meta block")
    }
  }

  /// A chapter 4 directory opens here: its tables have no filter and read
  /// as before, new tables get one, and from then on chapter 4 refuses it.
  @Test func aChapter4DirectoryOpensAndItsTablesReadWithoutFilters() throws {
    let fs = MemoryFileSystem()
    var old = Chapter4Manifest.Database.Options()
    old.memtableSize = 1 << 20
    let four = try Chapter4Manifest.Database.open(directory: "/db", fileSystem: fs, options: old)
    for i in 0..<50 { try four.put(Fixture.key(i), Fixture.value(i)) }
    try four.flush()
    try four.close()

    let db = try Fixture.open(fs, Fixture.options(memtableSize: 1 << 20))
    let first = try #require(db.versions.current.tables.first)
    #expect(try db.tables.open(first.metadata).filter == nil)
    for i in 0..<50 { #expect(try db.get(Fixture.key(i)) == Fixture.value(i)) }
    try Fixture.table(db, 50..<100)
    let newest = db.versions.current.levels[0][0]
    #expect(try db.tables.open(newest.metadata).filter != nil)
    try db.close()

    #expect(throws: DirectoryError.self) {
      _ = try Chapter4Manifest.Database.open(directory: "/db", fileSystem: fs, options: old)
    }
  }

  /// The trace of a get names each table's decision.
  @Test func theTraceShowsEachTablesDecision() throws {
    let recorder = TraceRecorder()
    let db = try Fixture.open(MemoryFileSystem(), Fixture.options(memtableSize: 1 << 20), tracer: recorder.tracer())
    try Fixture.table(db, 0..<50)
    try Fixture.table(db, 100..<150)
    _ = try db.get(Fixture.key(120))
    _ = try db.get(Fixture.key(120))
    _ = try db.get(Bytes(utf8: "key120x"))
    _ = try db.get(Bytes(utf8: "zzz"))
    let actions = Set(recorder.events.filter { [.filter, .cache].contains($0.component) }.map(\.action))
    #expect(actions.isSuperset(of: ["range", "no", "maybe", "miss", "hit", "table"]), "\(actions)")
  }
}
