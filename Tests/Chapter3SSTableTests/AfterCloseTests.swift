import Chapter1WAL
import TestSupport
import Testing

@testable import Chapter3SSTable

/// A closed engine refuses reads, of its tables too and at a snapshot, as
/// it refuses writes.
@Suite struct AfterCloseTests {
  @Test func readsOfTablesAndWritesAfterCloseThrowClosed() throws {
    let db = try Chapter3SSTable.Database.open(
      directory: "/db", fileSystem: MemoryFileSystem(), options: DatabaseFlushTests.options())
    try db.put(Bytes(utf8: "a"), Bytes(utf8: "1"))
    try db.flush()
    let snapshot = db.snapshot()
    try db.close()
    #expect(
      AfterClose.errors(of: db, at: snapshot, get: db.get(_:at:), scan: db.scan(from:to:at:))
        == [.closed, .closed, .closed, .closed, .closed])
  }
}
