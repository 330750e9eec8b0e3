import Chapter1WAL
import Chapter2Memtable
import Foundation
import PropertyBased
import TestSupport
import Testing

@testable import Chapter3SSTable

/// Chapter 3's engine: flushes, reads across memtables and tables, recovery
/// from tables plus logs, and crash safety around a flush.
@Suite struct DatabaseFlushTests {
  static func options(memtableSize: Int = 2048, background: Bool = false) -> Chapter3SSTable.Database.Options {
    var options = Chapter3SSTable.Database.Options()
    options.memtableSize = memtableSize
    options.backgroundFlush = background
    options.table.blockSize = 256
    return options
  }

  static func open(_ fs: any FileSystem, _ options: Chapter3SSTable.Database.Options = options()) throws
    -> Chapter3SSTable.Database
  {
    try Chapter3SSTable.Database.open(directory: "/db", fileSystem: fs, options: options)
  }

  @Test func flushWritesATableAndRetiresTheLog() throws {
    let fs = PowerCutFileSystem(wrapping: MemoryFileSystem())
    let recorder = TraceRecorder()
    let db = try Chapter3SSTable.Database.open(
      directory: "/db", fileSystem: fs, options: Self.options(), tracer: recorder.tracer())
    for i in 0..<10 { try db.put(Bytes(utf8: "key\(i)"), Bytes(utf8: "value\(i)")) }
    try db.delete(Bytes(utf8: "key3"))
    try db.flush()
    #expect(db.tableReaders.count == 1)
    #expect(try fs.listDirectory("/db").sorted() == ["000002.log", "000003.sst", "FORMAT", "LOCK"])
    // After the freeze (traced once the new log is created), the flush's
    // steps come in exactly this order.
    let actions = recorder.events.map { "\($0.component.rawValue) \($0.action)" }
    let freeze = try #require(actions.firstIndex(of: "memtable freeze"))
    let flush = actions[(freeze + 1)...].filter { ["fs fsync", "fs rename", "fs dirsync", "wal retire"].contains($0) }
    #expect(flush == ["fs fsync", "fs rename", "fs dirsync", "wal retire"], "\(actions)")
    #expect(try db.get(Bytes(utf8: "key7")) == Bytes(utf8: "value7"))
    #expect(try db.get(Bytes(utf8: "key3")) == nil)
    try db.put(Bytes(utf8: "key7"), Bytes(utf8: "newer"))
    #expect(try db.get(Bytes(utf8: "key7")) == Bytes(utf8: "newer"))
    #expect(try db.scan().count == 9)
    try db.close()
    let reopened = try Self.open(fs)
    #expect(reopened.lastSequence == 12)
    #expect(try reopened.get(Bytes(utf8: "key7")) == Bytes(utf8: "newer"))
    #expect(try reopened.get(Bytes(utf8: "key3")) == nil)
    #expect(try reopened.scan().count == 9)
  }

  @Test func aFullMemtableFlushesByItselfAndWritesContinue() throws {
    for background in [false, true] {
      let fs = MemoryFileSystem()
      let db = try Self.open(fs, Self.options(memtableSize: 1024, background: background))
      for i in 0..<300 { try db.put(Bytes(utf8: "k\(i % 50)"), Bytes(utf8: "v\(i)")) }
      db.waitForFlush()
      #expect(db.tableReaders.count > 3)
      for k in 0..<50 { #expect(try db.get(Bytes(utf8: "k\(k)")) == Bytes(utf8: "v\(250 + k)")) }
      #expect(try db.scan().count == 50)
      try db.close()
      let reopened = try Self.open(fs)
      for k in 0..<50 { #expect(try reopened.get(Bytes(utf8: "k\(k)")) == Bytes(utf8: "v\(250 + k)")) }
      #expect(reopened.lastSequence == 300)
    }
  }

  /// Writers fill memtables faster than a background flush empties them:
  /// some writer must stall (and the trace says so), readers running
  /// alongside always see a consistent database, and nothing is lost.
  @Test func writersStallWhileAFlushRunsAndReadersCarryOn() throws {
    let recorder = TraceRecorder()
    let db = try Chapter3SSTable.Database.open(
      directory: "/db", fileSystem: MemoryFileSystem(), options: Self.options(memtableSize: 512, background: true),
      tracer: recorder.tracer())
    let done = Locked(false)
    let readerProblems = Locked<[String]>([])
    let reader = Thread {
      while !done.withLock({ $0 }) {
        do {
          // Every scan sees each key at most once, in order, with a value
          // some write actually wrote.
          let entries = try db.scan()
          let keys = entries.map(\.key)
          if keys != keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) || Set(keys).count != keys.count {
            readerProblems.withLock { $0.append("unsorted or duplicated scan") }
          }
        } catch {
          readerProblems.withLock { $0.append("\(error)") }
        }
      }
    }
    reader.start()
    DispatchQueue.concurrentPerform(iterations: 4) { writer in
      for i in 0..<150 { _ = try? db.put(Bytes(utf8: "w\(writer)-\(i % 40)"), Bytes(utf8: "\(i)")) }
    }
    done.withLock { $0 = true }
    db.waitForFlush()
    #expect(readerProblems.withLock { $0 }.isEmpty)
    #expect(db.lastSequence == 600)
    for writer in 0..<4 {
      for k in 0..<40 {
        #expect(try db.get(Bytes(utf8: "w\(writer)-\(k)")) == Bytes(utf8: "\(k + 40 * ((149 - k) / 40))"))
      }
    }
    #expect(db.tableReaders.count > 5)
  }

  /// A flush held up in its table's fsync: the next full memtable makes the
  /// writer wait (and say so in the trace) until the flush finishes.
  @Test func aWriterWaitsWhenTheImmutableMemtableIsStillBeingFlushed() throws {
    let gate = TableSyncGate()
    let fs = HookedFileSystem(wrapping: MemoryFileSystem()) { gate.beforeSync($0) }
    let recorder = TraceRecorder()
    let db = try Chapter3SSTable.Database.open(
      directory: "/db", fileSystem: fs, options: Self.options(memtableSize: 300, background: true),
      tracer: recorder.tracer())
    let writer = Thread {
      for i in 0..<40 { _ = try? db.put(Bytes(utf8: "key\(i)"), Bytes(utf8: "value\(i)")) }
    }
    writer.start()
    // The first flush gets stuck in its table's fsync; then the writer fills
    // the next memtable and must wait. (Bounded: a broken engine fails the
    // test instead of hanging it.)
    #expect(gate.syncStarted.wait(timeout: .now() + 60) == .success)
    var waited = 0
    while !recorder.events.contains(where: { $0.action == "stall" }) && waited < 60_000 {
      usleep(1000)
      waited += 1
    }
    #expect(recorder.events.contains { $0.action == "stall" }, "the writer never waited for the flush")
    #expect(db.lastSequence < 40, "the writer must be waiting, not finished")
    gate.releaseAll()
    gate.release.signal()
    waited = 0
    while db.lastSequence < 40 && waited < 60_000 {
      usleep(1000)
      waited += 1
    }
    db.waitForFlush()
    for i in 0..<40 { #expect(try db.get(Bytes(utf8: "key\(i)")) == Bytes(utf8: "value\(i)")) }
  }

  @Test func snapshotsSeeThroughFlushes() throws {
    let db = try Self.open(MemoryFileSystem())
    try db.put(Bytes(utf8: "a"), Bytes(utf8: "1"))
    let snapshot = db.snapshot()
    try db.put(Bytes(utf8: "a"), Bytes(utf8: "2"))
    try db.flush()
    try db.delete(Bytes(utf8: "a"))
    #expect(try db.get(Bytes(utf8: "a")) == nil)
    #expect(try db.get(Bytes(utf8: "a"), at: snapshot) == Bytes(utf8: "1"))
    #expect(try db.scan(from: nil, to: nil, at: snapshot).map(\.value) == [Bytes(utf8: "1")])
  }

  // MARK: Crash safety

  static func crashOptions() -> Chapter3SSTable.Database.Options { options(memtableSize: 400) }

  @Test(arguments: [1 as UInt64, 2])
  func everyAcknowledgedWriteSurvivesEveryCrashPointAcrossFlushes(seed: UInt64) throws {
    let workload = Workload(seed: seed, count: 30)
    let (points, failures) = try CrashPoints.enumerate(workload, modes: [.dropUnsynced, .random(seed: seed)]) {
      try Self.open($0, Self.crashOptions())
    }
    #expect(points > 80)
    // The workload must really flush, or this proves nothing about flushes.
    let fs = MemoryFileSystem()
    _ = CrashPoints.run(workload, on: fs, sync: { _ in true }) { try Self.open($0, Self.crashOptions()) }
    #expect(try fs.listDirectory("/db").filter { $0.hasSuffix(".sst") }.count >= 3)
    #expect(failures.isEmpty, "seed \(seed): \(failures.prefix(3).joined(separator: "\n"))")
  }

  /// The same enumeration catches a flush that retires its logs before the
  /// table's name is durable.
  @Test func retiringTheLogBeforeTheTableIsDurableIsCaught() throws {
    var buggy = Self.crashOptions()
    buggy.retireLogsBeforePublishing = true
    let (_, failures) = try CrashPoints.enumerate(Workload(seed: 1, count: 30), modes: [.dropUnsynced]) {
      try Self.open($0, buggy)
    }
    #expect(!failures.isEmpty, "retiring the log too early must lose acknowledged writes at some crash point")
  }

  // MARK: Reference model

  @Test func randomSessionsWithFlushesMatchTheModel() async {
    await propertyCheck(count: 100, input: ReferenceModel.sessions) { steps in
      var subject = try Subject()
      if let failure = try ReferenceModel.failure(of: steps, on: &subject) { Issue.record("\(failure)") }
    }
  }

  /// Chapter 3's database as the model sees it: a tiny memtable, so that
  /// random sessions flush on their own as well as when told to.
  struct Subject: FlushingModelSubject {
    let fileSystem = PowerCutFileSystem(wrapping: MemoryFileSystem())
    var db: Chapter3SSTable.Database

    init() throws { db = try DatabaseFlushTests.open(fileSystem, DatabaseFlushTests.options(memtableSize: 400)) }

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
      db = try DatabaseFlushTests.open(fileSystem, DatabaseFlushTests.options(memtableSize: 400))
      return db.lastSequence
    }
    func flush() throws { try db.flush() }
    func checkInvariants() throws {
      try db.memtables.active.checkInvariants()
    }
  }
}

/// Holds up table syncs: the first one signals `syncStarted` and blocks until
/// `release`; after `releaseAll`, none blocks.
final class TableSyncGate: Sendable {
  let syncStarted = DispatchSemaphore(value: 0)
  let release = DispatchSemaphore(value: 0)
  let blocking = Locked(true)

  func releaseAll() { blocking.withLock { $0 = false } }

  func beforeSync(_ path: String) {
    guard path.hasSuffix(".sst.tmp"), blocking.withLock({ $0 }) else { return }
    syncStarted.signal()
    release.wait()
  }
}
