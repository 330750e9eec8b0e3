import Foundation

/// Group commit: many writers, one log write and one sync per group.
///
/// Writers call `commit` from any thread. They queue up; the writer at the
/// head of the queue becomes the *leader*. The leader takes the batches
/// queued behind it (up to a size limit), numbers them, and calls `persist`
/// once for the whole group, without holding the lock: that is where the log
/// append and the one `fdatasync` happen. Then, holding the lock, it calls
/// `apply` for each batch in sequence order, publishes the new last sequence
/// number, and wakes the followers with their results. While a leader is
/// inside `fdatasync`, new writers pile up behind it, and the next leader
/// takes all of them: the busier the database, the more each sync carries.
///
/// The queue knows nothing about logs or maps; the engine passes both steps
/// in. Chapter 1 persists to one log and applies to a dictionary; later
/// chapters persist the same way and apply to a memtable, so they reuse this
/// type rather than writing group commit again.
///
/// When `persist` fails, nobody knows what reached the disk (a failed `fsync`
/// may even have dropped dirty pages). The queue then refuses every further
/// commit with the original error, until the engine is reopened and recovery
/// finds out what the log really holds.
public final class CommitQueue: @unchecked Sendable {
  /// One batch in a group, numbered.
  public struct Commit {
    public let batch: WriteBatch
    /// The sequence number of the batch's first operation.
    public let firstSequence: SequenceNumber
    /// Whether its writer asked for a sync.
    public let sync: Bool

    /// The sequence number of the batch's last operation.
    public var lastSequence: SequenceNumber { firstSequence + SequenceNumber(batch.count) - 1 }
  }

  /// A writer waiting in the queue and, once done, its result.
  private final class Waiter {
    let batch: WriteBatch
    let sync: Bool
    let encodedSize: Int
    /// A barrier runs alone: it never joins a group nor lets one pass it.
    let isBarrier: Bool
    var result: Result<SequenceNumber, any Error>?

    init(batch: WriteBatch, sync: Bool, isBarrier: Bool = false) {
      self.batch = batch
      self.sync = sync
      self.encodedSize = batch.encodedSize
      self.isBarrier = isBarrier
    }
  }

  /// Guards everything below; also the condition followers wait on.
  private let lock = NSCondition()
  private var queue: [Waiter] = []
  private var sequence: SequenceNumber
  private var failure: (any Error)?
  private var isClosed = false
  private let maxGroupBytes: Int
  private let maxRecordSize: Int

  /// A queue whose next batch gets sequence number `lastSequence + 1`, and
  /// which refuses batches whose encoding is over `maxRecordSize`.
  public init(
    lastSequence: SequenceNumber, maxGroupBytes: Int = 1 << 20, maxRecordSize: Int = LogFormat.defaultMaxRecordSize
  ) {
    self.sequence = lastSequence
    self.maxGroupBytes = maxGroupBytes
    self.maxRecordSize = maxRecordSize
  }

  // snippet: group-commit
  /// Commits `batch`: waits for a leader to persist and apply it (or leads).
  ///
  /// - Parameters:
  ///   - persist: makes a whole group durable; called by the leader without
  ///     the lock. If it throws, no batch of the group is applied.
  ///   - apply: makes one batch visible; called by the leader with the lock
  ///     held, once per batch, in sequence order, after `persist` returned.
  /// - Returns: the sequence number of the batch's last operation (for an
  ///   empty batch, which is not written, the last one so far).
  /// - Throws: `LogWriter.Error.recordTooLarge` (nothing written) if the
  ///   batch is over the record limit; what `persist` threw (and from then
  ///   on `CommitError.writesFailed`).
  public func commit(
    _ batch: WriteBatch, sync: Bool, persist: ([Commit]) throws -> Void, apply: (Commit) -> Void
  ) throws -> SequenceNumber {
    let me = Waiter(batch: batch, sync: sync)
    guard me.encodedSize <= maxRecordSize else {
      throw LogWriter.Error.recordTooLarge(size: me.encodedSize, limit: maxRecordSize)
    }
    if batch.isEmpty { return lastSequence }
    lock.lock()
    defer { lock.unlock() }
    try checkOpen()
    queue.append(me)
    // Wait until a leader has done our batch, or we are at the head.
    while me.result == nil && queue.first !== me { lock.wait() }
    if let result = me.result { return try result.get() }

    // We lead: take the batches queued behind us, up to a size limit. A
    // batch that wants a sync does not ride with a leader that will not sync.
    var group = [me]
    var groupBytes = me.encodedSize
    for next in queue.dropFirst() {
      if groupBytes >= maxGroupBytes || (next.sync && !me.sync) || next.isBarrier { break }
      group.append(next)
      groupBytes += next.encodedSize
    }
    var nextSequence = sequence + 1
    let commits = group.map { waiter in
      defer { nextSequence += SequenceNumber(waiter.batch.count) }
      return Commit(batch: waiter.batch, firstSequence: nextSequence, sync: waiter.sync)
    }

    // The I/O happens without the lock, so readers and new writers carry on.
    lock.unlock()
    let outcome = Result { try persist(commits) }
    lock.lock()

    switch outcome {
    case .success:
      for (waiter, commit) in zip(group, commits) {
        apply(commit)
        waiter.result = .success(commit.lastSequence)
      }
      sequence = nextSequence - 1
    case .failure(let error):
      failure = error
      for waiter in group { waiter.result = .failure(error) }
    }
    queue.removeFirst(group.count)
    lock.broadcast()
    return try me.result!.get()
  }
  // end snippet

  /// Runs `body` in the queue's order, alone: after every commit queued
  /// before it has finished and before any queued after it starts, without
  /// the lock held. A later chapter uses it to switch to a new log and
  /// memtable at a moment when no leader is writing.
  public func barrier<T>(_ body: () throws -> T) throws -> T {
    let me = Waiter(batch: WriteBatch(), sync: false, isBarrier: true)
    lock.lock()
    defer { lock.unlock() }
    try checkOpen()
    queue.append(me)
    while queue.first !== me { lock.wait() }
    lock.unlock()
    let outcome = Result { try body() }
    lock.lock()
    queue.removeFirst()
    lock.broadcast()
    return try outcome.get()
  }

  /// The sequence number of the newest applied operation.
  public var lastSequence: SequenceNumber {
    lock.lock()
    defer { lock.unlock() }
    return sequence
  }

  /// Writers waiting, the leader included (for tests).
  public var queuedWrites: Int {
    lock.lock()
    defer { lock.unlock() }
    return queue.count
  }

  /// Runs `body` holding the lock `apply` runs under, so it sees no batch
  /// half applied. Chapter 1 reads its dictionary this way.
  public func withLock<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }

  /// Refuses every later commit with `CommitError.closed`.
  public func close() {
    lock.lock()
    defer { lock.unlock() }
    isClosed = true
  }

  private func checkOpen() throws {
    if isClosed { throw CommitError.closed }
    if let failure { throw CommitError.writesFailed(underlying: failure) }
  }
}

/// Why a commit was refused before it was tried.
///
/// Equatable for tests: two `writesFailed` are equal when their underlying
/// errors describe themselves the same way (errors in general are not
/// `Equatable`).
public enum CommitError: Error, Equatable, CustomStringConvertible {
  /// The engine was closed.
  case closed
  /// An earlier write could not be made durable; no write is accepted until
  /// the engine is reopened. `underlying` is that write's error, as thrown.
  case writesFailed(underlying: any Error)

  public static func == (lhs: CommitError, rhs: CommitError) -> Bool {
    switch (lhs, rhs) {
    case (.closed, .closed): true
    case (.writesFailed(let left), .writesFailed(let right)): "\(left)" == "\(right)"
    default: false
    }
  }

  public var description: String {
    switch self {
    case .closed: "the database is closed"
    case .writesFailed(let underlying):
      "writes are refused after an earlier write failed (\(underlying)); reopen the database to recover"
    }
  }
}
