import Chapter1WAL
import Chapter3SSTable
import TestSupport
import Testing

@testable import Chapter5BloomFilter

/// Chapter 4's whole-database sweep (`DamageSweep`) over a chapter 5
/// database: every table carries a filter, and reads go through a block
/// cache of two blocks and a table cache of two tables. A damaged filter
/// must be refused or read as damage: never a key missed because its filter
/// said no.
@Suite struct DamageSweepTests {
  @Test func everyDamagedFileIsRefusedOrReadRightOrAnError() throws {
    let fs = MemoryFileSystem()
    let options = Fixture.options(memtableSize: 1024, cacheSize: 512, openTables: 2)
    let db = try Fixture.open(fs, options)
    let contents = try DamageSweep.write(into: db, merge: { try db.mergeTables() }, flush: { try db.flush() })
    // Every table the sweep damages has a filter.
    for table in db.versions.current.tables { #expect(try db.tables.open(table.metadata).filter != nil) }
    try db.close()
    var files: [String: Bytes] = [:]
    for name in try fs.listDirectory("/db") { files[name] = try fs.readFile("/db/" + name) }

    // Absent keys too, inside the tables' ranges: a damaged filter must not
    // turn one into a found key either.
    let absent = (0..<10).map { Bytes(utf8: "key\($0)x") }
    let outcomes = try DamageSweep.run(
      files, keys: contents.keys + absent, expected: contents.expected, liveLogEarlier: contents.liveLogEarlier
    ) { try Fixture.open($0, options) }
    #expect((outcomes[.refused] ?? 0) > 0 && (outcomes[.right] ?? 0) > 0, "\(outcomes)")
  }
}
