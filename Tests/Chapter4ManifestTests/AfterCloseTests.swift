import Chapter1WAL
import TestSupport
import Testing

@testable import Chapter4Manifest

/// A closed engine refuses reads, of a merged table too and at a snapshot,
/// as it refuses writes; an iterator opened before keeps its version.
@Suite struct AfterCloseTests {
  @Test func readsOfAVersionAndWritesAfterCloseThrowClosed() throws {
    var options = Chapter4Manifest.Database.Options()
    options.backgroundFlush = false
    let db = try Chapter4Manifest.Database.open(directory: "/db", fileSystem: MemoryFileSystem(), options: options)
    for value in ["1", "2"] {
      try db.put(Bytes(utf8: "a"), Bytes(utf8: value))
      try db.flush()
    }
    try db.mergeTables()
    let iterator = db.makeIterator()
    let snapshot = db.snapshot()
    try db.close()
    #expect(
      AfterClose.errors(of: db, at: snapshot, get: db.get(_:at:), scan: db.scan(from:to:at:)).allSatisfy {
        $0 == .closed
      })
    try iterator.seekToFirst()
    #expect(iterator.value == Bytes(utf8: "2"))
    iterator.close()
  }
}
