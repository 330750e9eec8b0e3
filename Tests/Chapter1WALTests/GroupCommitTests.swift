import Foundation
import Synchronization
import Testing

@testable import Chapter1WAL

/// A file system whose first file sync blocks until the test opens a gate,
/// so the test can line writers up behind a leader that is stuck in fsync.
final class GatedFileSystem: FileSystem, @unchecked Sendable {
  let base = MemoryFileSystem()
  let entered = DispatchSemaphore(value: 0)
  let gate = DispatchSemaphore(value: 0)
  let armed = Mutex(false)

  func arm() { armed.withLock { $0 = true } }

  func createDirectory(_ path: String) throws(FileSystemError) { try base.createDirectory(path) }
  func fileExists(_ path: String) -> Bool { base.fileExists(path) }
  func listDirectory(_ path: String) throws(FileSystemError) -> [String] { try base.listDirectory(path) }
  func fileSize(_ path: String) throws(FileSystemError) -> Int { try base.fileSize(path) }
  func openReadable(_ path: String) throws(FileSystemError) -> any ReadableFile { try base.openReadable(path) }
  func rename(_ from: String, to: String) throws(FileSystemError) { try base.rename(from, to: to) }
  func removeFile(_ path: String) throws(FileSystemError) { try base.removeFile(path) }
  func truncateFile(_ path: String, to size: Int) throws(FileSystemError) { try base.truncateFile(path, to: size) }
  func syncDirectory(_ path: String) throws(FileSystemError) { try base.syncDirectory(path) }
  func openWritable(_ path: String, mode: OpenMode) throws(FileSystemError) -> any WritableFile {
    Gated(file: try base.openWritable(path, mode: mode), owner: self)
  }

  final class Gated: WritableFile {
    let file: any WritableFile
    let owner: GatedFileSystem
    init(file: any WritableFile, owner: GatedFileSystem) {
      self.file = file
      self.owner = owner
    }
    var path: String { file.path }
    var size: Int { file.size }
    func append(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) { try file.append(bytes) }
    func close() throws(FileSystemError) { try file.close() }
    func sync(_ kind: SyncKind) throws(FileSystemError) {
      let wait = owner.armed.withLock { armed in
        defer { armed = false }
        return armed
      }
      if wait {
        owner.entered.signal()
        owner.gate.wait()
      }
      try file.sync(kind)
    }
  }
}

@Suite struct GroupCommitTests {
  /// While a leader is inside fsync, seven more writers queue up. When the
  /// fsync returns, the next leader writes all seven with one more fsync.
  @Test func oneSyncServesEveryBatchQueuedBehindIt() throws {
    let fs = GatedFileSystem()
    let db = try Database.open(directory: "/db", fileSystem: fs)
    fs.arm()
    let group = DispatchGroup()
    let firstWriter = DispatchQueue(label: "writer-0")
    group.enter()
    firstWriter.async {
      _ = try? db.put(Bytes(utf8: "w0"), Bytes(utf8: "x"))
      group.leave()
    }
    fs.entered.wait()  // the first leader is now blocked in fsync
    for i in 1...7 {
      group.enter()
      Thread.detachNewThread {
        _ = try? db.put(Bytes(utf8: "w\(i)"), Bytes(utf8: "x"))
        group.leave()
      }
    }
    while db.queuedWrites < 8 { usleep(1000) }
    fs.gate.signal()
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
    let order = Mutex<[String]>([])
    var batch = WriteBatch()
    batch.put([1], [1])
    try queue.commit(batch, sync: false) { _ in
      order.withLock { $0.append("persist 1") }
    } apply: { _ in
    }
    let seen = try queue.barrier { () -> SequenceNumber in
      order.withLock { $0.append("barrier") }
      return queue.lastSequence
    }
    try queue.commit(batch, sync: false) { _ in
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
    let sequences = Mutex<[SequenceNumber]>([])
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
