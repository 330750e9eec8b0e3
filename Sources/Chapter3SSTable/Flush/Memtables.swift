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
/// 4) is the engine's, given as a `Flusher`.
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

  /// Writes a frozen memtable out (with no lock held) and returns two
  /// steps: `publish`, which runs under `lock` as the frozen memtable is
  /// dropped, so that readers find its data either in it or in the table,
  /// and `afterwards`, which runs after (retiring logs).
  public typealias Flusher = (Frozen) throws -> (publish: () -> Void, afterwards: () throws -> Void)

  public let directory: String
  public let settings: Settings
  private let fileSystem: any FileSystem
  private let tracer: Tracer
  private let newFileNumber: () -> UInt64
  /// Set once by the engine, right after it is created.
  public var flusher: Flusher?

  /// Guards the state below, and whatever an engine's `publish` changes;
  /// writers stalled on a busy flush wait on it.
  public let lock = NSCondition()
  public private(set) var active: Memtable
  public private(set) var activeLog: LogWriter
  /// Logs whose records are in `active` (more than one after a recovery).
  public private(set) var activeLogNumbers: [UInt64]
  public private(set) var immutable: Frozen?
  /// Set by a failed flush: writes are refused until the engine is reopened.
  public private(set) var backgroundError: (any Error)?
  public private(set) var isFlushing = false
  /// The memtable the commit queue's current leader writes into
  /// (leader-only).
  private var writing: Memtable?

  public init(
    directory: String, fileSystem: any FileSystem, settings: Settings, tracer: Tracer, active: Memtable,
    activeLog: LogWriter, activeLogNumbers: [UInt64], newFileNumber: @escaping () -> UInt64
  ) {
    self.directory = directory
    self.fileSystem = fileSystem
    self.settings = settings
    self.tracer = tracer
    self.active = active
    self.activeLog = activeLog
    self.activeLogNumbers = activeLogNumbers
    self.newFileNumber = newFileNumber
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
    memtable.insert(commit.batch, from: commit.firstSequence)
    guard tracer.isEnabled else { return }
    for (index, operation) in commit.batch.operations.enumerated() {
      let kind: ValueKind = if case .put = operation { .value } else { .deletion }
      tracer(
        .memtable, "insert", "\(printable(operation.key)) #\(commit.firstSequence + SequenceNumber(index)) \(kind)",
        "\(plural(memtable.count, "entry", "entries")), \(formatBytes(memtable.memoryUsage)) of "
          + "\(formatBytes(settings.memtableSize)) before a flush")
    }
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
      if let backgroundError { throw backgroundError }
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
      .memtable, "freeze", plural(frozen.memtable.count, "entry", "entries") + " now immutable",
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
        let (publish, afterwards) = try flusher!(frozen)
        lock.lock()
        publish()
        immutable = nil
        lock.broadcast()  // stalled writers may go on
        lock.unlock()
        try afterwards()
        lock.lock()
      }
      isFlushing = false
      lock.broadcast()
      lock.unlock()
    } catch {
      fail(error, "flush")
      throw error
    }
  }

  /// Freezes the active memtable (if it holds anything) and flushes it now.
  /// REQUIRES: no leader writing (call it inside `CommitQueue.barrier`).
  public func flushNow() throws {
    lock.lock()
    while immutable != nil && backgroundError == nil { lock.wait() }
    if let backgroundError {
      lock.unlock()
      throw backgroundError
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

  /// Records a failure of background work: writes are refused from now on.
  public func fail(_ error: any Error, _ what: String) {
    lock.lock()
    backgroundError = backgroundError ?? error
    isFlushing = false
    lock.broadcast()
    lock.unlock()
    tracer(
      .db, "error", "\(what) failed",
      String(describing: error).replacingOccurrences(of: directory + "/", with: "")
        .replacingOccurrences(of: directory, with: "the database directory"),
      why: "writes are refused until the database is reopened")
  }

  /// Waits until no flush is running and none is pending; throws the
  /// failure if one failed.
  public func waitForFlush() throws {
    lock.lock()
    defer { lock.unlock() }
    while (immutable != nil || isFlushing) && backgroundError == nil { lock.wait() }
    if let backgroundError { throw backgroundError }
  }

  /// The memtables a read consults, newest first. REQUIRES: the lock.
  public var readableLocked: [Memtable] { [active] + (immutable.map { [$0.memtable] } ?? []) }

  /// The active memtable and, while a flush runs, the frozen one.
  public var current: (active: Memtable, immutable: Memtable?) {
    lock.lock()
    defer { lock.unlock() }
    return (active, immutable?.memtable)
  }

  /// The log being written: its name and status.
  public var logStatus: (name: String, status: LogWriter.Status) {
    lock.lock()
    defer { lock.unlock() }
    return (activeLog.name, activeLog.status)
  }
}
