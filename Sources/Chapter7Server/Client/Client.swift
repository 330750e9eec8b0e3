import Chapter1WAL
import NIOCore
import NIOPosix
import Synchronization

/// A connection to a `beach serve` server.
///
/// One client is one TCP connection, kept open and reused for every
/// request. Requests are pipelined: each gets a request id, many may be in
/// flight at once from many tasks, and each reply finds its caller by id,
/// in whatever order the server finishes them.
public final class Client: Sendable {
  private let channel: any Channel
  private let pending: PendingReplies
  private let nextID = Atomic<UInt32>(0)
  /// The budget sent with each request (`nil`: the server's default).
  public let budget: Duration?

  /// A reply: its status and payload, and the server's trace events for
  /// the request (when tracing is on for this connection).
  public struct Reply: Sendable {
    public var status: Frame.Status
    public var payload: Bytes
    public var events: [TraceEvent]
  }

  /// Connects to `host:port`.
  public static func connect(
    host: String, port: Int, budget: Duration? = nil, maximumFrameSize: Int = Frame.defaultMaximumSize,
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) async throws(ClientError) -> Client {
    let pending = PendingReplies()
    do {
      let channel = try await ClientBootstrap(group: group)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .connectTimeout(.seconds(5))
        .channelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
              ByteToMessageHandler(FrameDecoder(maximumSize: maximumFrameSize)))
            try channel.pipeline.syncOperations.addHandler(ReplyHandler(pending: pending))
          }
        }
        .connect(host: host, port: port).get()
      return Client(channel: channel, pending: pending, budget: budget)
    } catch {
      throw .cannotConnect("\(host):\(port): \(error)")
    }
  }

  private init(channel: any Channel, pending: PendingReplies, budget: Duration?) {
    self.channel = channel
    self.pending = pending
    self.budget = budget
  }

  /// Sends a request and returns a future of its reply (any status).
  /// `flags` may be `Frame.noSync` on a write.
  public func send(_ request: Request, flags: UInt8 = 0) -> EventLoopFuture<Reply> {
    let id = nextID.add(1, ordering: .relaxed).newValue
    let promise = channel.eventLoop.makePromise(of: Reply.self)
    guard pending.add(id, promise) else {
      promise.fail(ClientError.connectionClosed)
      return promise.futureResult
    }
    let budgetMilliseconds =
      budget.map { UInt32(clamping: $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000) }
      ?? 0
    let bytes = request.frame(id: id, budgetMilliseconds: budgetMilliseconds, flags: flags).encoded
    channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).whenFailure { [pending] error in
      pending.fail(id, ClientError.connectionClosed)
    }
    return promise.futureResult
  }

  /// Sends a request and waits for its reply; any status but `ok` (and
  /// `not found` where `allowNotFound`) is thrown as its `ClientError`.
  public func call(_ request: Request, allowNotFound: Bool = false) async throws(ClientError) -> Reply {
    let reply: Reply
    do {
      reply = try await send(request).get()
    } catch let error as ClientError {
      throw error
    } catch {
      throw .connectionClosed
    }
    try reply.check(allowNotFound: allowNotFound)
    return reply
  }

  public func get(_ key: Bytes) async throws(ClientError) -> Bytes? {
    let reply = try await call(.get(key: key), allowNotFound: true)
    return reply.status == .notFound ? nil : reply.payload
  }

  public func put(_ key: Bytes, _ value: Bytes) async throws(ClientError) {
    _ = try await call(.put(key: key, value: value))
  }

  public func delete(_ key: Bytes) async throws(ClientError) { _ = try await call(.delete(key: key)) }

  public func write(_ batch: WriteBatch) async throws(ClientError) { _ = try await call(.batch(batch)) }

  /// One page of keys from `start` up to `end`.
  public func scan(from start: Bytes = [], to end: Bytes? = nil, limit: Int = 100) async throws(ClientError) -> ScanPage
  {
    try Client.page(try await call(.scan(start: start, end: end, limit: limit)))
  }

  public func ping(_ bytes: Bytes = []) async throws(ClientError) -> Bytes { try await call(.ping(bytes)).payload }

  /// The server's metrics, in Prometheus text format.
  public func stats() async throws(ClientError) -> String {
    String(decoding: try await call(.stats).payload, as: UTF8.self)
  }

  /// Turns the server's trace of this connection's requests on or off.
  public func trace(_ level: Tracer.Level) async throws(ClientError) { _ = try await call(.trace(level)) }

  static func page(_ reply: Reply) throws(ClientError) -> ScanPage {
    guard let page = ScanPage(decoding: reply.payload) else { throw .protocolError("a SCAN reply is not a page") }
    return page
  }

  /// Closes the connection; requests still waiting fail with
  /// `connectionClosed`.
  public func close() async {
    try? await channel.close()
  }

  /// Whether the connection is still open.
  public var isOpen: Bool { channel.isActive }
}

extension Client.Reply {
  /// Throws the status as a `ClientError` unless it is `ok`.
  public func check(allowNotFound: Bool = false) throws(ClientError) {
    let message = String(decoding: payload, as: UTF8.self)
    switch status {
    case .ok: return
    case .notFound: if allowNotFound { return } else { throw .notFound }
    case .badRequest: throw .badRequest(message)
    case .tooLarge: throw .tooLarge(message)
    case .busy: throw .busy(message)
    case .timeout: throw .timeout(message)
    case .shuttingDown: throw .shuttingDown(message)
    case .corruption: throw .corruption(message)
    case .internal: throw .internal(message)
    }
  }
}

/// Everything a request can end in besides `ok`: one case per status, and
/// the connection's own failures.
public enum ClientError: Error, Equatable, CustomStringConvertible {
  case notFound
  case badRequest(String)
  case tooLarge(String)
  case busy(String)
  case timeout(String)
  case shuttingDown(String)
  case corruption(String)
  case `internal`(String)
  case cannotConnect(String)
  case connectionClosed
  case protocolError(String)

  public var description: String {
    switch self {
    case .notFound: "not found"
    case .badRequest(let m): "bad request: \(m)"
    case .tooLarge(let m): "too large: \(m)"
    case .busy(let m): "server busy: \(m)"
    case .timeout(let m): "timeout: \(m)"
    case .shuttingDown(let m): "server shutting down: \(m)"
    case .corruption(let m): "corruption on the server: \(m)"
    case .internal(let m): "server error: \(m)"
    case .cannotConnect(let m): "cannot connect to \(m)"
    case .connectionClosed: "the connection closed before the reply came"
    case .protocolError(let m): "protocol error: \(m)"
    }
  }
}

/// The requests waiting for replies, by id.
final class PendingReplies: Sendable {
  private struct Waiting {
    var promise: EventLoopPromise<Client.Reply>
    var events: [TraceEvent] = []
  }
  private let state = Locked<(waiting: [UInt32: Waiting], closed: Bool)>(([:], false))

  func add(_ id: UInt32, _ promise: EventLoopPromise<Client.Reply>) -> Bool {
    state.withLock { state in
      guard !state.closed else { return false }
      state.waiting[id] = Waiting(promise: promise)
      return true
    }
  }

  func event(_ id: UInt32, _ event: TraceEvent) {
    state.withLock { $0.waiting[id]?.events.append(event) }
  }

  func reply(_ frame: Frame) {
    guard let waiting = state.withLock({ $0.waiting.removeValue(forKey: frame.requestID) }) else { return }
    waiting.promise.succeed(Client.Reply(status: frame.status, payload: frame.payload, events: waiting.events))
  }

  func fail(_ id: UInt32, _ error: ClientError) {
    state.withLock { $0.waiting.removeValue(forKey: id) }?.promise.fail(error)
  }

  /// The connection is gone, or the server said it is closing it: every
  /// waiting request fails with `error`.
  func failAll(_ error: ClientError) {
    let all = state.withLock { state in
      state.closed = true
      defer { state.waiting.removeAll() }
      return Array(state.waiting.values)
    }
    for waiting in all { waiting.promise.fail(error) }
  }
}

/// Hands each frame from the server to the request it answers.
final class ReplyHandler: ChannelInboundHandler {
  typealias InboundIn = Frame
  private let pending: PendingReplies

  init(pending: PendingReplies) { self.pending = pending }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let frame = unwrapInboundIn(data)
    switch frame.kind {
    case .traceEvent:
      if let event = TraceEvent(decoding: frame.payload) { pending.event(frame.requestID, event) }
    case .reply where frame.requestID == 0:
      // The server's answer to a frame it could not read: it closes next.
      pending.failAll(.protocolError("\(frame.status): " + String(decoding: frame.payload, as: UTF8.self)))
    case .reply: pending.reply(frame)
    default:
      pending.failAll(.protocolError("the server sent a \(frame.kind) frame"))
      context.close(promise: nil)
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    pending.failAll(.connectionClosed)
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    // Bytes that are not frames are the server's fault; a socket error (a
    // reset when the server dies) is the connection going away.
    pending.failAll(error is Frame.DecodingError ? .protocolError("\(error)") : .connectionClosed)
    context.close(promise: nil)
  }
}
