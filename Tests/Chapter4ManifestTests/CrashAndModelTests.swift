import Chapter1WAL
import Chapter3SSTable
import Foundation
import PropertyBased
import TestSupport
import Testing

@testable import Chapter4Manifest

/// Crash safety with the manifest, the reference model with long-running
/// iterators, and iterators racing background flushes.
@Suite struct CrashAndModelTests {
  /// A tiny memtable and manifest, so a short workload flushes several
  /// times, merges, and rewrites its manifest.
  static func crashOptions() -> Database.Options { Fixture.options(memtableSize: 400, manifestLimit: 250) }

  /// Opens the database for the crash enumeration, and checks after every
  /// recovery that no table is lost (every table the version names opened)
  /// or leaked (every table on disk is in the version).
  static func open(_ fs: any FileSystem, _ options: Database.Options, leaks: Problems) throws
    -> any KeyValueStore
  {
    let db = try Fixture.open(fs, options)
    let onDisk = try Fixture.tablesOnDisk(fs)
    if onDisk != Fixture.tablesInVersion(db) {
      leaks.add("on disk \(onDisk), in the version \(Fixture.tablesInVersion(db))")
    }
    let manifests = try fs.listDirectory("/db").filter { ManifestFileNames.manifestNumber($0) != nil }
    if manifests != [db.versions.manifestStatus.name] {
      leaks.add("manifests on disk: \(manifests)")
    }
    return MergingStore(db, every: 9)
  }

  // snippet: test-crash-manifest
  @Test(arguments: [1 as UInt64, 2])
  func everyCrashPointRecoversEveryAcknowledgedWriteAndNoTableIsLostOrLeaked(seed: UInt64) throws {
    let workload = Workload(seed: seed, count: 30)
    let leaks = Problems()
    let (points, failures) = try CrashPoints.enumerate(workload, modes: [.dropUnsynced, .random(seed: seed)]) {
      try Self.open($0, Self.crashOptions(), leaks: leaks)
    }
    #expect(failures.isEmpty, "seed \(seed): \(failures.prefix(3).joined(separator: "\n"))")
    #expect(leaks.all.isEmpty, "\(leaks.all.prefix(3))")

    // The workload must really flush, merge and rewrite the manifest, or
    // this proves nothing about them.
    #expect(points > 120)
    let fs = MemoryFileSystem()
    let recorder = TraceRecorder()
    _ = CrashPoints.run(workload, on: fs, sync: { _ in true }) {
      MergingStore(try Fixture.open($0, Self.crashOptions(), tracer: recorder.tracer()), every: 9)
    }
    let actions = Set(recorder.events.map(\.action))
    #expect(actions.isSuperset(of: ["freeze", "merge", "rewrite", "obsolete", "retire"]), "\(actions)")
  }
  // end snippet

  /// The same enumeration catches an engine that records a table in the
  /// manifest before the table (and its name) is durable.
  @Test func recordingATableBeforeItIsDurableIsCaught() throws {
    var buggy = Self.crashOptions()
    buggy.recordBeforeTableIsDurable = true
    let leaks = Problems()
    let (_, failures) = try CrashPoints.enumerate(Workload(seed: 1, count: 30), modes: [.dropUnsynced]) {
      try Self.open($0, buggy, leaks: leaks)
    }
    #expect(failures.contains { $0.contains("cannot be opened") }, "\(failures.prefix(3))")
  }

  // MARK: Reference model

  @Test func randomSessionsWithIteratorsFlushesAndMergesMatchTheModel() async {
    await propertyCheck(count: 150, input: ReferenceModel.sessionsWithIterators) { steps in
      var subject = try Subject()
      if let failure = try ReferenceModel.failure(of: steps, on: &subject) { Issue.record("\(failure)") }
    }
  }

  /// Chapter 4's database as the model sees it, with long-lived iterators.
  final class Subject: IteratingModelSubject {
    let fileSystem = PowerCutFileSystem(wrapping: MemoryFileSystem())
    var db: Database
    var iterators: [Int: Chapter4Manifest.Iterator] = [:]

    init() throws { db = try Fixture.open(fileSystem, Fixture.options(memtableSize: 400, manifestLimit: 300)) }

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
      if crash { try fileSystem.crash() } else { try db.close() }
      db = try Fixture.open(fileSystem, Fixture.options(memtableSize: 400, manifestLimit: 300))
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
      // Every table on disk is in the current version or pinned by an open
      // iterator; nothing else survives.
      var needed = Set(Fixture.tablesInVersion(db))
      for iterator in iterators.values { needed.formUnion(iterator.version.tables.map(\.name)) }
      let onDisk = Set(try Fixture.tablesOnDisk(fileSystem))
      guard onDisk == needed else {
        throw ModelProblem("tables on disk \(onDisk.sorted()), needed \(needed.sorted())")
      }
    }
  }

  /// Problems found on other threads or inside callbacks.
  final class Problems: Sendable {
    private let list = Locked<[String]>([])
    func add(_ problem: String) { list.withLock { $0.append(problem) } }
    var all: [String] { list.withLock { $0 } }
  }

  struct ModelProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
  }

  // MARK: Concurrency

  /// Scans through long-lived iterators while writers fill memtables that
  /// flush in the background and a merger replaces the tables: each
  /// iterator sees one consistent state (for each writer, a prefix of its
  /// writes), and when all are closed only the current tables remain.
  @Test func iteratorsStayConsistentWhileFlushesAndMergesRunUnderneath() throws {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs, Fixture.options(memtableSize: 600, background: true))
    let done = Locked(false)
    let problems = Problems()
    let reader = Thread {
      while !done.withLock({ $0 }) {
        let iterator = db.makeIterator()
        do {
          try iterator.seekToFirst()
          var seen: [Int: Int] = [:]
          while iterator.isValid {
            // Keys are w<writer>-<i>, each writer writing i = 0, 1, ... in
            // order: a consistent view holds, per writer, exactly 0..<n.
            let parts = String(decoding: iterator.key, as: UTF8.self).dropFirst().split(separator: "-")
            let (writer, index) = (Int(parts[0])!, Int(parts[1])!)
            if index != seen[writer, default: 0] {
              problems.add("writer \(writer): saw \(index) after \(seen[writer, default: 0]) others")
            }
            seen[writer, default: 0] += 1
            try iterator.next()
            usleep(20)
          }
        } catch {
          problems.add("\(error)")
        }
        iterator.close()
      }
    }
    reader.start()
    let merger = Thread {
      while !done.withLock({ $0 }) {
        do { try db.mergeTables() } catch { problems.add("merge: \(error)") }
        usleep(2000)
      }
    }
    merger.start()
    DispatchQueue.concurrentPerform(iterations: 3) { writer in
      for i in 0..<300 {
        _ = try? db.put(Bytes(utf8: "w\(writer)-\(String(format: "%04d", i))"), Bytes(utf8: "\(i)"))
      }
    }
    done.withLock { $0 = true }
    while reader.isExecuting || merger.isExecuting { usleep(1000) }
    db.waitForFlush()
    #expect(problems.all.isEmpty, "\(problems.all.prefix(3))")
    #expect(try db.scan().count == 900)
    #expect(try Fixture.tablesOnDisk(fs) == Fixture.tablesInVersion(db))
  }
}
