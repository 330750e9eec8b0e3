import Chapter1WAL
import CoreMetrics
import NIOCore
import Prometheus

/// The server's limits. Each has a `beach serve` flag of the same name.
public struct ServerOptions: Sendable {
  /// The address to listen on: loopback unless told otherwise.
  public var host = "127.0.0.1"
  /// The port; 0 picks a free one (`Server.port` tells which).
  public var port = 0
  /// The largest frame accepted, length field included.
  public var maximumFrameSize = Frame.defaultMaximumSize
  /// Requests one connection may have running; past it the server stops
  /// reading that connection until one finishes (backpressure, not an error).
  public var maximumInFlightPerConnection = 64
  /// Requests all connections together may have running; past it a new
  /// request is answered `busy` at once (load shedding: a queue that can
  /// grow forever only turns overload into timeouts).
  public var admissionLimit = 1024
  /// A request's deadline when the client sends no budget.
  public var defaultBudget: Duration = .seconds(5)
  /// A connection with nothing running that completes no frame for this
  /// long is closed: an idle client, or one trickling a frame a byte at a
  /// time, holds no connection forever.
  public var idleTimeout: Duration = .seconds(30)
  /// Outbound buffer watermarks, in bytes: above the high one the client
  /// is not reading its replies, and the server stops reading its requests
  /// until the buffer drains below the low one.
  public var writeBufferLowWatermark = 64 << 10
  public var writeBufferHighWatermark = 256 << 10
  /// Threads for synced writes, which block on fdatasync; they never run
  /// on an event loop. Enough of them lets concurrent writes meet in one
  /// group commit.
  public var engineThreads = 16
  /// Threads for every other engine call (reads, STATS, writes not
  /// synced). These seldom block for long, and every extra thread is one
  /// more to wake and switch to: on two cores, one thread served 36,000
  /// GETs a second where sixteen served 24,000.
  public var readThreads = max(1, System.coreCount / 2)
  /// Event-loop threads.
  public var eventLoopThreads = System.coreCount
  /// The port of an HTTP endpoint, `GET /metrics`, for a Prometheus
  /// server to scrape (0: any free port; nil: none).
  public var metricsPort: Int?
  /// Whether an acknowledged write has been synced (fdatasync) first.
  public var sync = true
  /// How long a graceful shutdown waits for running requests.
  public var shutdownGrace: Duration = .seconds(10)

  public init() {}
}

/// The server's metrics: swift-metrics objects, kept in a Prometheus
/// registry of the server's own, so STATS and `GET /metrics` show the same
/// figures (and two servers in one process keep theirs apart).
public final class ServerMetrics: Sendable {
  public let registry = PrometheusCollectorRegistry()
  let requests: [Frame.Kind: CoreMetrics.Counter]
  let replies: [Frame.Status: CoreMetrics.Counter]
  let latency: [Frame.Kind: CoreMetrics.Timer]
  let connections: CoreMetrics.Gauge
  let accepted: CoreMetrics.Counter
  let inFlight: CoreMetrics.Gauge
  let bytesIn: CoreMetrics.Counter
  let bytesOut: CoreMetrics.Counter
  let paused: CoreMetrics.Counter

  init() {
    let factory = PrometheusMetricsFactory(registry: registry)
    let requestKinds = Frame.Kind.allCases.filter(\.isRequest)
    requests = Dictionary(
      uniqueKeysWithValues: requestKinds.map {
        (
          $0,
          CoreMetrics.Counter(
            label: "beach_requests_total", dimensions: [("op", "\($0)".lowercased())], factory: factory)
        )
      })
    replies = Dictionary(
      uniqueKeysWithValues: Frame.Status.allCases.map {
        (
          $0,
          CoreMetrics.Counter(
            label: "beach_replies_total", dimensions: [("status", "\($0)".replacingSpaces())], factory: factory)
        )
      })
    latency = Dictionary(
      uniqueKeysWithValues: requestKinds.map {
        (
          $0,
          CoreMetrics.Timer(
            label: "beach_request_duration_seconds", dimensions: [("op", "\($0)".lowercased())], factory: factory)
        )
      })
    connections = CoreMetrics.Gauge(label: "beach_connections", factory: factory)
    accepted = CoreMetrics.Counter(label: "beach_connections_accepted_total", factory: factory)
    inFlight = CoreMetrics.Gauge(label: "beach_requests_in_flight", factory: factory)
    bytesIn = CoreMetrics.Counter(label: "beach_bytes_received_total", factory: factory)
    bytesOut = CoreMetrics.Counter(label: "beach_bytes_sent_total", factory: factory)
    paused = CoreMetrics.Counter(label: "beach_reads_paused_total", factory: factory)
  }

  /// The metrics in Prometheus text format.
  public var text: String {
    var bytes: [UInt8] = []
    registry.emit(into: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }
}

extension String {
  fileprivate func replacingSpaces() -> String { String(map { $0 == " " ? "_" : $0 }) }
}
