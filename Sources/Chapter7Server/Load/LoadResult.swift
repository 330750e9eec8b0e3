import Histogram

/// What one load run measured.
public struct LoadResult: Sendable, Codable, Equatable {
  /// What tables and plots call this run.
  public var label: String
  /// The server's kind (`beach`, `redis`) and address.
  public var target: String
  public var address: String
  public var plan: LoadPlan
  /// Measured requests: those that succeeded and those that failed.
  public var requests: Int
  /// Requests answered with success (GETs that found nothing included).
  public var succeeded: Int
  /// GETs answered "no such key".
  public var missing: Int
  public var failures: FailureCounts
  /// From the first measured request's intended time (its send, in a
  /// closed loop) to the last measured reply.
  public var seconds: Double
  /// Successful replies per second over `seconds`.
  public var throughput: Double
  /// Latencies from each request's intended time.
  public var corrected: LatencySummary
  /// Latencies from each request's actual send.
  public var uncorrected: LatencySummary
}

/// Failed requests, by kind.
public struct FailureCounts: Sendable, Codable, Equatable {
  public var busy = 0
  public var timeout = 0
  public var closed = 0
  public var unanswered = 0
  public var unsent = 0
  public var error = 0

  public init() {}

  public subscript(failure: LoadFailure) -> Int {
    get {
      switch failure {
      case .busy: busy
      case .timeout: timeout
      case .closed: closed
      case .unanswered: unanswered
      case .unsent: unsent
      case .error: error
      }
    }
    set {
      switch failure {
      case .busy: busy = newValue
      case .timeout: timeout = newValue
      case .closed: closed = newValue
      case .unanswered: unanswered = newValue
      case .unsent: unsent = newValue
      case .error: error = newValue
      }
    }
  }

  public var total: Int { LoadFailure.allCases.reduce(0) { $0 + self[$1] } }

  mutating func add(_ other: FailureCounts) {
    for failure in LoadFailure.allCases { self[failure] += other[failure] }
  }
}

/// A latency distribution's landmarks, in microseconds.
public struct LatencySummary: Sendable, Codable, Equatable {
  public var count: Int
  public var p50: Double
  public var p90: Double
  public var p99: Double
  public var p999: Double
  public var max: Double

  public init(count: Int, p50: Double, p90: Double, p99: Double, p999: Double, max: Double) {
    self.count = count
    self.p50 = p50
    self.p90 = p90
    self.p99 = p99
    self.p999 = p999
    self.max = max
  }

  /// The landmarks of a histogram of microseconds (all zero when it is empty).
  public init(_ histogram: Histogram<UInt64>) {
    guard histogram.totalCount > 0 else {
      self.init(count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0)
      return
    }
    func at(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) }
    self.init(
      count: Int(histogram.totalCount), p50: at(50), p90: at(90), p99: at(99), p999: at(99.9),
      max: Double(histogram.maxRecorded))
  }

  /// The columns of the report, in order.
  public var columns: [(name: String, microseconds: Double)] {
    [("p50", p50), ("p90", p90), ("p99", p99), ("p99.9", p999), ("max", max)]
  }
}
