import Chapter1WAL
import Chapter3SSTable
import Testing

@testable import Chapter4Manifest

/// Chapter 4's engine: flushes recorded in the manifest, versions pinned by
/// iterators, obsolete files collected, recovery from CURRENT.
@Suite struct DatabaseManifestTests {
  @Test func aNewDatabaseStartsWithAManifestAndCurrent() throws {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs)
    #expect(try fs.listDirectory("/db").sorted() == ["000002.log", "CURRENT", "FORMAT", "LOCK", "MANIFEST-000001"])
    #expect(try fs.readFile("/db/CURRENT") == Bytes(utf8: "MANIFEST-000001\n"))
    #expect(db.versions.manifestStatus.edits == 1)
  }

  @Test func aFlushIsRecordedInTheManifestBeforeItsLogIsRetired() throws {
    let fs = PowerCutFileSystem(wrapping: MemoryFileSystem())
    let recorder = TraceRecorder()
    let db = try Fixture.open(fs, tracer: recorder.tracer())
    for i in 0..<10 { try db.put(Fixture.key(i), Fixture.value(i)) }
    try db.delete(Fixture.key(3))
    try db.flush()
    #expect(
      try fs.listDirectory("/db").sorted() == [
        "000003.log", "000004.sst", "CURRENT", "FORMAT", "LOCK", "MANIFEST-000001",
      ])
    let actions = recorder.events.map { "\($0.component.rawValue) \($0.action)" }
    let freeze = try #require(actions.firstIndex(of: "memtable freeze"))
    let steps = actions[(freeze + 1)...].filter {
      ["fs fsync", "manifest append", "manifest version", "wal retire"].contains($0)
    }
    #expect(steps == ["fs fsync", "manifest append", "manifest version", "wal retire"], "\(actions)")
    let version = db.versions.current
    #expect(version.levels[0].map(\.name) == ["000004.sst"])
    #expect(version.levels[0][0].metadata.entryCount == 11)
    #expect(db.versions.recorded.logNumber == 3)
    try db.close()

    let reopened = try Fixture.open(fs)
    #expect(Fixture.tablesInVersion(reopened) == ["000004.sst"])
    #expect(reopened.lastSequence == 11)
    #expect(try reopened.get(Fixture.key(7)) == Fixture.value(7))
    #expect(try reopened.get(Fixture.key(3)) == nil)
    #expect(reopened.versions.current.levels[0][0].metadata == version.levels[0][0].metadata)
  }

  @Test func mergingReplacesEveryTableWithOneOnLevelOne() throws {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs)
    for round in 0..<3 {
      for i in 0..<20 { try db.put(Fixture.key(i), Bytes(utf8: "r\(round)-\(i)")) }
      try db.flush()
    }
    let snapshot = db.snapshot()
    try db.put(Fixture.key(1), Bytes(utf8: "newest"))
    try db.flush()
    #expect(db.versions.current.levels[0].count == 4)
    let merged = try #require(try db.mergeTables())
    #expect(merged.entryCount == 61, "every version of every key is kept")
    #expect(db.versions.current.levels[0].isEmpty)
    #expect(db.versions.current.levels[1].map(\.name) == [merged.name])
    #expect(try Fixture.tablesOnDisk(fs) == [merged.name], "no reader pins the inputs, so they are gone")
    #expect(try db.get(Fixture.key(1)) == Bytes(utf8: "newest"))
    #expect(try db.get(Fixture.key(1), at: snapshot) == Bytes(utf8: "r2-1"))
    #expect(try db.mergeTables() == nil, "one table on level 1 is already merged")
    try db.close()
    let reopened = try Fixture.open(fs)
    #expect(Fixture.tablesInVersion(reopened) == [merged.name])
    #expect(try reopened.scan().count == 20)
  }

  @Test func anIteratorKeepsItsVersionAndItsFilesUntilItCloses() throws {
    let fs = MemoryFileSystem()
    let recorder = TraceRecorder()
    let db = try Fixture.open(fs, tracer: recorder.tracer())
    for i in 0..<10 { try db.put(Fixture.key(i), Fixture.value(i)) }
    try db.flush()
    for i in 5..<15 { try db.put(Fixture.key(i), Bytes(utf8: "second")) }
    let iterator = db.makeIterator()
    let before = try Fixture.tablesOnDisk(fs)

    // The files change underneath: a flush adds a table, a merge replaces
    // both with a third, writes and deletes go on.
    try db.flush()
    try db.mergeTables()
    try db.delete(Fixture.key(0))
    try db.put(Fixture.key(99), Bytes(utf8: "later"))
    #expect(Fixture.tablesInVersion(db).count == 1)
    #expect(Set(before).isSubset(of: try Fixture.tablesOnDisk(fs)), "the iterator's table must stay")
    let status = db.versions.tableStatus()
    #expect(status.values.contains { $0.hasPrefix("obsolete kept by iterator 1") })

    // It reads exactly what the database held when it opened.
    var seen: [KeyValuePair] = []
    try iterator.seekToFirst()
    while iterator.isValid {
      seen.append(KeyValuePair(key: iterator.key, value: iterator.value))
      try iterator.next()
    }
    let expected = (0..<15).map { i in
      KeyValuePair(key: Fixture.key(i), value: i < 5 ? Fixture.value(i) : Bytes(utf8: "second"))
    }
    .sorted { $0.key.lexicographicallyPrecedes($1.key) }
    #expect(seen == expected)

    // Closing it lets the obsolete table go, and the trace says why.
    iterator.close()
    #expect(try Fixture.tablesOnDisk(fs) == Fixture.tablesInVersion(db))
    let removal = try #require(recorder.events.last { $0.action == "obsolete" })
    #expect(removal.details.contains("iterator 1, its last reader, was released"), "\(removal)")
  }

  /// A point read pins its version with a count, not a named pin; the
  /// tables it may read stay until it ends.
  @Test func aReadInProgressKeepsItsTables() throws {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs)
    for i in 0..<10 { try db.put(Fixture.key(i), Fixture.value(i)) }
    try db.flush()
    try db.put(Fixture.key(1), Fixture.value(2))
    try db.flush()
    let read = db.versions.beginRead()
    #expect(db.versions.pins().map(\.holders) == [["1 read"]])
    try db.mergeTables()
    #expect(try Fixture.tablesOnDisk(fs).count == 3, "the read's two tables and the merged one")
    db.versions.endRead(read)
    #expect(try Fixture.tablesOnDisk(fs) == Fixture.tablesInVersion(db))
    #expect(db.versions.pins().isEmpty)
  }

  @Test func aFreedIteratorReleasesItsVersionToo() throws {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs)
    for i in 0..<10 { try db.put(Fixture.key(i), Fixture.value(i)) }
    try db.flush()
    do {
      let iterator = db.makeIterator()
      try iterator.seekToFirst()
      try db.put(Fixture.key(1), Fixture.value(2))
      try db.flush()
      try db.mergeTables()
      // The iterator's table, and the merged one; the second flush's
      // table was never in the iterator's version, so it went at once.
      #expect(try Fixture.tablesOnDisk(fs).count == 2)
    }
    #expect(try Fixture.tablesOnDisk(fs).count == 1)
    #expect(db.versions.pins().isEmpty)
  }

  @Test func theManifestIsRewrittenWhenItGrowsPastItsLimit() throws {
    let fs = MemoryFileSystem()
    let recorder = TraceRecorder()
    let db = try Fixture.open(fs, Fixture.options(memtableSize: 300, manifestLimit: 400), tracer: recorder.tracer())
    for i in 0..<200 { try db.put(Fixture.key(i % 37), Fixture.value(i)) }
    try db.mergeTables()
    for i in 0..<100 { try db.put(Fixture.key(i % 37), Fixture.value(i + 1000)) }
    let rewrites = recorder.events.filter { $0.action == "rewrite" }.count
    #expect(rewrites >= 2)
    // A snapshot of many tables is itself big: the manifest is rewritten
    // only once it is twice that, not at every edit.
    let edits = recorder.events.filter { $0.action == "append" && $0.component == .manifest }.count
    #expect(rewrites * 3 < edits, "\(rewrites) rewrites for \(edits) edits")
    let manifests = try fs.listDirectory("/db").filter { ManifestFileNames.manifestNumber($0) != nil }
    #expect(manifests == [db.versions.manifestStatus.name])
    #expect(try fs.readFile("/db/CURRENT") == Bytes(utf8: manifests[0] + "\n"))
    let expected = try db.scan()
    let tables = Fixture.tablesInVersion(db)
    try db.close()
    let reopened = try Fixture.open(fs)
    #expect(try reopened.scan() == expected)
    #expect(Fixture.tablesInVersion(reopened) == tables)
    #expect(try Fixture.tablesOnDisk(fs) == tables)
  }

  // MARK: Recovery removes what no version names

  @Test func orphanTablesAndObsoleteLogsAreRemovedAtOpen() throws {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs)
    for i in 0..<10 { try db.put(Fixture.key(i), Fixture.value(i)) }
    try db.flush()
    try db.close()
    // A table no edit names (as if a crash came between the table and its
    // edit), a log older than the manifest's log number (as if a crash came
    // before it was retired), and an unfinished CURRENT.
    try fs.writeFile("/db/000009.sst", try fs.readFile("/db/000004.sst"), sync: true)
    try fs.writeFile("/db/000001.log", [], sync: true)
    try fs.writeFile("/db/CURRENT.tmp", Bytes(utf8: "MANIFEST-000"), sync: true)
    let recorder = TraceRecorder()
    let reopened = try Fixture.open(fs, tracer: recorder.tracer())
    let removed = recorder.events.filter { $0.action == "remove" }.map { "\($0.subject): \($0.details)" }
    #expect(
      removed == [
        "CURRENT.tmp: never renamed", "000001.log: obsolete: the manifest starts recovery at log 3",
        "000009.sst: orphan: no manifest edit names it",
      ])
    #expect(
      try fs.listDirectory("/db").sorted() == [
        "000003.log", "000004.sst", "CURRENT", "FORMAT", "LOCK", "MANIFEST-000001",
      ])
    #expect(try reopened.scan().count == 10)
    // A number seen on disk is never handed out again.
    try reopened.put(Fixture.key(1), Fixture.value(1))
    try reopened.flush()
    #expect(Fixture.tablesInVersion(reopened).last! > "000009.sst")
  }

  // MARK: Corrupt and torn manifests

  /// A database with a few edits in its manifest, closed; its files.
  static func closedDatabase() throws -> [String: Bytes] {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs)
    for round in 0..<3 {
      for i in 0..<8 { try db.put(Fixture.key(i), Bytes(utf8: "\(round)")) }
      try db.flush()
    }
    try db.mergeTables()
    try db.put(Fixture.key(100), Bytes(utf8: "in the log"))
    try db.close()
    return try Fixture.files(fs)
  }

  @Test func aTornEditAtTheTailIsCutAndTheRestRecovers() throws {
    let files = try Self.closedDatabase()
    var extra = VersionEdit()
    extra.added = [(0, VersionEditTests.table(77, "a", "b"))]
    var frame = Bytes()
    LogFormat.frame(extra.encoded(), into: &frame)
    for cut in 1..<frame.count {
      var torn = files
      torn["MANIFEST-000001"]! += frame[..<cut]
      let fs = try Fixture.fileSystem(with: torn)
      let recorder = TraceRecorder()
      let db = try Fixture.open(fs, tracer: recorder.tracer())
      #expect(recorder.events.contains { $0.component == .manifest && $0.action == "truncate" }, "cut \(cut)")
      #expect(try fs.readFile("/db/MANIFEST-000001") == files["MANIFEST-000001"], "cut \(cut)")
      #expect(try db.scan().count == 9)
      #expect(try db.get(Fixture.key(100)) == Bytes(utf8: "in the log"))
    }
  }

  @Test func damageInsideTheManifestRefusesToOpenNamingTheOffset() throws {
    let files = try Self.closedDatabase()
    let manifest = files["MANIFEST-000001"]!
    for offset in 0..<manifest.count {
      var damaged = files
      damaged["MANIFEST-000001"]![offset] ^= 0x40
      let fs = try Fixture.fileSystem(with: damaged)
      #expect(throws: LogCorruption.self, "offset \(offset)") { try Fixture.open(fs) }
      #expect(try fs.readFile("/db/MANIFEST-000001") == damaged["MANIFEST-000001"], "nothing was cut")
    }
    var damaged = files
    damaged["MANIFEST-000001"]![14] ^= 0x01
    do {
      _ = try Fixture.open(try Fixture.fileSystem(with: damaged))
    } catch {
      #expect("\(error)".hasPrefix("corruption in MANIFEST-000001 at offset 0: checksum mismatch"), "\(error)")
    }
  }

  @Test func aBadOrDanglingCurrentIsAClearError() throws {
    let files = try Self.closedDatabase()
    var bad = files
    bad["CURRENT"] = Bytes(utf8: "MANIFEST-0000")
    #expect(throws: ManifestError.badCurrent("MANIFEST-0000")) { try Fixture.open(try Fixture.fileSystem(with: bad)) }
    bad["CURRENT"] = Bytes(utf8: "MANIFEST-000042\n")
    #expect(throws: ManifestError.missingManifest("MANIFEST-000042")) {
      try Fixture.open(try Fixture.fileSystem(with: bad))
    }
    var noCurrent = files
    noCurrent["CURRENT"] = nil
    #expect(throws: ManifestError.noCurrent(tables: 1, logs: 1)) {
      try Fixture.open(try Fixture.fileSystem(with: noCurrent))
    }
    var lostTable = files
    let table = try #require(files.keys.first { $0.hasSuffix(".sst") })
    lostTable[table] = nil
    do {
      _ = try Fixture.open(try Fixture.fileSystem(with: lostTable))
      Issue.record("opened with a table missing")
    } catch let error as ManifestError {
      guard case .missingTable(let name, "MANIFEST-000001", _) = error else { throw error }
      #expect(name == table)
    }
    // Nothing was removed by the failed opens.
    let fs = try Fixture.fileSystem(with: lostTable)
    _ = try? Fixture.open(fs)
    #expect(try Fixture.files(fs) == lostTable)
  }

  @Test func anUnknownTagInAnEditRefusesToOpen() throws {
    var files = try Self.closedDatabase()
    var payload = Bytes()
    payload.appendVarint(42)
    payload.appendVarint(1)
    LogFormat.frame(payload, into: &files["MANIFEST-000001"]!)
    let fs = try Fixture.fileSystem(with: files)
    do {
      _ = try Fixture.open(fs)
      Issue.record("opened a manifest with an unknown tag")
    } catch {
      #expect("\(error)".contains("not a valid version edit: unknown tag 42 in version edit at byte 0"), "\(error)")
    }
  }
}
