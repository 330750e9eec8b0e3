import Chapter1WAL
import TestSupport
import Testing

@testable import Chapter2Memtable

/// A closed engine refuses reads, snapshot reads included, as it refuses
/// writes.
@Suite struct AfterCloseTests {
  @Test func writesAndReadsAfterCloseThrowClosed() throws {
    let db = try Chapter2Memtable.Database.open(directory: "/db", fileSystem: MemoryFileSystem())
    try db.put(Bytes(utf8: "a"), Bytes(utf8: "1"))
    let snapshot = db.snapshot()
    try db.close()
    let errors = AfterClose.errors(of: db, at: snapshot, get: db.get(_:at:), scan: db.scan(from:to:at:))
    #expect(errors == Array(repeating: .closed, count: 5))
  }
}
