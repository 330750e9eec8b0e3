import Chapter1WAL
import Histogram
import NIOCore
import NIOPosix
import Synchronization

/// An open-loop load generator: `beach load`.
///
/// Most benchmarks are closed loops: a client sends a request, waits for
/// the reply, sends the next. If the server stalls for a second, the client
/// stalls with it and sends nothing, so the benchmark records *one* slow
/// request where real users (who keep arriving whether or not the server
/// answers) would have seen thousands. The measurement has coordinated
/// with the thing it measures and omitted exactly the requests that show
/// the problem: Gil Tene's "coordinated omission".
///
/// This generator runs an open loop instead. Requests have a timetable
/// (`OpenLoopSchedule`: request i at start + i / rate), spread round robin
/// over a fixed set of connections, pipelined, each connection allowed a
/// bounded number outstanding. Every reply is timed twice:
///
/// - **corrected**, from the request's *intended* time on the timetable:
///   what a user arriving then would have waited;
/// - **uncorrected**, from the moment it was actually sent: what a closed
///   loop would report.
///
/// When the server keeps up the two agree. When it stalls, connections hit
/// their outstanding limit, the requests due meanwhile wait, and are sent
/// in a burst when replies come back: their uncorrected latency looks fine
/// and their corrected latency holds the stall. (This is wrk2's method; the
/// latencies go into HdrHistograms, which keep every percentile to three
/// significant digits.) A closed-loop mode (`Pacing.closed`) is here too,
/// to show the difference on the same server.
///
/// Timing runs on the connections' own event loops: each connection's part
/// of the timetable is a chain of timers on its loop, and a reply is timed
/// on the loop that read it, so nothing hops between threads on the way.
public final class LoadSession: Sendable {
  public let target: any LoadTarget
  let group: MultiThreadedEventLoopGroup
  let connections: [any LoadConnection]
  let loops: [any EventLoop]

  /// Opens `connections` connections to `target`, spread over `threads`
  /// event loops.
  ///
  /// - Throws: the target's error for the first connection that failed
  ///   (the others are closed).
  public static func connect(to target: any LoadTarget, connections: Int, threads: Int = 1) async throws
    -> LoadSession
  {
    precondition(connections >= 1 && threads >= 1, "a load needs a connection and a thread")
    let group = MultiThreadedEventLoopGroup(numberOfThreads: min(threads, connections))
    let loops = (0..<connections).map { _ in group.next() }
    var opened: [any LoadConnection] = []
    do {
      for loop in loops { opened.append(try await target.connect(on: loop)) }
    } catch {
      for connection in opened { await connection.close() }
      try? await group.shutdownGracefully()
      throw error
    }
    return LoadSession(target: target, group: group, connections: opened, loops: loops)
  }

  private init(
    target: any LoadTarget, group: MultiThreadedEventLoopGroup, connections: [any LoadConnection],
    loops: [any EventLoop]
  ) {
    self.target = target
    self.group = group
    self.connections = connections
    self.loops = loops
  }

  /// The number of connections open.
  public var connectionCount: Int { connections.count }

  /// Closes the connections and stops the event loops.
  public func close() async {
    for connection in connections { await connection.close() }
    try? await group.shutdownGracefully()
  }

  // MARK: Prefill

  /// What writing every key once cost.
  public struct Prefill: Sendable, Codable, Equatable {
    public var keys: Int
    public var seconds: Double
    public var failures: Int
  }

  /// Writes every key of `workload` once (SET key(i) to the workload's
  /// value), as fast as the server takes them: connection c writes keys c,
  /// c + connections, ..., `window` at a time.
  public func prefill(_ workload: Workload, window: Int = 64) async -> Prefill {
    let started = NIODeadline.now()
    let value = workload.value
    let fills = connections.indices.map { c in
      PrefillDriver(
        connection: connections[c], loop: loops[c], first: c, step: connections.count, keyCount: workload.keyCount,
        value: value, window: window)
    }
    let running = fills.map { $0.run() }  // all at once, then wait for each
    var failures = 0
    for fill in running { failures += (try? await fill.get()) ?? 0 }
    let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
    return Prefill(keys: workload.keyCount, seconds: seconds, failures: failures)
  }

  // MARK: Running

  /// Runs `plan` and returns what it measured.
  ///
  /// REQUIRES: `plan.connections == connectionCount`.
  /// - Parameters:
  ///   - label: what tables and plots call this run (default: the target's name).
  ///   - progress: called about four times a second, on an event loop.
  public func run(
    _ plan: LoadPlan, label: String? = nil, progress: (@Sendable (LoadProgress) -> Void)? = nil
  ) async -> LoadResult {
    precondition(plan.connections == connections.count, "the plan's connections are the session's")
    let counters = LoadCounters()
    let chooser = plan.workload.makeChooser()
    let value = plan.workload.value
    // Every loop gets a moment to pick up its first timer before request 0 is due.
    let start = NIODeadline.now() + .milliseconds(20)
    var recorders: [ObjectIdentifier: LoopRecorder] = [:]
    var runs: [ConnectionRun] = []
    for c in connections.indices {
      let loop = loops[c]
      let recorder = recorders[ObjectIdentifier(loop)] ?? LoopRecorder()
      recorders[ObjectIdentifier(loop)] = recorder
      runs.append(
        ConnectionRun(
          connection: connections[c], loop: loop, number: c, plan: plan, start: start, recorder: recorder,
          stream: plan.workload.operations(forConnection: c, chooser: chooser, value: value), counters: counters))
    }
    let ticker = progress.map { report in
      LoadProgress.ticker(on: loops[0], start: start, counters: counters, report: report)
    }
    for run in runs { run.begin() }
    for run in runs { try? await run.finished.futureResult.get() }
    ticker?.cancel()

    // Each recorder is written only on its loop; the loops are done with them now.
    var total = LoopRecorder.Totals()
    for recorder in recorders.values {
      total.add(try? await recorder.loop(of: runs).submit { recorder.totals }.get())
    }
    let measuredFrom = runs[0].measuredFrom
    let elapsed = total.lastCompletion > measuredFrom ? Double(total.lastCompletion - measuredFrom) / 1e9 : 0
    let succeeded = total.done + total.missing
    return LoadResult(
      label: label ?? target.name, target: target.name, address: target.address, plan: plan,
      requests: succeeded + total.failures.total, succeeded: succeeded, missing: total.missing,
      failures: total.failures, seconds: elapsed, throughput: elapsed > 0 ? Double(succeeded) / elapsed : 0,
      corrected: LatencySummary(total.corrected), uncorrected: LatencySummary(total.uncorrected))
  }
}

/// Counters every connection adds to, for the progress line.
final class LoadCounters: Sendable {
  let sent = Atomic<Int>(0)
  let done = Atomic<Int>(0)
  let errors = Atomic<Int>(0)
}

/// A run in progress, for the progress line.
public struct LoadProgress: Sendable {
  /// Seconds since the run began (warmup included).
  public var elapsed: Double
  public var sent: Int
  public var done: Int
  public var errors: Int
  /// Replies per second over the last tick.
  public var rate: Double

  /// A timer on `loop` that reports every quarter of a second.
  static func ticker(
    on loop: any EventLoop, start: NIODeadline, counters: LoadCounters,
    report: @escaping @Sendable (LoadProgress) -> Void
  ) -> RepeatedTask {
    let last = Locked<(time: NIODeadline, done: Int)>((start, 0))
    return loop.scheduleRepeatedTask(initialDelay: .milliseconds(250), delay: .milliseconds(250)) { _ in
      let now = NIODeadline.now()
      let done = counters.done.load(ordering: .relaxed)
      let rate = last.withLock { last in
        defer { last = (now, done) }
        let seconds = Double((now - last.time).nanoseconds) / 1e9
        return seconds > 0 ? Double(done - last.done) / seconds : 0
      }
      report(
        LoadProgress(
          elapsed: max(0, Double((now - start).nanoseconds) / 1e9), sent: counters.sent.load(ordering: .relaxed),
          done: done, errors: counters.errors.load(ordering: .relaxed), rate: rate))
    }
  }
}

/// The histograms and counts of the connections on one event loop.
///
/// Touched only on that loop (by the `ConnectionRun`s there), so it needs
/// no lock; `@unchecked Sendable` because the compiler cannot see that.
final class LoopRecorder: @unchecked Sendable {
  struct Totals {
    /// Latencies in microseconds, up to an hour.
    var corrected = LoopRecorder.histogram()
    var uncorrected = LoopRecorder.histogram()
    var done = 0
    var missing = 0
    var failures = FailureCounts()
    /// When the last measured reply came (uptime nanoseconds).
    var lastCompletion: UInt64 = 0

    mutating func add(_ other: Totals?) {
      guard let other else { return }
      corrected.add(other.corrected)
      uncorrected.add(other.uncorrected)
      done += other.done
      missing += other.missing
      failures.add(other.failures)
      lastCompletion = max(lastCompletion, other.lastCompletion)
    }
  }

  var totals = Totals()

  static let highest: UInt64 = 3_600_000_000

  static func histogram() -> Histogram<UInt64> {
    Histogram(lowestDiscernibleValue: 1, highestTrackableValue: highest, numberOfSignificantValueDigits: .three)
  }

  /// Records one measured reply.
  func record(_ outcome: LoadOutcome, intended: UInt64, sent: UInt64, now: UInt64) {
    switch outcome {
    case .done: totals.done += 1
    case .missing: totals.missing += 1
    case .failed(let failure):
      totals.failures[failure] += 1
      return  // an error's latency is not a reply's latency
    }
    totals.corrected.record(LoopRecorder.microseconds(from: intended, to: now))
    totals.uncorrected.record(LoopRecorder.microseconds(from: sent, to: now))
    totals.lastCompletion = max(totals.lastCompletion, now)
  }

  static func microseconds(from start: UInt64, to end: UInt64) -> UInt64 {
    min(max(1, (end &- min(start, end)) / 1000), highest)
  }

  /// The loop whose runs use this recorder.
  func loop(of runs: [ConnectionRun]) -> any EventLoop {
    runs.first { $0.recorder === self }!.loop
  }
}

/// One connection's part of a run.
///
/// All its mutable state is touched only on `loop` (timers, replies and
/// `begin` all run there), hence `@unchecked Sendable`.
final class ConnectionRun: @unchecked Sendable {
  let connection: any LoadConnection
  let loop: any EventLoop
  let plan: LoadPlan
  let schedule: OpenLoopSchedule
  let recorder: LoopRecorder
  let counters: LoadCounters
  /// The run's start (uptime nanoseconds): request 0's intended time.
  let start: UInt64
  /// Open loop: the first request index measured (the ones before are warmup).
  let firstMeasured: Int
  /// Open loop: one past the last request index.
  let total: Int
  /// When measuring begins (uptime nanoseconds).
  let measuredFrom: UInt64
  /// Closed loop: when sending stops.
  let end: UInt64
  let finished: EventLoopPromise<Void>
  private var stream: OperationStream
  /// Open loop: the next request index this connection sends
  /// (connection c sends c, c + connections, c + 2 × connections, ...).
  private var next: Int
  private var outstanding = 0
  private var measuredOutstanding = 0
  /// Open loop: stopped at the outstanding limit; the next reply resumes.
  private var blocked = false
  private var stopped = false
  /// Inside `connection.send`: a reply that completes there (a closed
  /// connection fails at once) must not send the next request from inside
  /// this one, or a closed loop would recurse.
  private var sending = false
  private var giveUp: Scheduled<Void>?
  /// `finished` has been fulfilled (by the last reply or by `abandon`).
  private var isFinished = false

  init(
    connection: any LoadConnection, loop: any EventLoop, number: Int, plan: LoadPlan, start: NIODeadline,
    recorder: LoopRecorder, stream: OperationStream, counters: LoadCounters
  ) {
    self.connection = connection
    self.loop = loop
    self.plan = plan
    self.schedule = plan.schedule
    self.recorder = recorder
    self.stream = stream
    self.counters = counters
    self.start = start.uptimeNanoseconds
    self.next = number
    self.finished = loop.makePromise()
    switch plan.pacing {
    case .open:
      firstMeasured = schedule.requests(in: plan.warmup)
      total = firstMeasured + schedule.requests(in: plan.duration)
      measuredFrom = self.start + schedule.intendedOffset(of: firstMeasured)
      end = self.start + schedule.intendedOffset(of: total)
    case .closed:
      firstMeasured = 0
      total = 0
      measuredFrom = self.start + UInt64(plan.warmup * 1e9)
      end = measuredFrom + UInt64(plan.duration * 1e9)
    }
  }

  /// Starts sending (from any thread).
  func begin() {
    loop.execute { [self] in
      giveUp = loop.scheduleTask(deadline: .uptimeNanoseconds(end + UInt64(plan.grace * 1e9))) { [self] in
        abandon()
      }
      switch plan.pacing {
      case .open: loop.scheduleTask(deadline: .uptimeNanoseconds(start)) { [self] in pump() }
      case .closed: loop.scheduleTask(deadline: .uptimeNanoseconds(start)) { [self] in sendClosed() }
      }
    }
  }

  // snippet: open-loop-pump
  /// Open loop: sends every request that is due, then sleeps until the next
  /// one is (a timer), or until a reply frees a place (`blocked`).
  private func pump() {
    blocked = false
    while next < total && !stopped {
      guard outstanding < plan.maximumOutstanding else {
        blocked = true  // behind schedule: the corrected latencies will show by how much
        return
      }
      let intended = start + schedule.intendedOffset(of: next)
      let now = NIODeadline.now().uptimeNanoseconds
      guard intended <= now else {
        loop.scheduleTask(deadline: .uptimeNanoseconds(intended)) { [self] in pump() }
        return
      }
      send(measured: next >= firstMeasured, intended: intended, sent: now)
      next += plan.connections
    }
    finishIfDone()
  }
  // end snippet

  /// Closed loop: one request, sent now; its reply sends the next.
  private func sendClosed() {
    let now = NIODeadline.now().uptimeNanoseconds
    guard now < end && !stopped else {
      stopped = true
      finishIfDone()
      return
    }
    send(measured: now >= measuredFrom, intended: now, sent: now)
  }

  private func send(measured: Bool, intended: UInt64, sent: UInt64) {
    outstanding += 1
    if measured { measuredOutstanding += 1 }
    counters.sent.add(1, ordering: .relaxed)
    sending = true
    defer { sending = false }
    connection.send(stream.next()).hop(to: loop).whenComplete { [self] result in
      let outcome = (try? result.get()) ?? .failed(.closed)
      completed(outcome, measured: measured, intended: intended, sent: sent)
    }
  }

  private func completed(_ outcome: LoadOutcome, measured: Bool, intended: UInt64, sent: UInt64) {
    outstanding -= 1
    counters.done.add(1, ordering: .relaxed)
    if case .failed = outcome { counters.errors.add(1, ordering: .relaxed) }
    guard !isFinished else { return }  // abandoned: already counted as unanswered
    if measured {
      measuredOutstanding -= 1
      recorder.record(outcome, intended: intended, sent: sent, now: NIODeadline.now().uptimeNanoseconds)
    }
    switch plan.pacing {
    case .open: if blocked { pump() } else { finishIfDone() }
    case .closed: if sending { loop.execute { [self] in sendClosed() } } else { sendClosed() }
    }
  }

  private func finishIfDone() {
    let sending = plan.pacing == .open ? next < total : !stopped
    guard !sending, outstanding == 0, !isFinished else { return }
    giveUp?.cancel()
    isFinished = true
    finished.succeed()
  }

  /// The grace period is over: what is still out is unanswered, what was
  /// never sent is unsent, and the run ends for this connection.
  private func abandon() {
    guard !isFinished else { return }
    stopped = true
    recorder.totals.failures[.unanswered] += measuredOutstanding
    if plan.pacing == .open && next < total {
      let from = max(next, firstMeasured + (next - firstMeasured).modulo(plan.connections))
      if from < total { recorder.totals.failures[.unsent] += (total - from + plan.connections - 1) / plan.connections }
    }
    isFinished = true
    finished.succeed()
  }
}

/// One connection's share of a prefill: keys first, first + step, ...,
/// `window` SETs in flight. Its state is touched only on `loop`.
final class PrefillDriver: @unchecked Sendable {
  let connection: any LoadConnection
  let loop: any EventLoop
  let step: Int
  let keyCount: Int
  let value: Bytes
  let window: Int
  private var next: Int
  private var outstanding = 0
  private var failures = 0
  /// Inside `fill`'s loop: a SET that fails at once must not start another.
  private var filling = false
  private let done: EventLoopPromise<Int>

  init(
    connection: any LoadConnection, loop: any EventLoop, first: Int, step: Int, keyCount: Int, value: Bytes, window: Int
  ) {
    self.connection = connection
    self.loop = loop
    self.next = first
    self.step = step
    self.keyCount = keyCount
    self.value = value
    self.window = max(1, window)
    self.done = loop.makePromise()
  }

  /// Starts, and returns the number of failed SETs when all are answered.
  func run() -> EventLoopFuture<Int> {
    loop.execute { [self] in fill() }
    return done.futureResult
  }

  private func fill() {
    guard !filling else { return }
    filling = true
    defer { filling = false }
    while outstanding < window && next < keyCount {
      outstanding += 1
      connection.send(.set(key: Workload.key(next), value: value)).hop(to: loop).whenComplete { [self] result in
        outstanding -= 1
        if case .success(.failed) = result { failures += 1 }
        if case .failure = result { failures += 1 }
        fill()
      }
      next += step
    }
    if next >= keyCount && outstanding == 0 { done.succeed(failures) }
  }
}

extension Int {
  /// The remainder that is never negative.
  fileprivate func modulo(_ divisor: Int) -> Int { ((self % divisor) + divisor) % divisor }
}
