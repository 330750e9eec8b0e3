import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest
import Foundation
import PropertyBased
import TestSupport
import Testing

@testable import Chapter6Compaction

/// Crash safety and the reference model with compaction running all the
/// time: levels so small that nearly every flush sets off a compaction,
/// and often a cascade of them down the levels, with snapshots held.
@Suite struct CrashAndModelTests {
  /// Memtables of 300 B, level 0 compacted at 2 tables, level 1 of 300 B,
  /// tables of 200 B: a workload of 60 batches over 12 keys reaches level 2.
  static func tinyLevels() -> Database.Options {
    Fixture.options(memtableSize: 300, level0Trigger: 2, level1Bytes: 300, multiplier: 2, tableSize: 200)
  }

  @Test(arguments: [1 as UInt64, 2])
  func everyCrashPointRecoversEveryAcknowledgedWriteWhileCompacting(seed: UInt64) throws {
    let workload = Workload(seed: seed, count: 60)
    let leaks = Problems()
    let compactions = Locked(0)
    let (points, failures) = try CrashPoints.enumerate(workload, modes: [.dropUnsynced, .random(seed: seed)]) {
      fs in
      let db = try Fixture.open(fs, Self.tinyLevels())
      let onDisk = try Fixture.tablesOnDisk(fs)
      if onDisk != Fixture.tablesInVersion(db) {
        leaks.add("on disk \(onDisk), in the version \(Fixture.tablesInVersion(db))")
      }
      for problem in Fixture.levelProblems(db) { leaks.add(problem) }
      compactions.withLock { $0 = max($0, db.versions.current.levels.lastIndex { !$0.isEmpty } ?? 0) }
      return SnapshotHolder(db)
    }
    #expect(failures.isEmpty, "seed \(seed): \(failures.prefix(3).joined(separator: "\n"))")
    #expect(leaks.all.isEmpty, "\(leaks.all.prefix(3))")
    #expect(points > 200)
    #expect(compactions.withLock { $0 } >= 2, "the workload must reach level 2")
  }

  @Test func randomSessionsWithCompactionMatchTheModel() async {
    await propertyCheck(count: 150, input: ReferenceModel.sessionsWithIterators) { steps in
      var subject = try Subject()
      if let failure = try ReferenceModel.failure(of: steps, on: &subject) { Issue.record("\(failure)") }
    }
  }

  /// Chapter 6's database as the model sees it; the model's `merge` step
  /// is `compact`.
  final class Subject: IteratingModelSubject {
    let fileSystem = PowerCutFileSystem(wrapping: MemoryFileSystem())
    var db: Database
    var iterators: [Int: Chapter4Manifest.Iterator] = [:]

    init() throws { db = try Fixture.open(fileSystem, CrashAndModelTests.tinyLevels()) }

    func write(_ batch: WriteBatch) throws -> SequenceNumber { try db.write(batch) }
    func takeSnapshot() -> Int { db.snapshot().id }
    func release(_ snapshot: Int) -> Bool { db.snapshot(id: snapshot).map { db.release($0) } ?? false }
    func get(_ key: Bytes, snapshot: Int?) throws -> Bytes? {
      guard let snapshot else { return try db.get(key) }
      return try db.get(key, at: db.snapshot(id: snapshot)!)
    }
    func scan(from: Bytes?, to: Bytes?, snapshot: Int?) throws -> [KeyValuePair] {
      guard let snapshot else { return try db.scan(from: from, to: to) }
      return try db.scan(from: from, to: to, at: db.snapshot(id: snapshot)!)
    }
    func reopen(crash: Bool) throws -> SequenceNumber {
      iterators.removeAll()
      if crash { try fileSystem.crash() } else { try db.close() }
      db = try Fixture.open(fileSystem, CrashAndModelTests.tinyLevels())
      return db.lastSequence
    }
    func flush() throws { try db.flush() }
    /// Every table, down to the deepest level (`compact range - -`).
    func merge() throws { try db.compactRange(from: nil, to: nil) }
    func openIterator() throws -> Int {
      let iterator = db.makeIterator()
      try iterator.seekToFirst()
      iterators[iterator.id] = iterator
      return iterator.id
    }
    func next(iterator id: Int, count: Int) throws -> [KeyValuePair] {
      let iterator = iterators[id]!
      var entries: [KeyValuePair] = []
      while iterator.isValid && entries.count < count {
        entries.append(KeyValuePair(key: iterator.key, value: iterator.value))
        try iterator.next()
      }
      return entries
    }
    func close(iterator id: Int) { iterators.removeValue(forKey: id)?.close() }
    func checkInvariants() throws {
      try db.memtables.active.checkInvariants()
      if let problem = Fixture.levelProblems(db).first { throw ModelProblem(problem) }
    }
  }

  /// The database, taking a snapshot every seventh write and holding the
  /// last two, so that the compactions under the crash test must keep the
  /// versions those snapshots read.
  final class SnapshotHolder: KeyValueStore, @unchecked Sendable {
    let db: Database
    private var writes = 0
    private var held: [SnapshotList.Snapshot] = []

    init(_ db: Database) { self.db = db }

    func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
      let sequence = try db.write(batch, options: options)
      writes += 1
      if writes % 7 == 0 {
        held.append(db.snapshot())
        if held.count > 2 { db.release(held.removeFirst()) }
      }
      return sequence
    }
    func get(_ key: Bytes) throws -> Bytes? { try db.get(key) }
    func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] { try db.scan(from: from, to: to) }
    func close() throws { try db.close() }
  }

  struct ModelProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
  }
}
