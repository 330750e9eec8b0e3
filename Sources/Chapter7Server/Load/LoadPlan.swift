/// One load run's shape: how requests are paced, over how many
/// connections, for how long, and what they ask for.
public struct LoadPlan: Sendable, Codable, Equatable {
  /// How requests are paced.
  public enum Pacing: String, Sendable, Codable {
    /// On a timetable (`OpenLoopSchedule`), whatever the replies do: the
    /// way users arrive at a service.
    case open
    /// Each connection sends its next request when the previous reply
    /// arrives: the way most benchmarks run, and what hides a stall.
    case closed
  }

  public var pacing = Pacing.open
  /// Connections, opened before the run; requests go to them round robin.
  public var connections = 4
  /// Requests per second, all connections together (open loop only).
  public var rate = 10_000.0
  /// Seconds measured.
  public var duration = 10.0
  /// Seconds run before the measured ones, on the same schedule, and not
  /// recorded (connections, caches and the server's threads warm up).
  public var warmup = 0.0
  /// Requests one connection may have sent and not had answered (open
  /// loop). A request due while its connection is at this limit waits: the
  /// schedule falls behind, and the corrected latencies show it.
  public var maximumOutstanding = 64
  /// Seconds after the last request is due to wait for the last replies;
  /// requests still unanswered then are counted as `unanswered`.
  public var grace = 5.0
  public var workload = Workload()

  public init() {}

  /// The open loop's timetable.
  public var schedule: OpenLoopSchedule { OpenLoopSchedule(rate: rate) }
}

/// The open loop's timetable: request i is intended at start + i / rate.
///
/// The intended time is the point of the whole exercise. A user who
/// arrives while the server is stalled waits from the moment they arrived,
/// not from the moment the stall let the client send their request; so
/// latency is measured from the intended time ("corrected for coordinated
/// omission", as wrk2 and HdrHistogram call it), and from the actual send
/// time beside it to show the difference.
public struct OpenLoopSchedule: Sendable, Equatable {
  /// Requests per second.
  public let rate: Double

  /// REQUIRES: `rate > 0`.
  public init(rate: Double) {
    precondition(rate > 0, "a schedule's rate is more than 0 requests a second")
    self.rate = rate
  }

  /// Nanoseconds after the start at which request `index` is intended.
  public func intendedOffset(of index: Int) -> UInt64 {
    UInt64((Double(index) * 1e9 / rate).rounded())
  }

  /// How many requests fall in the first `seconds` of the schedule.
  public func requests(in seconds: Double) -> Int {
    Int((rate * seconds).rounded())
  }
}
