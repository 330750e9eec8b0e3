import Chapter1WAL
import Chapter3SSTable
import TestSupport
import Testing

@testable import Chapter6Compaction

/// Chapter 4's whole-database sweep (`DamageSweep`) over a chapter 6
/// database: tables that compaction wrote on levels 1 and deeper, a
/// manifest whose edits include compactions, trivial moves and compaction
/// pointers (tag 6), and a live log. Every damaged copy must be refused,
/// read right, or answer with a read error, and a copy that opens must
/// compact without turning damage into a wrong answer.
@Suite struct DamageSweepTests {
  @Test func everyDamagedFileIsRefusedOrReadRightOrAnError() throws {
    let fs = MemoryFileSystem()
    let options = Fixture.options(memtableSize: 512, level1Bytes: 1024, multiplier: 2, tableSize: 512)
    let db = try Fixture.open(fs, options)
    let contents = try DamageSweep.write(
      into: db, merge: { _ = try db.compactRange(from: nil, to: nil) }, flush: { try db.flush() })
    // The database the sweep damages is compacted: tables below level 0,
    // and compaction pointers in the manifest.
    #expect(Fixture.shape(db).dropFirst().reduce(0, +) > 0, "\(Fixture.shape(db))")
    #expect(db.compactor.statistics.levels.contains { $0.compactions > 0 })
    try db.close()
    var files: [String: Bytes] = [:]
    for name in try fs.listDirectory("/db") { files[name] = try fs.readFile("/db/" + name) }
    #expect(files.keys.contains { $0.hasSuffix(".sst") } && files.keys.contains { $0.hasPrefix("MANIFEST-") })

    let outcomes = try DamageSweep.run(
      files, keys: contents.keys, expected: contents.expected, liveLogEarlier: contents.liveLogEarlier
    ) { try Fixture.open($0, options) }
    #expect((outcomes[.refused] ?? 0) > 0 && (outcomes[.right] ?? 0) > 0, "\(outcomes)")
  }
}
