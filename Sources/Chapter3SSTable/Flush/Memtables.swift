import Chapter1WAL
import Chapter2Memtable
import Foundation

/// The memtables of an engine that flushes: the active one, which takes the
/// writes, with its log; and at most one frozen (immutable) one, which is
/// being written out as a table.
///
/// This is the part of the write path that chapter 3 adds and later
/// chapters keep as it is: when to freeze, how writers wait when memory is
/// full, and the loop that flushes. What a flush *does* (write a table and
/// publish it, by a rename in this chapter, by a manifest edit in chapter
/// 4) is the engine's, given as a `Flusher` when the memtables are made.
/// A failed flush is reported to the engine's `BackgroundError`, which this
/// type consults but does not own.
public final class Memtables: @unchecked Sendable {
  /// Settings fixed at open.
  public struct Settings: Sendable {
    /// A memtable using more arena bytes than this is frozen and flushed.
    public var memtableSize: Int
    public var maxRecordSize: Int
    public var skipListSeed: UInt64
    /// Flush on a background thread (`true`), or inline in the write that
    /// fills the memtable (`false`: deterministic, for notebooks).
    public var backgroundFlush: Bool

    public init(memtableSize: Int, maxRecordSize: Int, skipListSeed: UInt64, backgroundFlush: Bool) {
      self.memtableSize = memtableSize
      self.maxRecordSize = maxRecordSize
      self.skipListSeed = skipListSeed
      self.backgroundFlush = backgroundFlush
    }
  }

  /// A frozen memtable and the logs that hold its writes.
  public struct Frozen {
    public let memtable: Memtable
    /// The logs whose records are all in `memtable`.
    public let logNumbers: [UInt64]
    /// The log that the next memtable writes to: from it on, recovery
    /// still needs the logs once this memtable is in a table.
    public let successorLog: UInt64
  }

  /// What a flush does once its table is written: `publish` runs under
  /// the lock as the frozen memtable is dropped, so that readers find its
  /// data either in it or in the table; `afterwards` runs after, with no
  /// lock held (retiring logs).
  public struct FlushSteps {
    public var publish: () -> Void
    public var afterwards: () throws -> Void

    public init(publish: @escaping () -> Void = {}, afterwards: @escaping () throws -> Void = {}) {
      self.publish = publish
      self.afterwards = afterwards
    }
  }

  /// Writes a frozen memtable out (with no lock held) and returns the steps
  /// that publish it.
  public typealias Flusher = (Frozen) throws -> FlushSteps

  public let directory: String
  public let settings: Settings
  private let fileSystem: any FileSystem
  private let tracer: Tracer
  private let newFileNumber: () -> UInt64
  private let flusher: Flusher
  /// The engine's record of failed background work: once it holds an
  /// error, writes and flushes are refused.
  private let background: BackgroundError

  /// Guards the state below, and whatever an engine's `publish` changes
  /// (see `withLock`); writers stalled on a busy flush wait on it.
  private let lock = NSCondition()
  private var active: Memtable
  private var activeLog: LogWriter
  /// Logs whose records are in `active` (more than one after a recovery).
  private var activeLogNumbers: [UInt64]
  private var immutable: Frozen?
  private var isFlushing = false
  /// The memtable the commit queue's current leader writes into
  /// (leader-only).
  private var writing: Memtable?

  public init(
    directory: String, fileSystem: any FileSystem, settings: Settings, tracer: Tracer, active: Memtable,
    activeLog: LogWriter, activeLogNumbers: [UInt64], background: BackgroundError,
    newFileNumber: @escaping () -> UInt64, flusher: @escaping Flusher
  ) {
    self.directory = directory
    self.fileSystem = fileSystem
    self.settings = settings
    self.tracer = tracer
    self.active = active
    self.activeLog = activeLog
    self.activeLogNumbers = activeLogNumbers
    self.newFileNumber = newFileNumber
    self.background = background
    self.flusher = flusher
  }

  /// The commit queue's persist step for an engine with these memtables:
  /// make room (freezing a full memtable, or waiting), then append the
  /// group to the active log.
  public func persist(_ group: [CommitQueue.Commit]) throws {
    let (memtable, log) = try makeRoomForWrite()
    writing = memtable
    try log.commit(group, tracer: tracer)
  }

  /// The commit queue's apply step: inserts a committed batch into the
  /// memtable whose log `persist` wrote it to.
  public func apply(_ commit: CommitQueue.Commit) {
    let memtable = writing!
    memtable.insert(
      commit.batch, from: commit.firstSequence, tracer: tracer,
      capacity: "\(Format.size(settings.memtableSize)) before a flush")
  }

  // snippet: make-room
  /// Called by the commit queue's leader before it writes: returns the
  /// memtable and log to write to, freezing a full memtable first. If the
  /// previous frozen memtable is still being flushed, waits: the first taste
  /// of backpressure.
  public func makeRoomForWrite() throws -> (Memtable, LogWriter) {
    lock.lock()
    defer { lock.unlock() }
    var stalled = false
    while true {
      if let error = background.error { throw error }
      if active.memoryUsage < settings.memtableSize { return (active, activeLog) }
      if immutable != nil {
        if !stalled {
          tracer(
            .db, "stall", "writers wait", "the memtable is full and the previous one is still being flushed",
            why: "memory is bounded: a third memtable would grow faster than the disk can take it")
          stalled = true
        }
        lock.wait()
        continue
      }
      try freezeLocked()
      if settings.backgroundFlush {
        Thread.detachNewThread { [self] in try? flushImmutable() }
      } else {
        lock.unlock()
        defer { lock.lock() }
        try flushImmutable()
      }
    }
  }
  // end snippet

  /// Moves the active memtable to the immutable slot and starts a new
  /// memtable and a new log. REQUIRES: the lock; no frozen memtable; no
  /// leader writing (called by the leader itself, or inside a barrier).
  private func freezeLocked() throws {
    let number = newFileNumber()
    let frozen = Frozen(memtable: active, logNumbers: activeLogNumbers, successorLog: number)
    let newLog = try LogWriter.create(
      number: number, in: directory, fileSystem: fileSystem, maxRecordSize: settings.maxRecordSize, tracer: tracer)
    try? activeLog.close()  // every record in it is written; it is only read again by recovery
    immutable = frozen
    active = Memtable(seed: settings.skipListSeed)
    activeLog = newLog
    activeLogNumbers = [number]
    tracer(
      .memtable, "freeze", Format.plural(frozen.memtable.count, "entry", "entries") + " now immutable",
      "new writes go to a new memtable and \(newLog.name)",
      why: "the frozen memtable can be written out while new writes continue")
  }

  /// Flushes the immutable memtable with the engine's `flusher`, then any
  /// memtable frozen meanwhile. Runs on the flush thread (or inline); never
  /// holds the lock during I/O. If a flush is already running, returns at
  /// once: that one will take the new memtable.
  public func flushImmutable() throws {
    lock.lock()
    guard !isFlushing else {
      lock.unlock()
      return
    }
    isFlushing = true
    do {
      while let frozen = immutable {
        lock.unlock()
        let steps = try flusher(frozen)
        lock.lock()
        steps.publish()
        immutable = nil
        lock.broadcast()  // stalled writers may go on
        lock.unlock()
        try steps.afterwards()
        lock.lock()
      }
      isFlushing = false
      lock.broadcast()
      lock.unlock()
    } catch {
      background.record(error, "flush") { wakeAfterFailure(endingFlush: true) }
      throw error
    }
  }

  /// Freezes the active memtable (if it holds anything) and flushes it now.
  /// REQUIRES: no leader writing (call it inside `CommitQueue.barrier`).
  public func flushNow() throws {
    lock.lock()
    while immutable != nil && background.error == nil { lock.wait() }
    if let error = background.error {
      lock.unlock()
      throw error
    }
    guard active.count > 0 else {
      lock.unlock()
      tracer(.memtable, "flush", "nothing to flush", "the memtable is empty")
      return
    }
    do {
      try freezeLocked()
    } catch {
      lock.unlock()
      throw error
    }
    lock.unlock()
    try flushImmutable()
  }

  /// Wakes every writer and flusher waiting on the lock, so that they see a
  /// failure just recorded in `background`; `endingFlush` when the failed
  /// work was the flush loop itself.
  public func wakeAfterFailure(endingFlush: Bool = false) {
    lock.lock()
    if endingFlush { isFlushing = false }
    lock.broadcast()
    lock.unlock()
  }

  /// Waits until no flush is running and none is pending; throws the
  /// failure if one failed.
  public func waitForFlush() throws {
    lock.lock()
    defer { lock.unlock() }
    while (immutable != nil || isFlushing) && background.error == nil { lock.wait() }
    if let error = background.error { throw error }
  }

  /// Runs `body` under the lock a flush's `publish` runs under: what an
  /// engine's flush publishes (its table list, its current version) is read
  /// and changed this way.
  public func withLock<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }

  /// The memtables a read consults, newest first, and what `tables` takes
  /// (the tables to read after them), both under the lock: since a flush
  /// drops its frozen memtable only under the lock, once its table is
  /// published, a reader finds the data in one or the other, never in
  /// neither.
  public func readable<T>(with tables: () -> T) -> (memtables: [Memtable], tables: T) {
    lock.lock()
    defer { lock.unlock() }
    return ([active] + (immutable.map { [$0.memtable] } ?? []), tables())
  }

  /// The active memtable and, while a flush runs, the frozen one.
  public var current: (active: Memtable, immutable: Memtable?) {
    lock.lock()
    defer { lock.unlock() }
    return (active, immutable?.memtable)
  }

  /// The log being written: its name, sizes and counts.
  public var logStatus: LogWriter.Status { withLock { activeLog.status } }

  /// Every log recovery still needs: the frozen memtable's, then the
  /// active one's.
  public var neededLogs: [UInt64] {
    lock.lock()
    defer { lock.unlock() }
    return (immutable?.logNumbers ?? []) + activeLogNumbers
  }

  /// Closes the active log. REQUIRES: no leader writing and no flush
  /// running (the engine closes its commit queue and waits first).
  public func closeLog() throws {
    try withLock { try activeLog.close() }
  }
}
