import Chapter1WAL
import Chapter3SSTable
import Testing

@testable import Chapter4Manifest

/// Damage outside the power-cut model: a manifest cut short behind the
/// engine's back, a live log deleted. Recovery must notice and refuse,
/// never roll the database back and delete the only copy of a write.
@Suite struct ManifestDamageTests {
  /// Two flushes of `k` (old, then new), then the database closed.
  private func twoFlushes(_ fs: MemoryFileSystem) throws {
    let db = try Fixture.open(fs)
    try db.put(Bytes(utf8: "k"), Bytes(utf8: "old"))
    try db.flush()
    try db.put(Bytes(utf8: "k"), Bytes(utf8: "new"))
    try db.flush()
    try db.close()
  }

  @Test func aTruncatedManifestIsRefusedAndNoTableIsRemoved() throws {
    let fs = MemoryFileSystem()
    try twoFlushes(fs)
    let tables = try Fixture.tablesOnDisk(fs)
    #expect(tables.count == 2)
    let manifest = "/db/" + (try fs.listDirectory("/db").first { ManifestFileNames.manifestNumber($0) != nil }!)
    try fs.truncateFile(manifest, to: try fs.fileSize(manifest) - 1)
    #expect(throws: ManifestError.self) { try Fixture.open(fs) }
    #expect(try Fixture.tablesOnDisk(fs) == tables, "the table the lost edit named is still there")
  }

  @Test func aDeletedLiveLogIsRefused() throws {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs)
    try db.put(Bytes(utf8: "a"), Bytes(utf8: "1"))
    try db.flush()
    try db.put(Bytes(utf8: "b"), Bytes(utf8: "2"))  // only in the live log
    let live = db.logStatus.name
    try db.close()
    try fs.removeFile("/db/" + live)
    #expect(throws: ManifestError.self) { try Fixture.open(fs) }
  }

  @Test func aCrashOrphanIsStillRemoved() throws {
    // Cut the power at every point of a flush: where a table outlived its
    // edit, its log still holds every write, so the orphan goes, as before.
    var orphansRemoved = 0
    for cut in 1...30 {
      let fs = PowerCutFileSystem(wrapping: MemoryFileSystem())
      let db = try Fixture.open(fs)
      try db.put(Bytes(utf8: "a"), Bytes(utf8: "1"))
      fs.schedulePowerCut(afterOperations: cut)
      _ = try? db.flush()
      _ = try fs.crash()
      let recorder = TraceRecorder()
      let reopened = try Fixture.open(fs, tracer: recorder.tracer())
      #expect(try reopened.get(Bytes(utf8: "a")) == Bytes(utf8: "1"), "cut after \(cut)")
      #expect(try Fixture.tablesOnDisk(fs) == reopened.versions.current.tables.map(\.name).sorted())
      if recorder.events.contains(where: { $0.details.hasPrefix("orphan") }) { orphansRemoved += 1 }
      try reopened.close()
    }
    #expect(orphansRemoved > 0, "some cut fell between a table and its edit")
  }
}
