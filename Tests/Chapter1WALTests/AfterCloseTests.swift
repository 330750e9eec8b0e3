import Chapter1WAL
import TestSupport
import Testing

/// A closed engine refuses reads as it refuses writes.
@Suite struct AfterCloseTests {
  @Test func writesAndReadsAfterCloseThrowClosed() throws {
    let db = try Database.open(directory: "/db", fileSystem: MemoryFileSystem())
    try db.put(Bytes(utf8: "a"), Bytes(utf8: "1"))
    try db.close()
    #expect(AfterClose.errors(of: db) == [.closed, .closed, .closed])
    #expect(throws: CommitError.closed) { try db.makeIterator() }
  }
}
