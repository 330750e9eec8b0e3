import Foundation

/// A value that one thread at a time may touch: every access goes through
/// `withLock`, which holds a lock for the length of the closure.
///
/// The standard library's `Synchronization.Mutex` has the same shape, and
/// the engine used it at first. On Linux it is a futex driven by atomic
/// instructions, which ThreadSanitizer does not treat as a lock: two threads
/// taking turns correctly under a `Mutex` look to the sanitizer like a data
/// race, and whether it reports one depends on timing. `Scripts/sanitize`
/// runs the concurrent suites under ThreadSanitizer on every change, so a
/// lock it cannot see would either hide real races (behind suppressions) or
/// fail at random. This one is an `NSLock`, which is a pthread mutex, which
/// the sanitizer understands; uncontended, either costs one atomic
/// instruction to take and one to release.
///
/// The value may be a non-copyable type, as a cache shard is. It need not
/// be `Sendable`: the lock is what makes sharing it safe, so the type is
/// `@unchecked Sendable`, and the one rule is not to let a reference to the
/// value escape the closure.
public final class Locked<Value: ~Copyable>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value

  public init(_ value: consuming Value) { self.value = value }

  /// Runs `body` with the value, holding the lock; returns what it returns.
  public func withLock<Result, Failure: Error>(
    _ body: (inout Value) throws(Failure) -> Result
  ) throws(Failure) -> Result {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}
