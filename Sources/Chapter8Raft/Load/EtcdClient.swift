import Chapter1WAL
import Chapter7Server
import NIOCore
import NIOHTTP1
import NIOPosix

/// A connection to one etcd member's JSON gateway (see `EtcdGateway`),
/// over HTTP/1.1 with keep-alive: the load generator's way to drive etcd
/// with the same schedule it drives `beach serve` and `redis-server` with.
///
/// Like `RedisClient`, one connection carries many calls at once: HTTP/1.1
/// pipelining, replies in the order the requests went out, so the handler
/// keeps the waiting calls in a queue. Go's HTTP server (etcd's) reads a
/// pipelined request only once it has answered the one before, so on one
/// connection the calls queue rather than overlap: concurrency against
/// etcd is the number of connections, and a call's latency includes its
/// wait behind the calls sent before it on its connection (which the open
/// loop's corrected latency counts anyway).
public final class EtcdClient: Sendable {
  private let channel: any Channel

  /// Why an etcd connection failed.
  public enum Failure: Error, Equatable, CustomStringConvertible {
    case cannotConnect(String)
    /// The connection closed (or was closed after a reply that made no
    /// sense) before the reply came.
    case connectionClosed
    /// etcd answered, but not with success.
    case refused(EtcdGateway.Failure)
    /// A success of the wrong kind (a put answered with a value).
    case unexpectedReply(String)

    public var description: String {
      switch self {
      case .cannotConnect(let m): "cannot connect to \(m)"
      case .connectionClosed: "the connection closed before the reply came"
      case .refused(let failure): "etcd refused: \(failure)"
      case .unexpectedReply(let m): "unexpected reply: \(m)"
      }
    }
  }

  /// Connects to the member whose client URL is `http://host:port`.
  public static func connect(
    host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) async throws(Failure) -> EtcdClient {
    let authority = "\(host):\(port)"
    do {
      let channel = try await ClientBootstrap(group: group)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .connectTimeout(.seconds(5))
        .channelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            try channel.pipeline.syncOperations.addHandler(EtcdPipelineHandler(authority: authority))
          }
        }
        .connect(host: host, port: port).get()
      return EtcdClient(channel: channel)
    } catch {
      throw .cannotConnect("\(authority): \(error)")
    }
  }

  private init(channel: any Channel) { self.channel = channel }

  /// Sends one call and returns a future of its reply. A refusal is a value
  /// (`.failed`), not a failed future; the future fails only when the
  /// connection does.
  public func send(_ request: EtcdGateway.Request) -> EventLoopFuture<EtcdGateway.Reply> {
    let promise = channel.eventLoop.makePromise(of: EtcdGateway.Reply.self)
    channel.writeAndFlush(EtcdCall(request: request, reply: promise)).whenFailure { _ in
      promise.fail(Failure.connectionClosed)
    }
    return promise.futureResult
  }

  /// Puts `value` under `key`, and returns once etcd has committed it.
  public func put(_ key: Bytes, _ value: Bytes) async throws(Failure) {
    let reply = try await call(.put(key: key, value: value))
    guard reply == .stored else { throw .unexpectedReply("put answered \(reply)") }
  }

  /// The value under `key`, or `nil`; a linearizable read unless
  /// `serializable`.
  public func get(_ key: Bytes, serializable: Bool = false) async throws(Failure) -> Bytes? {
    switch try await call(.range(key: key, serializable: serializable)) {
    case .value(let value): return value
    case let other: throw .unexpectedReply("range answered \(other)")
    }
  }

  private func call(_ request: EtcdGateway.Request) async throws(Failure) -> EtcdGateway.Reply {
    let reply: EtcdGateway.Reply
    do {
      reply = try await send(request).get()
    } catch {
      throw .connectionClosed
    }
    if case .failed(let failure) = reply { throw .refused(failure) }
    return reply
  }

  public func close() async { try? await channel.close() }
}

/// A call on its way out, with the promise its reply completes.
struct EtcdCall {
  var request: EtcdGateway.Request
  var reply: EtcdGateway.Promise
}

extension EtcdGateway {
  typealias Promise = EventLoopPromise<EtcdGateway.Reply>
}

/// Writes calls as HTTP requests and hands each response, once whole, to
/// the oldest call waiting.
///
/// The queue and the response being read are touched only on the
/// channel's event loop (NIO calls a handler nowhere else), so they need
/// no lock.
final class EtcdPipelineHandler: ChannelDuplexHandler {
  typealias InboundIn = HTTPClientResponsePart
  typealias OutboundIn = EtcdCall
  typealias OutboundOut = HTTPClientRequestPart

  /// The `Host` header: Go's server refuses HTTP/1.1 requests without one.
  private let authority: String
  private var waiting = CircularBuffer<(request: EtcdGateway.Request, reply: EtcdGateway.Promise)>()
  /// The response being read: its status, and its body so far.
  private var status: Int?
  private var body = Bytes()

  init(authority: String) { self.authority = authority }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    let call = unwrapOutboundIn(data)
    let body = call.request.body
    var headers = HTTPHeaders()
    headers.add(name: "Host", value: authority)
    headers.add(name: "Content-Type", value: "application/json")
    headers.add(name: "Content-Length", value: String(body.count))
    waiting.append((call.request, call.reply))
    let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: call.request.path, headers: headers)
    context.write(wrapOutboundOut(.head(head)), promise: nil)
    context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
    context.write(wrapOutboundOut(.end(nil)), promise: promise)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      status = Int(head.status.code)
      body.removeAll(keepingCapacity: true)
    case .body(let buffer):
      body.append(contentsOf: buffer.readableBytesView)
    case .end:
      guard let status, let call = waiting.popFirst() else {
        // A response nobody asked for: the stream and the queue disagree.
        failAll(context: context)
        return
      }
      self.status = nil
      call.reply.succeed(EtcdGateway.reply(to: call.request, status: status, body: body))
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    failAll(context: context)
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    failAll(context: context)
  }

  /// Fails every waiting call and closes: after bad bytes or a closed
  /// socket, no later response can be matched to its call.
  private func failAll(context: ChannelHandlerContext) {
    while let call = waiting.popFirst() { call.reply.fail(EtcdClient.Failure.connectionClosed) }
    context.close(promise: nil)
  }
}

/// An etcd member, through `EtcdClient`: the load's SETs as puts, its GETs
/// as ranges of one key (linearizable, or serializable).
public struct EtcdTarget: LoadTarget {
  public let host: String
  public let port: Int
  /// GETs read without Raft's read index (`"serializable":true`).
  public var serializable: Bool

  public init(host: String, port: Int, serializable: Bool = false) {
    self.host = host
    self.port = port
    self.serializable = serializable
  }

  public var name: String { serializable ? "etcd-serializable" : "etcd" }
  public var address: String { "\(host):\(port)" }

  public func connect(on loop: any EventLoop) async throws -> any LoadConnection {
    EtcdConnection(try await EtcdClient.connect(host: host, port: port, group: loop), serializable: serializable)
  }
}

extension LoadTargetKind {
  /// `beach load --target etcd:HOST:PORT`: an etcd member's JSON gateway,
  /// GETs as linearizable ranges.
  public static let etcd = LoadTargetKind(name: "etcd", summary: "etcd v3's JSON gateway") { host, port, _ in
    EtcdTarget(host: host, port: port)
  }

  /// `beach load --target etcd-serializable:HOST:PORT`: the same, GETs as
  /// serializable ranges (the member's own applied state, no read index).
  public static let etcdSerializable = LoadTargetKind(
    name: "etcd-serializable", summary: "the same, serializable reads"
  ) { host, port, _ in
    EtcdTarget(host: host, port: port, serializable: true)
  }
}

/// An `EtcdClient` as a load connection: replies become outcomes.
final class EtcdConnection: LoadConnection {
  let client: EtcdClient
  let serializable: Bool

  init(_ client: EtcdClient, serializable: Bool) {
    self.client = client
    self.serializable = serializable
  }

  func send(_ operation: LoadOperation) -> EventLoopFuture<LoadOutcome> {
    let request: EtcdGateway.Request
    switch operation {
    case .get(let key): request = .range(key: key, serializable: serializable)
    case .set(let key, let value): request = .put(key: key, value: value)
    }
    return client.send(request).map { reply in
      switch reply {
      case .stored, .value(.some): .done
      case .value(nil): .missing
      case .failed(let failure) where failure.isBusy: .failed(.busy)
      case .failed(let failure) where failure.isTimeout: .failed(.timeout)
      case .failed: .failed(.error)
      }
    }.recover { _ in .failed(.closed) }
  }

  func close() async { await client.close() }
}
