import Foundation
import TestSupport
import Testing

@testable import Chapter1WAL

/// The first file sync after `armed` is set blocks until the test opens
/// `gate`, so the test can line writers up behind a leader stuck in fsync.
final class SyncGate: Sendable {
  let entered = DispatchSemaphore(value: 0)
  let gate = DispatchSemaphore(value: 0)
  let armed = Locked(false)

  func arm() { armed.withLock { $0 = true } }

  func beforeSync(_ path: String) {
    let wait = armed.withLock { armed in
      defer { armed = false }
      return armed
    }
    if wait {
      entered.signal()
      gate.wait()
    }
  }
}

@Suite struct GroupCommitTests {
  /// While a leader is inside fsync, seven more writers queue up. When the
  /// fsync returns, the next leader writes all seven with one more fsync.
  @Test func oneSyncServesEveryBatchQueuedBehindIt() throws {
    let sync = SyncGate()
    let fs = HookedFileSystem(wrapping: MemoryFileSystem()) { sync.beforeSync($0) }
    let db = try Database.open(directory: "/db", fileSystem: fs)
    sync.arm()
    let group = DispatchGroup()
    let firstWriter = DispatchQueue(label: "writer-0")
    group.enter()
    firstWriter.async {
      _ = try? db.put(Bytes(utf8: "w0"), Bytes(utf8: "x"))
      group.leave()
    }
    sync.entered.wait()  // the first leader is now blocked in fsync
    for i in 1...7 {
      group.enter()
      Thread.detachNewThread {
        _ = try? db.put(Bytes(utf8: "w\(i)"), Bytes(utf8: "x"))
        group.leave()
      }
    }
    while db.queuedWrites < 8 { usleep(1000) }
    sync.gate.signal()
    group.wait()

    #expect(db.stats.batches == 8)
    #expect(db.stats.syncs == 2)
    #expect(db.stats.groups == 2)
    #expect(db.lastSequence == 8)
    #expect(try db.scan().count == 8)
  }

  /// A barrier runs alone, between the commits queued before and after it.
  @Test func barrierRunsBetweenGroups() throws {
    let queue = CommitQueue(lastSequence: 0)
    let order = Locked<[String]>([])
    var batch = WriteBatch()
    batch.put([1], [1])
    _ = try queue.commit(batch, sync: false) { _ in
      order.withLock { $0.append("persist 1") }
    } apply: { _ in
    }
    let seen = try queue.barrier { () -> SequenceNumber in
      order.withLock { $0.append("barrier") }
      return queue.lastSequence
    }
    _ = try queue.commit(batch, sync: false) { _ in
      order.withLock { $0.append("persist 2") }
    } apply: { _ in
    }
    #expect(seen == 1)
    #expect(order.withLock { $0 } == ["persist 1", "barrier", "persist 2"])
    queue.close()
    #expect(throws: CommitError.self) { try queue.barrier {} }
  }

  /// Many threads writing at once: every acknowledged write is applied once,
  /// sequence numbers are unique and dense, and reopening sees the same.
  @Test func concurrentWritersGetDistinctDenseSequences() throws {
    let fs = MemoryFileSystem()
    let db = try Database.open(directory: "/db", fileSystem: fs)
    let sequences = Locked<[SequenceNumber]>([])
    DispatchQueue.concurrentPerform(iterations: 8) { thread in
      for i in 0..<200 {
        var batch = WriteBatch()
        batch.put(Bytes(utf8: "t\(thread)-\(i)"), Bytes(utf8: "v"))
        batch.put(Bytes(utf8: "last-\(thread)"), Bytes(utf8: "\(i)"))
        let last = try! db.write(batch, options: .init(sync: i % 3 == 0))
        sequences.withLock { $0.append(last) }
      }
    }
    let all = sequences.withLock { $0 }.sorted()
    #expect(all == Array(stride(from: 2, through: 3200, by: 2)))
    try db.close()
    let reopened = try Database.open(directory: "/db", fileSystem: fs)
    #expect(reopened.lastSequence == 3200)
    #expect(try reopened.scan().count == 8 * 200 + 8)
    for thread in 0..<8 { #expect(try reopened.get(Bytes(utf8: "last-\(thread)")) == Bytes(utf8: "199")) }
  }

  /// A failed sync poisons the database: the write is not acknowledged and
  /// every later write is refused until reopen.
  @Test func failedSyncRefusesLaterWrites() throws {
    let fs = PowerCutFileSystem(wrapping: MemoryFileSystem())
    let db = try Database.open(directory: "/db", fileSystem: fs)
    try db.put(Bytes(utf8: "a"), Bytes(utf8: "1"))
    fs.failSync(number: 1)
    #expect(throws: FileSystemError.self) { try db.put(Bytes(utf8: "b"), Bytes(utf8: "2")) }
    #expect(try db.get(Bytes(utf8: "b")) == nil)
    #expect(throws: CommitError.self) { try db.put(Bytes(utf8: "c"), Bytes(utf8: "3")) }
    // Reopening finds out what the log really holds: "b" reached the page
    // cache before its sync failed, so it may come back; "a" must.
    try? db.close()
    let reopened = try Database.open(directory: "/db", fileSystem: fs)
    #expect(try reopened.get(Bytes(utf8: "a")) == Bytes(utf8: "1"))
    #expect(try reopened.put(Bytes(utf8: "c"), Bytes(utf8: "3")) > 1)
  }
}
