import Foundation
import Synchronization

/// Runs async work from a synchronous command (the `beach` subcommands and
/// the shell are synchronous) and waits for it on this thread.
///
/// REQUIRES: not called from an event loop or a Swift concurrency thread:
/// it blocks the calling thread until `body` finishes.
func blockingRun<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
  let result = Mutex<Result<T, any Error>?>(nil)
  let done = DispatchSemaphore(value: 0)
  Task {
    let outcome: Result<T, any Error>
    do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
    result.withLock { $0 = outcome }
    done.signal()
  }
  done.wait()
  return try result.withLock { $0! }.get()
}
