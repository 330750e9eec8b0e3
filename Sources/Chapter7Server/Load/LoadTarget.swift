import Chapter1WAL
import NIOCore

/// A server the load generator can drive: something it opens connections
/// to. `BeachTarget` speaks chapter 7's frames (through `Client`);
/// `RedisTarget` speaks Redis's RESP2, so the very same schedule runs
/// against `redis-server`.
public protocol LoadTarget: Sendable {
  /// What the report calls the server: `beach`, `redis`.
  var name: String { get }
  /// `host:port`.
  var address: String { get }
  /// Opens one connection whose I/O runs on `loop`.
  func connect(on loop: any EventLoop) async throws -> any LoadConnection
}

/// A kind of server `beach load --target KIND:HOST:PORT` knows: the `KIND`
/// and how to make the target from `HOST:PORT`.
///
/// Chapter 7 brings `beach` and `redis`. The command reads its kinds from a
/// list, so a later chapter that speaks to another server (a cluster, or a
/// peer to measure against) adds a line there and a `LoadTarget` of its
/// own, and the generator, the schedule and the report stay this chapter's.
public struct LoadTargetKind: Sendable {
  /// What `--target` names it: `beach`, `redis`.
  public var name: String
  /// What it speaks, for the command's help: `chapter 7's protocol`.
  public var summary: String
  /// Makes the target for one `HOST:PORT`.
  public var make: @Sendable (_ host: String, _ port: Int, _ options: LoadTargetOptions) -> any LoadTarget

  public init(
    name: String, summary: String,
    make: @escaping @Sendable (_ host: String, _ port: Int, _ options: LoadTargetOptions) -> any LoadTarget
  ) {
    self.name = name
    self.summary = summary
    self.make = make
  }

  /// `beach serve`, through `BeachTarget`.
  public static let beach = LoadTargetKind(name: "beach", summary: "chapter 7's protocol") { host, port, options in
    BeachTarget(host: host, port: port, budget: options.budget)
  }

  /// `redis-server`, through `RedisTarget`.
  public static let redis = LoadTargetKind(name: "redis", summary: "RESP2") { host, port, _ in
    RedisTarget(host: host, port: port)
  }
}

/// What `beach load` passes every kind of target beside its address; a
/// kind uses what applies to it.
public struct LoadTargetOptions: Sendable {
  /// The budget each request carries, where the protocol has one (`nil`:
  /// the server's default).
  public var budget: Duration?

  public init(budget: Duration? = nil) { self.budget = budget }
}

/// One open connection under load.
public protocol LoadConnection: AnyObject, Sendable {
  /// Sends one request. The future completes on the connection's event
  /// loop and never fails: a failure is an outcome, counted, not thrown.
  func send(_ operation: LoadOperation) -> EventLoopFuture<LoadOutcome>
  func close() async
}

/// The two requests a load sends.
public enum LoadOperation: Sendable, Equatable {
  case get(key: Bytes)
  case set(key: Bytes, value: Bytes)
}

/// How a request ended.
public enum LoadOutcome: Sendable, Equatable {
  /// Done: a SET acknowledged, a GET answered with a value.
  case done
  /// A GET answered "no such key": a success, counted apart (a GET load
  /// without `--prefill` measures misses).
  case missing
  case failed(LoadFailure)
}

/// Why a request did not succeed. The generator counts each kind; none
/// stops the run.
public enum LoadFailure: String, Sendable, Codable, CaseIterable {
  /// The server refused it at its admission limit (beach's `busy`, Redis's
  /// `-BUSY` or `-LOADING`).
  case busy
  /// The server's deadline passed (beach's `timeout`).
  case timeout
  /// The connection closed before the reply came.
  case closed
  /// Sent, but no reply by the end of the run's grace period.
  case unanswered
  /// Never sent: the run ended with the schedule this far behind.
  case unsent
  /// Any other error reply.
  case error
}

/// `beach serve`, through chapter 7's `Client`.
public struct BeachTarget: LoadTarget {
  public let host: String
  public let port: Int
  /// The budget each request carries (`nil`: the server's default).
  public var budget: Duration?

  public init(host: String, port: Int, budget: Duration? = nil) {
    self.host = host
    self.port = port
    self.budget = budget
  }

  public var name: String { "beach" }
  public var address: String { "\(host):\(port)" }

  public func connect(on loop: any EventLoop) async throws -> any LoadConnection {
    BeachConnection(try await Client.connect(host: host, port: port, budget: budget, group: loop))
  }
}

/// A `Client` as a load connection: statuses become outcomes.
final class BeachConnection: LoadConnection {
  let client: Client

  init(_ client: Client) { self.client = client }

  func send(_ operation: LoadOperation) -> EventLoopFuture<LoadOutcome> {
    let request: Request
    switch operation {
    case .get(let key): request = .get(key: key)
    case .set(let key, let value): request = .put(key: key, value: value)
    }
    return client.send(request).map { reply in
      switch reply.status {
      case .ok: .done
      case .notFound: .missing
      case .busy: .failed(.busy)
      case .timeout: .failed(.timeout)
      case .shuttingDown: .failed(.closed)
      case .badRequest, .tooLarge, .corruption, .internal: .failed(.error)
      }
    }.recover { _ in .failed(.closed) }
  }

  func close() async { await client.close() }
}
