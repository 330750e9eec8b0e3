import Chapter1WAL
import Chapter3SSTable
import Testing

@testable import Chapter4Manifest

/// A chapter 3 directory (tables found by listing, no manifest) opened by
/// chapter 4: adopted, not refused; and chapter 3 cannot open it after.
@Suite struct AdoptionTests {
  @Test func chapter4AdoptsChapter3sTablesAndLogs() throws {
    let fs = MemoryFileSystem()
    var options = Chapter3SSTable.Database.Options()
    options.memtableSize = 2048
    options.backgroundFlush = false
    let old = try Chapter3SSTable.Database.open(directory: "/db", fileSystem: fs, options: options)
    for i in 0..<60 { try old.put(Fixture.key(i), Fixture.value(i)) }
    try old.delete(Fixture.key(7))
    try old.flush()
    try old.put(Fixture.key(100), Fixture.value(100))  // in the log only
    try old.close()
    let tables = try Fixture.tablesOnDisk(fs)
    #expect(tables.count >= 2, "the workload flushed more than once")

    let recorder = TraceRecorder()
    let db = try Fixture.open(fs, tracer: recorder.tracer())
    #expect(db.versions.current.levels[0].map(\.name) == tables.reversed(), "every table on level 0, newest first")
    #expect(recorder.events.contains { $0.action == "adopt" })
    for i in 0..<60 where i != 7 { #expect(try db.get(Fixture.key(i)) == Fixture.value(i)) }
    #expect(try db.get(Fixture.key(7)) == nil)
    #expect(try db.get(Fixture.key(100)) == Fixture.value(100))
    try db.put(Fixture.key(200), Fixture.value(200))
    try db.flush()
    try db.close()

    let reopened = try Fixture.open(fs)
    #expect(try reopened.scan().count == 61)
    try reopened.close()
    #expect(throws: DirectoryError.laterChapter(directory: "/db", wrote: 4, opening: 3)) {
      try Chapter3SSTable.Database.open(directory: "/db", fileSystem: fs, options: options)
    }
  }
}
