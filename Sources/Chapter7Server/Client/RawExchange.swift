import Chapter1WAL
import NIOCore
import NIOPosix

/// Sends bytes that need not be a well-formed frame, on a connection of
/// their own, and reports what the server did: the frames it answered with,
/// and whether it closed the connection. The shell's `frame` command uses
/// it to show the server refusing bad input.
public enum RawExchange {
  public struct Outcome: Sendable {
    /// The frames the server sent back, decoded.
    public var frames: [Frame]
    /// Bytes after the last whole frame (none from a healthy server).
    public var leftover: Int
    /// Whether the server closed the connection.
    public var closed: Bool
  }

  /// Connects, sends `bytes`, and collects replies until the server closes
  /// the connection or sends nothing for `quiet`.
  public static func send(
    _ bytes: Bytes, host: String, port: Int, quiet: Duration = .milliseconds(300),
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) async throws -> Outcome {
    let collector = Collector()
    let channel = try await ClientBootstrap(group: group)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
      }
      .connect(host: host, port: port).get()
    try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    let clock = ContinuousClock()
    var lastCount = -1
    var quietSince = clock.now
    while !collector.isClosed {
      let count = collector.count
      if count != lastCount {
        lastCount = count
        quietSince = clock.now
      } else if clock.now - quietSince >= quiet {
        break
      }
      try await Task.sleep(for: .milliseconds(10))
    }
    let closed = collector.isClosed
    try? await channel.close()
    var received = collector.bytes[...]
    var frames: [Frame] = []
    while let (frame, size) = try? Frame.decode(received) {
      frames.append(frame)
      received = received.dropFirst(size)
    }
    return Outcome(frames: frames, leftover: received.count, closed: closed)
  }

  private final class Collector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    private let state = Locked<(bytes: Bytes, closed: Bool)>(([], false))

    var bytes: Bytes { state.withLock { $0.bytes } }
    var count: Int { state.withLock { $0.bytes.count } }
    var isClosed: Bool { state.withLock { $0.closed } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      var buffer = unwrapInboundIn(data)
      let received = buffer.readBytes(length: buffer.readableBytes) ?? []
      state.withLock { $0.bytes += received }
    }

    func channelInactive(context: ChannelHandlerContext) {
      state.withLock { $0.closed = true }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      context.close(promise: nil)
    }
  }
}
