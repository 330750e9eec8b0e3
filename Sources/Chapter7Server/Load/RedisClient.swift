import Chapter1WAL
import NIOCore
import NIOPosix

/// A connection to a Redis server, speaking RESP2 (see RESP.swift).
///
/// Like `Client`, one connection carries many requests at once
/// (pipelining). RESP has no request ids: replies come back in the order
/// the commands went out, so the pipeline's handler keeps the waiting
/// promises in a queue, appended as each command is written and taken from
/// the front as each reply is read.
public final class RedisClient: Sendable {
  private let channel: any Channel

  /// Why a Redis connection failed.
  public enum Failure: Error, Equatable, CustomStringConvertible {
    case cannotConnect(String)
    /// The connection closed (or was closed after bad bytes) before the reply.
    case connectionClosed
    /// The server answered with an error, or with a reply of the wrong type.
    case unexpectedReply(String)

    public var description: String {
      switch self {
      case .cannotConnect(let m): "cannot connect to \(m)"
      case .connectionClosed: "the connection closed before the reply came"
      case .unexpectedReply(let m): "unexpected reply: \(m)"
      }
    }
  }

  /// Connects to `host:port`.
  public static func connect(
    host: String, port: Int, limits: RESP.Limits = .init(),
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) async throws(Failure) -> RedisClient {
    do {
      let channel = try await ClientBootstrap(group: group)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .connectTimeout(.seconds(5))
        .channelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPValueDecoder(limits: limits)))
            try channel.pipeline.syncOperations.addHandler(RESPPipelineHandler())
          }
        }
        .connect(host: host, port: port).get()
      return RedisClient(channel: channel)
    } catch {
      throw .cannotConnect("\(host):\(port): \(error)")
    }
  }

  private init(channel: any Channel) { self.channel = channel }

  /// Sends one command (`["GET", key]`) and returns a future of its reply.
  /// An error reply is a value (`.error`), not a failed future; the future
  /// fails only when the connection does.
  public func send(_ arguments: [Bytes]) -> EventLoopFuture<RESPValue> {
    let promise = channel.eventLoop.makePromise(of: RESPValue.self)
    channel.writeAndFlush(RESPCommand(arguments: arguments, reply: promise)).whenFailure { _ in
      promise.fail(Failure.connectionClosed)
    }
    return promise.futureResult
  }

  /// GET: the key's value, or `nil`.
  public func get(_ key: Bytes) async throws(Failure) -> Bytes? {
    switch try await call([Array("GET".utf8), key]) {
    case .bulkString(let value): return value
    case let other: throw .unexpectedReply("GET answered \(other)")
    }
  }

  /// SET.
  public func set(_ key: Bytes, _ value: Bytes) async throws(Failure) {
    let reply = try await call([Array("SET".utf8), key, value])
    guard reply == .simpleString(Array("OK".utf8)) else { throw .unexpectedReply("SET answered \(reply)") }
  }

  private func call(_ arguments: [Bytes]) async throws(Failure) -> RESPValue {
    let reply: RESPValue
    do {
      reply = try await send(arguments).get()
    } catch {
      throw .connectionClosed
    }
    if case .error(let message) = reply { throw .unexpectedReply(message) }
    return reply
  }

  public func close() async { try? await channel.close() }
}

/// A command on its way out, with the promise its reply completes.
struct RESPCommand {
  var arguments: [Bytes]
  var reply: EventLoopPromise<RESPValue>
}

/// Cuts the bytes from the server into RESP values.
struct RESPValueDecoder: ByteToMessageDecoder {
  typealias InboundOut = RESPValue
  let limits: RESP.Limits

  mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
    guard let (value, size) = try RESP.decode(buffer.readableBytesView, limits: limits) else { return .needMoreData }
    buffer.moveReaderIndex(forwardBy: size)
    context.fireChannelRead(wrapInboundOut(value))
    return .continue
  }

  mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
    -> DecodingState
  {
    while try decode(context: context, buffer: &buffer) == .continue {}
    return .needMoreData
  }
}

/// Writes commands and hands each reply to the oldest command waiting.
///
/// The queue is touched only on the channel's event loop (NIO calls a
/// handler nowhere else), so it needs no lock.
final class RESPPipelineHandler: ChannelDuplexHandler {
  typealias InboundIn = RESPValue
  typealias OutboundIn = RESPCommand
  typealias OutboundOut = ByteBuffer

  private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
  private var scratch = Bytes()

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    let command = unwrapOutboundIn(data)
    scratch.removeAll(keepingCapacity: true)
    RESP.encodeCommand(command.arguments, into: &scratch)
    waiting.append(command.reply)
    context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: scratch)), promise: promise)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    guard let promise = waiting.popFirst() else {
      // A reply nobody asked for: the stream and the queue disagree.
      failAll(context: context)
      return
    }
    promise.succeed(unwrapInboundIn(data))
  }

  func channelInactive(context: ChannelHandlerContext) {
    failAll(context: context)
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    failAll(context: context)
  }

  /// Fails every waiting command and closes: after a bad byte or a
  /// closed socket, no later reply can be matched to its command.
  private func failAll(context: ChannelHandlerContext) {
    while let promise = waiting.popFirst() { promise.fail(RedisClient.Failure.connectionClosed) }
    context.close(promise: nil)
  }
}

/// `redis-server`, through `RedisClient`: the same GETs and SETs in RESP.
public struct RedisTarget: LoadTarget {
  public let host: String
  public let port: Int

  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  public var name: String { "redis" }
  public var address: String { "\(host):\(port)" }

  public func connect(on loop: any EventLoop) async throws -> any LoadConnection {
    RedisConnection(try await RedisClient.connect(host: host, port: port, group: loop))
  }
}

/// A `RedisClient` as a load connection: replies become outcomes.
final class RedisConnection: LoadConnection {
  let client: RedisClient
  private static let get = Array("GET".utf8)
  private static let set = Array("SET".utf8)

  init(_ client: RedisClient) { self.client = client }

  func send(_ operation: LoadOperation) -> EventLoopFuture<LoadOutcome> {
    let arguments: [Bytes]
    switch operation {
    case .get(let key): arguments = [RedisConnection.get, key]
    case .set(let key, let value): arguments = [RedisConnection.set, key, value]
    }
    return client.send(arguments).map { reply in
      switch reply {
      case .bulkString(nil): return .missing
      case .bulkString, .simpleString: return .done
      case .error(let message) where message.hasPrefix("BUSY") || message.hasPrefix("LOADING"): return .failed(.busy)
      case .error, .integer, .array: return .failed(.error)
      }
    }.recover { _ in .failed(.closed) }
  }

  func close() async { await client.close() }
}
