import Chapter1WAL
import Chapter3SSTable
import Chapter4Manifest
import Foundation
import PropertyBased
import TestSupport
import Testing

@testable import Chapter5BloomFilter

/// Crash safety and the reference model with filters on and caches so
/// small that nearly every read evicts something: the read path changes
/// what a read touches, never what it answers.
@Suite struct CrashAndModelTests {
  /// Tiny memtables, a block cache of two blocks and two open tables.
  static func tinyCaches() -> Database.Options {
    Fixture.options(memtableSize: 400, cacheSize: 512, openTables: 2, manifestLimit: 250)
  }

  @Test(arguments: [1 as UInt64, 2])
  func everyCrashPointRecoversEveryAcknowledgedWriteWithFiltersAndTinyCaches(seed: UInt64) throws {
    let workload = Workload(seed: seed, count: 30)
    let leaks = Problems()
    let (points, failures) = try CrashPoints.enumerate(workload, modes: [.dropUnsynced, .random(seed: seed)]) {
      fs in
      let db = try Fixture.open(fs, Self.tinyCaches())
      let onDisk = try Fixture.tablesOnDisk(fs)
      if onDisk != Fixture.tablesInVersion(db) {
        leaks.add("on disk \(onDisk), in the version \(Fixture.tablesInVersion(db))")
      }
      return db
    }
    #expect(failures.isEmpty, "seed \(seed): \(failures.prefix(3).joined(separator: "\n"))")
    #expect(leaks.all.isEmpty, "\(leaks.all.prefix(3))")
    #expect(points > 100)
  }

  @Test func randomSessionsWithTinyCachesMatchTheModel() async {
    await propertyCheck(count: 120, input: ReferenceModel.sessionsWithIterators) { steps in
      var subject = try Subject()
      if let failure = try ReferenceModel.failure(of: steps, on: &subject) { Issue.record("\(failure)") }
    }
  }

  /// Chapter 5's database as the model sees it.
  final class Subject: IteratingModelSubject {
    let fileSystem = PowerCutFileSystem(wrapping: MemoryFileSystem())
    var db: Database
    var iterators: [Int: Chapter4Manifest.Iterator] = [:]

    init() throws { db = try Fixture.open(fileSystem, CrashAndModelTests.tinyCaches()) }

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
      db = try Fixture.open(fileSystem, CrashAndModelTests.tinyCaches())
      return db.lastSequence
    }
    func flush() throws { try db.flush() }
    func merge() throws { try db.mergeTables() }
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
      let stats = db.tables.tableCache.stats
      if stats.entryCount > 2 { throw ModelProblem("\(stats.entryCount) tables open, limit 2") }
    }
  }

  struct ModelProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
  }
}
