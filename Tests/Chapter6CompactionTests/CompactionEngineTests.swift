import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest
import Foundation
import Testing

@testable import Chapter6Compaction

/// The compactor inside the engine: levels fill in shape, reads stay
/// right, and what compaction may drop it drops, and nothing else.
@Suite struct CompactionEngineTests {
  /// Writes keys `0..<count` (in a shuffled order) `rounds` times over.
  func fill(_ db: Database, count: Int, rounds: Int = 1, seed: UInt64 = 1) throws {
    var rng = SeededGenerator(seed: seed)
    for round in 0..<rounds {
      for i in (0..<count).shuffled(using: &rng) { try db.put(Fixture.key(i), Fixture.value(i, round: round)) }
    }
  }

  @Test func writesFillLevelsInShapeAndEveryKeyReadsBack() throws {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs)
    try fill(db, count: 600, rounds: 3)
    try db.waitForCompaction()
    let shape = Fixture.shape(db)
    #expect(shape[0] < 2, "level 0 is compacted at 2 tables: \(shape)")
    #expect(shape.dropFirst(2).reduce(0, +) > 0, "a few thousand writes reach level 2 or deeper: \(shape)")
    #expect(Fixture.levelProblems(db).isEmpty, "\(Fixture.levelProblems(db))")
    for i in 0..<600 { #expect(try db.get(Fixture.key(i)) == Fixture.value(i, round: 2)) }
    #expect(try Fixture.tablesOnDisk(fs) == Fixture.tablesInVersion(db))
    let stats = db.compactor.statistics
    #expect(stats.writeAmplification > 1)
    #expect(stats.levels[1].compactions > 0)
    try db.close()
    // The shape is the manifest's: reopening finds the same levels.
    let reopened = try Fixture.open(fs)
    #expect(Fixture.shape(reopened) == shape)
    for i in stride(from: 0, to: 600, by: 7) { #expect(try reopened.get(Fixture.key(i)) == Fixture.value(i, round: 2)) }
  }

  @Test func scansAndSeeksWalkEachLevelAsOneSortedRun() throws {
    let db = try Fixture.open(MemoryFileSystem())
    try fill(db, count: 600, rounds: 3)
    try db.waitForCompaction()
    #expect(db.versions.current.levels.dropFirst().filter { $0.count > 1 }.count >= 2)
    for start in stride(from: 0, to: 600, by: 53) {
      let got = try db.scan(from: Fixture.key(start), to: Fixture.key(start + 37))
      #expect(got.map(\.key) == (start..<min(start + 37, 600)).map(Fixture.key))
      #expect(got.allSatisfy { $0.value.starts(with: Bytes(utf8: "value")) })
    }
    let iterator = db.makeIterator()
    try iterator.seek(Fixture.key(599))
    #expect(iterator.key == Fixture.key(599))
    try iterator.next()
    #expect(!iterator.isValid)
    try iterator.seek(Bytes(utf8: "zzz"))
    #expect(!iterator.isValid)
    try iterator.seekToFirst()
    var count = 0
    while iterator.isValid {
      count += 1
      try iterator.next()
    }
    #expect(count == 600)
    iterator.close()
  }

  @Test func overwrittenVersionsAreDroppedSoTheDataShrinks() throws {
    let db = try Fixture.open(MemoryFileSystem())
    try fill(db, count: 100, rounds: 20)
    try db.flush()
    try db.waitForCompaction()
    let entries = db.versions.current.tables.reduce(0) { $0 + Int($1.metadata.entryCount) }
    // 2000 writes of 100 keys: without compaction's drops, 2000 entries.
    #expect(entries < 700, "\(entries) entries left of 2000 written")
  }

  @Test func deletedKeysStayDeletedAndTheirTombstonesGoAtTheBottom() throws {
    let db = try Fixture.open(MemoryFileSystem())
    try fill(db, count: 300)
    for i in 0..<300 where i % 2 == 0 { try db.delete(Fixture.key(i)) }
    try fill(db, count: 300, rounds: 0)
    try db.flush()
    try db.waitForCompaction()
    for i in 0..<300 { #expect(try db.get(Fixture.key(i)) == (i % 2 == 0 ? nil : Fixture.value(i))) }
    #expect(try db.scan().count == 150)
  }

  @Test func aSnapshotStillReadsWhatItSawAfterCompaction() throws {
    let db = try Fixture.open(MemoryFileSystem())
    try fill(db, count: 200)
    let snapshot = db.snapshot()
    try fill(db, count: 200, rounds: 3)
    for i in 0..<200 where i % 3 == 0 { try db.delete(Fixture.key(i)) }
    try db.flush()
    try db.waitForCompaction()
    #expect(db.compactor.statistics.levels.contains { $0.compactions > 0 })
    for i in 0..<200 { #expect(try db.get(Fixture.key(i), at: snapshot) == Fixture.value(i)) }
    #expect(try db.scan(from: nil, to: nil, at: snapshot).count == 200)
    db.release(snapshot)
  }

  /// The bug switch drops a tombstone whose key still has a value on a
  /// deeper level: the deleted value comes back. The correct engine keeps
  /// the tombstone until no deeper level can hold the key.
  @Test(arguments: [false, true])
  func aTombstoneOverDeeperDataIsKept(bug: Bool) throws {
    var options = Fixture.options(level0Trigger: 100, level1Bytes: 1 << 30)
    options.compaction.dropTombstonesEverywhere = bug
    let db = try Fixture.open(MemoryFileSystem(), options)
    try db.put(Bytes(utf8: "a"), Bytes(utf8: "old"))
    try db.put(Bytes(utf8: "b"), Bytes(utf8: "1"))
    try db.flush()
    // Down to level 2 by two moves.
    let picker = db.compactor.picker
    func levels() -> [[TableMetadata]] { db.versions.current.levels.map { $0.map(\.metadata) } }
    for level in 0..<2 {
      let plan = picker.plan(level: level, seeds: levels()[level], levels: levels(), reason: "test")
      #expect(plan.isTrivialMove)
      _ = try db.compactor.run(plan)
    }
    try db.delete(Bytes(utf8: "a"))
    try db.put(Bytes(utf8: "c"), Bytes(utf8: "1"))
    try db.flush()
    // L0 → L1, rewritten (not moved), with `a`'s value still on level 2.
    var plan = picker.plan(level: 0, seeds: levels()[0], levels: levels(), reason: "test")
    plan.isTrivialMove = false
    let result = try db.compactor.run(plan)
    #expect(Fixture.shape(db) == [0, 1, 1, 0, 0, 0, 0])
    if bug {
      #expect(result.dropped[.tombstone] == 1)
      #expect(try db.get(Bytes(utf8: "a")) == Bytes(utf8: "old"), "the bug brings the deleted value back")
    } else {
      #expect(result.dropped[.tombstone] == nil)
      #expect(try db.get(Bytes(utf8: "a")) == nil)
    }
  }

  @Test func outputsAreCutNearTheTargetSizeAndNeverSplitAKey() throws {
    let db = try Fixture.open(MemoryFileSystem(), Fixture.options(tableSize: 2048))
    try fill(db, count: 800, rounds: 2)
    try db.flush()
    try db.waitForCompaction()
    let deep = db.versions.current.levels.dropFirst().flatMap { $0 }
    #expect(deep.count > 4)
    // A table ends at its key's last version; the next starts at a new key.
    #expect(Fixture.levelProblems(db).isEmpty)
    // Only the last table of a compaction may be much smaller than the target;
    // none is much larger (one entry past the target at most, plus the index).
    #expect(deep.allSatisfy { $0.metadata.fileSize < 2048 + 1024 }, "\(deep.map(\.metadata.fileSize))")
  }

  @Test func writesSlowDownAndStopWhenLevel0OutrunsCompaction() throws {
    // Compaction in the background, and level 0's limits tiny: a burst of
    // writes with memtables of 256 B runs into both.
    var options = Fixture.options(memtableSize: 256, level0Trigger: 1, background: true)
    options.compaction.level0Slowdown = 2
    options.compaction.level0Stop = 3
    let db = try Fixture.open(MemoryFileSystem(), options)
    try fill(db, count: 400, rounds: 2)
    try db.waitForCompaction()
    let stats = db.compactor.statistics
    #expect(stats.slowedWrites + stats.stoppedWrites > 0, "\(stats.lines().joined(separator: "\n"))")
    #expect(db.versions.current.levels[0].count < 3)
    for i in 0..<400 { #expect(try db.get(Fixture.key(i)) == Fixture.value(i, round: 1)) }
    try db.close()
  }

  @Test func backgroundCompactionReachesTheSameAnswers() throws {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs, Fixture.options(background: true))
    try fill(db, count: 500, rounds: 3)
    try db.waitForCompaction()
    #expect(Fixture.levelProblems(db).isEmpty)
    for i in 0..<500 { #expect(try db.get(Fixture.key(i)) == Fixture.value(i, round: 2)) }
    try db.close()
    #expect(try Fixture.tablesOnDisk(fs) == Fixture.tablesInVersion(try Fixture.open(fs)))
  }

  @Test func aFailedCompactionStopsWritesAndLosesNothing() throws {
    let fs = PowerCutFileSystem(wrapping: MemoryFileSystem())
    var options = Fixture.options(level0Trigger: 100)
    options.compaction.level0Trigger = 100
    let db = try Fixture.open(fs, options)
    try fill(db, count: 300)
    try db.flush()
    // The next file sync fails: the compaction's first output table.
    fs.failSync(number: 1)
    var plan = db.compactor.picker.plan(
      level: 0, seeds: db.versions.current.levels[0].map(\.metadata),
      levels: db.versions.current.levels.map { $0.map(\.metadata) }, reason: "test")
    plan.isTrivialMove = false
    #expect(throws: FileSystemError.self) { try db.compactor.run(plan) }
    for i in 0..<300 { #expect(try db.get(Fixture.key(i)) == Fixture.value(i)) }
    try? db.close()
    let reopened = try Fixture.open(fs, options)
    for i in 0..<300 { #expect(try reopened.get(Fixture.key(i)) == Fixture.value(i)) }
    #expect(try Fixture.tablesOnDisk(fs) == Fixture.tablesInVersion(reopened), "the unfinished output is removed")
  }

  @Test func compactionIsTracedStepByStep() throws {
    let events = TraceRecorder()
    let db = try Fixture.open(MemoryFileSystem(), tracer: events.tracer())
    try fill(db, count: 200)
    try db.flush()
    let lines = events.events.filter { $0.component == .compaction }.map(\.action)
    #expect(lines.contains("pick"))
    #expect(lines.contains("done"))
    #expect(lines.contains("write") || lines.contains("move"))
  }
}

/// `compact`, `compact range`, the compaction pointers in the manifest, and
/// the stall on bytes owed.
@Suite struct CompactionControlTests {
  func fill(_ db: Database, _ keys: Range<Int>, round: Int = 0) throws {
    for i in keys { try db.put(Fixture.key(i), Fixture.value(i, round: round)) }
  }

  @Test func compactRangePushesTheRangeToTheDeepestLevelHoldingIt() throws {
    let db = try Fixture.open(MemoryFileSystem())
    try fill(db, 0..<1500)
    try db.flush()
    try db.waitForCompaction()
    let deepest = try #require(db.versions.current.levels.lastIndex { !$0.isEmpty })
    #expect(deepest >= 2)
    for i in 100..<110 { try db.delete(Fixture.key(i)) }
    try db.flush()
    let results = try db.compactRange(from: Fixture.key(100), to: Fixture.key(109))
    #expect(!results.isEmpty)
    // Every table that meets the range is on the deepest level now, and the
    // tombstones are gone with the values they deleted.
    for (level, tables) in db.versions.current.levels.enumerated() where level < deepest {
      for table in tables {
        #expect(
          compareBytes(table.metadata.largest.userKey, Fixture.key(100)) < 0
            || compareBytes(table.metadata.smallest.userKey, Fixture.key(109)) > 0,
          "L\(level) \(table.name) \(table.metadata.keyRange)")
      }
    }
    #expect(results.last?.dropped[.tombstone] == 10)
    for i in 95..<115 { #expect(try db.get(Fixture.key(i)) == ((100..<110).contains(i) ? nil : Fixture.value(i))) }
    #expect(Fixture.levelProblems(db).isEmpty)
  }

  @Test func compactRunsOneCompactionOrSaysNothingIsDue() throws {
    var options = Fixture.options()
    options.compaction.automatic = false
    let db = try Fixture.open(MemoryFileSystem(), options)
    #expect(try db.compactNext() == nil)
    try fill(db, 0..<400)
    try db.flush()
    #expect(Fixture.shape(db)[0] > 2, "no compaction runs by itself: \(Fixture.shape(db))")
    let result = try #require(try db.compactNext())
    #expect(result.plan.level == 0)
    #expect(Fixture.shape(db)[0] == 0)
  }

  @Test func compactionPointersAreInTheManifestAndSurviveAReopen() throws {
    let fs = MemoryFileSystem()
    var rng = SeededGenerator(seed: 3)
    let db = try Fixture.open(fs)
    for round in 0..<3 {
      for i in (0..<600).shuffled(using: &rng) { try db.put(Fixture.key(i), Fixture.value(i, round: round)) }
    }
    try db.waitForCompaction()
    let pointers = db.versions.compactPointers
    #expect(pointers[0] != nil && pointers[1] != nil, "\(pointers)")
    try db.close()
    let reopened = try Fixture.open(fs)
    #expect(reopened.versions.compactPointers == pointers)
  }

  @Test func writesStallOnTheBytesCompactionOwes() throws {
    var options = Fixture.options(memtableSize: 256, level0Trigger: 1, background: true)
    options.compaction.level0Slowdown = 1000
    options.compaction.level0Stop = 1000
    options.compaction.pendingBytesSlowdown = 512
    options.compaction.pendingBytesStop = 4096
    let events = TraceRecorder()
    let db = try Fixture.open(MemoryFileSystem(), options, tracer: events.tracer())
    for i in 0..<400 { try db.put(Fixture.key(i), Fixture.value(i)) }
    try db.waitForCompaction()
    let stats = db.compactor.statistics
    #expect(stats.slowedWrites + stats.stoppedWrites > 0)
    #expect(events.events.contains { $0.action == "stall" && $0.details.hasPrefix("compaction owes") })
    for i in 0..<400 { #expect(try db.get(Fixture.key(i)) == Fixture.value(i)) }
    try db.close()
  }

  @Test func theOwedBytesAreEachLevelsExcess() {
    var options = CompactionOptions()
    options.level0Trigger = 2
    options.level1Bytes = 1000
    let picker = CompactionPicker(options: options)
    #expect(picker.pendingBytes(levels([table(9, "a", "b", size: 300)], [table(3, "a", "z", size: 1500)])) == 500)
    #expect(
      picker.pendingBytes(levels([table(9, "a", "b", size: 300), table(8, "a", "b", size: 200)], [])) == 500)
  }
}
