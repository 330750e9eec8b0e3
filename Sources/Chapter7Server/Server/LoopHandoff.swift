import Chapter1WAL
import NIOCore
import NIOPosix

/// Engine calls from one event loop to the quick pool, handed over in
/// batches.
///
/// Handing a call to another thread costs more than a GET from memory
/// does: a thread is woken (a futex, a context switch), and the result
/// comes back by waking the loop (an eventfd, another switch). A profile
/// of one GET per handoff on two cores put half the server's time in the
/// kernel doing exactly that. So the calls a loop starts while it handles
/// one round of socket events are gathered, and go to the pool as one job:
/// one wake-up each way for the whole round, however many connections
/// sent a request in it. Synced writes do not come here; each needs a
/// thread of its own to wait on, so that many meet in one group commit.
///
/// Touched only on its loop (the pool runs the calls, not this object's
/// state), hence `@unchecked Sendable`.
final class LoopHandoff: @unchecked Sendable {
  typealias Outcome = (Frame.Status, Bytes)
  private let loop: any EventLoop
  private let pool: NIOThreadPool
  private var gathered: [(work: @Sendable () -> Outcome, promise: EventLoopPromise<Outcome>)] = []

  init(loop: any EventLoop, pool: NIOThreadPool) {
    self.loop = loop
    self.pool = pool
  }

  /// Runs `work` on the pool with the others started in this round; the
  /// future completes on the loop.
  ///
  /// REQUIRES: called on the loop.
  func run(_ work: @escaping @Sendable () -> Outcome) -> EventLoopFuture<Outcome> {
    loop.preconditionInEventLoop()
    let promise = loop.makePromise(of: Outcome.self)
    gathered.append((work, promise))
    // The first of a round schedules the handover: a task runs after the
    // loop has handled every socket event of this round.
    if gathered.count == 1 { loop.assumeIsolated().execute { [self] in handOver() } }
    return promise.futureResult
  }

  private func handOver() {
    let batch = gathered
    gathered.removeAll(keepingCapacity: true)
    let works = batch.map(\.work)
    pool.runIfActive(eventLoop: loop) { works.map { $0() } }.assumeIsolated().whenComplete { result in
      switch result {
      case .success(let outcomes):
        for (entry, outcome) in zip(batch, outcomes) { entry.promise.succeed(outcome) }
      case .failure(let error):
        for entry in batch { entry.promise.fail(error) }
      }
    }
  }
}
