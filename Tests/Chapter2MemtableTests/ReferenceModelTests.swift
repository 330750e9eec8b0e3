import Chapter1WAL
import PropertyBased
import TestSupport
import Testing

@testable import Chapter2Memtable

/// Random interleavings of every operation chapter 2 offers (puts, deletes,
/// batches, snapshots, reads at snapshots, scans, releases, reopens and power
/// cuts), checked step by step against `ReferenceModel`.
///
/// A failure is shrunk to a short sequence of operations, and the property
/// checker prints the seed that reproduces it (add `.fixedSeed("…")` to the
/// test to replay exactly that run).
@Suite struct ReferenceModelTests {
  @Test func randomSessionsMatchTheModel() async {
    await propertyCheck(count: 150, input: ReferenceModel.sessions) { steps in
      var subject = try Subject()
      if let failure = try ReferenceModel.failure(of: steps, on: &subject) { Issue.record("\(failure)") }
    }
  }

  /// Chapter 2's database as the model sees it.
  struct Subject: ModelSubject {
    let fileSystem = PowerCutFileSystem(wrapping: MemoryFileSystem())
    var db: Chapter2Memtable.Database

    init() throws {
      db = try Chapter2Memtable.Database.open(directory: "/db", fileSystem: fileSystem)
    }

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
    mutating func reopen(crash: Bool) throws -> SequenceNumber {
      if crash { try fileSystem.crash() } else { try db.close() }
      db = try Chapter2Memtable.Database.open(directory: "/db", fileSystem: fileSystem)
      return db.lastSequence
    }
    func checkInvariants() throws { try db.memtable.checkInvariants() }
  }
}
