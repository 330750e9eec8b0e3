import Chapter1WAL
import Dispatch

/// Runs async work from synchronous code (the shell's commands, `beach
/// serve`, `RemoteStore.close`) and waits for it on the calling thread.
///
/// The work runs on `BlockingRunExecutor`'s threads, not on Swift's shared
/// cooperative pool. That matters: the pool has one thread per core, and a
/// caller blocked here may itself be on one of them (a test, say). Were
/// the work to need a pool thread while every one waited here, nothing
/// would ever run it.
///
/// REQUIRES: not called on an event loop (the work may need that loop).
public func blockingRun<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
  let result = Locked<Result<T, any Error>?>(nil)
  let done = DispatchSemaphore(value: 0)
  Task(executorPreference: BlockingRunExecutor.shared) {
    let outcome: Result<T, any Error>
    do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
    result.withLock { $0 = outcome }
    done.signal()
  }
  done.wait()
  return try result.withLock { $0! }.get()
}

/// A task executor of its own threads (a concurrent dispatch queue, which
/// starts a thread when the others are blocked), for `blockingRun`.
public final class BlockingRunExecutor: TaskExecutor {
  public static let shared = BlockingRunExecutor()
  private let queue = DispatchQueue(label: "beach.blocking-run", attributes: .concurrent)

  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    let executor = asUnownedTaskExecutor()
    queue.async { job.runSynchronously(on: executor) }
  }
}
