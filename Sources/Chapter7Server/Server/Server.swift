import Chapter1WAL
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The database on the network: chapter 6's engine behind chapter 7's
/// frames, on SwiftNIO.
///
/// The shape, front to back:
///
/// - **Event loops** (`eventLoopThreads` of them) own the sockets. Each
///   connection's pipeline is a `FrameDecoder`, which cuts the byte stream
///   into frames and refuses an oversized length before buffering it, then
///   a `ConnectionHandler`, which enforces the limits and writes replies.
///   Nothing on an event loop may block: a loop serves many connections,
///   and one `fdatasync` there would stall them all.
/// - **Engine threads** run every engine call: synced writes on a pool of
///   `engineThreads` (writes that arrive together from different
///   connections meet in chapter 1's commit queue and share one fsync:
///   group commit), everything else on a smaller one of `readThreads`.
/// - **Limits**: per connection, in-flight requests past which the server
///   stops reading that socket; globally, an admission limit past which it
///   answers `busy`; per request, a deadline; per connection, an idle
///   timeout; and outbound watermarks, past which a client that does not
///   read its replies stops being read from.
public final class Server: Sendable {
  public let options: ServerOptions
  public let metrics = ServerMetrics()
  let engine: any ServerEngine
  let logger: Logger
  let group: MultiThreadedEventLoopGroup
  let pool: NIOThreadPool
  let readPool: NIOThreadPool
  /// Each event loop's handoff to `readPool`.
  let handoffs: [ObjectIdentifier: LoopHandoff]
  /// The engine's tracer: events emitted on an engine thread go to the
  /// request that thread is running, and back to its client.
  let tracer: Tracer?
  let syncCounter: SyncCountingFileSystem?
  let running = Atomic<Int>(0)
  private let state = Locked(State())
  static let current = ThreadSpecificVariable<RequestTrace>()

  struct State {
    var listener: (any Channel)?
    var metricsListener: (any Channel)?
    var connections: [ObjectIdentifier: any Channel] = [:]
    var nextConnection = 0
    var draining = false
    var tracingConnections = 0
  }

  /// Starts a server on `engine` and returns once it is listening.
  ///
  /// - Parameters:
  ///   - tracer: the tracer `engine` was opened with; the server points its
  ///     sink at the requests of the connections that turned tracing on.
  ///   - untracedEvents: where the tracer's events from outside any request
  ///     go (a flush in the background, a command run beside the server).
  ///     Without it they are dropped, and the server runs the tracer only
  ///     while some connection wants its events; with it, the tracer stays
  ///     at `explain` and the sink it feeds does the filtering.
  ///   - syncCounter: the file system `engine` was opened on, if it counts
  ///     log syncs (STATS then reports them).
  public static func start(
    engine: any ServerEngine, options: ServerOptions = .init(), tracer: Tracer? = nil,
    untracedEvents: (@Sendable (TraceEvent) -> Void)? = nil, syncCounter: SyncCountingFileSystem? = nil,
    logging: ServerLogging = .quiet
  ) async throws -> Server {
    let logger = logging.logger
    let server = Server(
      engine: engine, options: options, tracer: tracer, untracedEvents: untracedEvents, syncCounter: syncCounter,
      logger: logger)
    do {
      try await server.bind()
    } catch {
      try? await server.pool.shutdownGracefully()
      try? await server.readPool.shutdownGracefully()
      try? await server.group.shutdownGracefully()
      throw error
    }
    return server
  }

  private init(
    engine: any ServerEngine, options: ServerOptions, tracer: Tracer?,
    untracedEvents: (@Sendable (TraceEvent) -> Void)?, syncCounter: SyncCountingFileSystem?, logger: Logger
  ) {
    self.engine = engine
    self.options = options
    self.tracer = tracer
    self.syncCounter = syncCounter
    self.logger = logger
    self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.eventLoopThreads))
    self.pool = NIOThreadPool(numberOfThreads: max(1, options.engineThreads))
    pool.start()
    self.readPool = NIOThreadPool(numberOfThreads: max(1, options.readThreads))
    readPool.start()
    var handoffs: [ObjectIdentifier: LoopHandoff] = [:]
    for loop in group.makeIterator() {
      handoffs[ObjectIdentifier(loop)] = LoopHandoff(loop: loop, pool: readPool)
    }
    self.handoffs = handoffs
    self.ownsTraceLevel = untracedEvents == nil
    tracer?.level = untracedEvents == nil ? .off : .explain
    tracer?.setSink { event in
      if let trace = Server.current.currentValue { trace.append(event) } else { untracedEvents?(event) }
    }
  }

  /// Whether the server turns the tracer on and off (see `start`).
  private let ownsTraceLevel: Bool

  private func bind() async throws {
    let options = self.options
    // snippet: bootstrap
    let bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 512)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
      .childChannelOption(
        .writeBufferWaterMark,
        value: .init(low: options.writeBufferLowWatermark, high: options.writeBufferHighWatermark)
      )
      .childChannelInitializer { [self] channel in
        channel.eventLoop.makeCompletedFuture {
          let id = self.register(channel)
          try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(FrameDecoder(maximumSize: options.maximumFrameSize)))
          try channel.pipeline.syncOperations.addHandler(ConnectionHandler(server: self, id: id))
        }
      }
    let listener = try await bootstrap.bind(host: options.host, port: options.port).get()
    // end snippet
    state.withLock { $0.listener = listener }
    logger.info("listening", metadata: ["address": "\(options.host):\(port)"])
    if let metricsPort = options.metricsPort {
      let metrics = try await ServerBootstrap(group: group)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { [self] channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(MetricsHandler { [self] in statsText })
          }
        }
        .bind(host: options.host, port: metricsPort).get()
      state.withLock { $0.metricsListener = metrics }
      logger.info("metrics", metadata: ["url": "http://\(options.host):\(self.metricsPort)/metrics"])
    }
  }

  /// The port of the HTTP `/metrics` endpoint (0 when there is none).
  public var metricsPort: Int { state.withLock { $0.metricsListener?.localAddress?.port } ?? 0 }

  /// The port the server listens on.
  public var port: Int { state.withLock { $0.listener?.localAddress?.port } ?? 0 }

  /// Connections open now.
  public var connectionCount: Int { state.withLock { $0.connections.count } }

  /// Requests running now, all connections together.
  public var requestsRunning: Int { running.load(ordering: .relaxed) }

  var isDraining: Bool { state.withLock { $0.draining } }

  private func register(_ channel: any Channel) -> Int {
    let id = state.withLock { state in
      state.connections[ObjectIdentifier(channel)] = channel
      state.nextConnection += 1
      return state.nextConnection
    }
    metrics.accepted.increment()
    metrics.connections.record(connectionCount)
    channel.closeFuture.whenComplete { [self] _ in
      state.withLock { _ = $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
      metrics.connections.record(connectionCount)
    }
    return id
  }

  // snippet: admit
  /// Takes one of the admission limit's places, or says there is none.
  func admit() -> Bool {
    let now = running.add(1, ordering: .relaxed).newValue
    guard now <= options.admissionLimit else {
      running.subtract(1, ordering: .relaxed)
      return false
    }
    metrics.inFlight.record(now)
    return true
  }
  // end snippet

  func release() {
    let now = running.subtract(1, ordering: .relaxed).newValue
    metrics.inFlight.record(now)
  }

  /// A connection turned tracing on or off: the engine's tracer runs while
  /// any connection wants its events.
  func tracingChanged(by delta: Int) {
    let tracing = state.withLock { state in
      state.tracingConnections += delta
      return state.tracingConnections
    }
    if ownsTraceLevel { tracer?.level = tracing > 0 ? .explain : .off }
  }

  /// STATS' text: the metrics, then the engine's log syncs.
  var statsText: String {
    var text = metrics.text
    if let syncCounter {
      text += "# TYPE beach_log_syncs_total counter\nbeach_log_syncs_total \(syncCounter.logSyncs)\n"
    }
    return text
  }

  // MARK: Running a request

  // snippet: execute
  /// Runs one request on an engine thread: the reply's status and payload.
  /// A write syncs when the server's `sync` is on and the frame does not
  /// carry the no-sync flag.
  func execute(_ request: Request, flags: UInt8 = 0, deadline: NIODeadline, trace: RequestTrace?) -> (
    Frame.Status, Bytes
  ) {
    guard NIODeadline.now() < deadline else {
      return (.timeout, Array("the deadline passed before the request began: nothing was done".utf8))
    }
    let sync = options.sync && flags & Frame.noSync == 0
    Server.current.currentValue = trace ?? RequestTrace.discarded
    // end snippet
    defer { Server.current.currentValue = nil }
    do {
      switch request {
      case .get(let key):
        guard let value = try engine.get(key) else { return (.notFound, []) }
        return (.ok, value)
      case .put(let key, let value):
        var batch = WriteBatch()
        batch.put(key, value)
        return (.ok, .sequence(try engine.write(batch, options: WriteOptions(sync: sync))))
      case .delete(let key):
        var batch = WriteBatch()
        batch.delete(key)
        return (.ok, .sequence(try engine.write(batch, options: WriteOptions(sync: sync))))
      case .batch(let batch):
        return (.ok, .sequence(try engine.write(batch, options: WriteOptions(sync: sync))))
      case .scan(let start, let end, let limit):
        return (.ok, try engine.scanPage(from: start, to: end, limit: limit).encoded)
      case .ping(let bytes): return (.ok, bytes)
      case .stats: return (.ok, Array(statsText.utf8))
      case .trace: return (.ok, [])
      case .extension: return (.badRequest, Array("an extension request is the engine's, on the loop".utf8))
      }
    } catch {
      logger.error("engine call failed", metadata: ["op": "\(request.kind)", "error": "\(error)"])
      return (status(for: error), Array("\(error)".utf8))
    }
  }

  // MARK: Stopping

  /// Stops gracefully: stops accepting, answers new requests `shutting
  /// down`, waits up to `shutdownGrace` for running ones to finish and
  /// their replies to be sent, closes the connections, then closes the
  /// engine (which syncs its log). Safe to call more than once.
  // snippet: shutdown
  public func shutdown() async {
    let (listener, metricsListener) = state.withLock { state in
      defer { (state.listener, state.metricsListener) = (nil, nil) }
      state.draining = true
      return (state.listener, state.metricsListener)
    }
    try? await metricsListener?.close()
    guard let listener else { return }
    logger.info("shutting down", metadata: ["running": "\(requestsRunning)", "connections": "\(connectionCount)"])
    try? await listener.close()
    let clock = ContinuousClock()
    let giveUp = clock.now + options.shutdownGrace
    while requestsRunning > 0 && clock.now < giveUp { try? await Task.sleep(for: .milliseconds(5)) }
    // Give the last replies a moment to leave the outbound buffers.
    try? await Task.sleep(for: .milliseconds(20))
    let connections = state.withLock { Array($0.connections.values) }
    for connection in connections { try? await connection.close() }
    try? await pool.shutdownGracefully()
    try? await readPool.shutdownGracefully()
    do {
      try engine.close()
    } catch {
      logger.error("closing the engine failed", metadata: ["error": "\(error)"])
    }
    try? await group.shutdownGracefully()
    tracer?.setSink(nil)
    logger.info("stopped")
  }
  // end snippet
}

/// Where the server's structured log (swift-log) goes.
public enum ServerLogging: Sendable {
  /// Nowhere: a server inside the shell or a test.
  case quiet
  /// Standard error, one line per event, at this level and above.
  case standardError(Logger.Level)

  var logger: Logger {
    switch self {
    case .quiet: return Logger(label: "beach.server") { _ in SwiftLogNoOpLogHandler() }
    case .standardError(let level):
      var logger = Logger(label: "beach.server") { StreamLogHandler.standardError(label: $0) }
      logger.logLevel = level
      return logger
    }
  }

  /// The level named `name` (`trace`, `debug`, `info`, `notice`,
  /// `warning`, `error`, `critical`), for a command-line flag.
  public static func standardError(named name: String) -> ServerLogging? {
    Logger.Level(rawValue: name).map { .standardError($0) }
  }
}

/// The trace events of one request, collected on the engine thread that
/// runs it and sent to the client before the reply.
final class RequestTrace: Sendable {
  private let events = Locked<[TraceEvent]>([])
  private let keeps: Bool

  init(keeps: Bool = true) { self.keeps = keeps }

  /// Where the events of a request whose connection is not tracing go.
  static let discarded = RequestTrace(keeps: false)

  func append(_ event: TraceEvent) {
    if keeps { events.withLock { $0.append(event) } }
  }

  var collected: [TraceEvent] { events.withLock { $0 } }
}

/// Cuts a connection's bytes into frames. The length field is checked
/// against the maximum as soon as its four bytes are in, so a hostile
/// length is refused before the server waits for, or buffers, that much.
struct FrameDecoder: ByteToMessageDecoder {
  typealias InboundOut = Frame
  let maximumSize: Int

  mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
    guard let head = buffer.getBytes(at: buffer.readerIndex, length: min(4, buffer.readableBytes)),
      let size = try Frame.announcedSize(head, maximumSize: maximumSize), buffer.readableBytes >= size,
      let bytes = buffer.readBytes(length: size),
      let (frame, _) = try Frame.decode(bytes[...], maximumSize: maximumSize)
    else { return .needMoreData }
    context.fireChannelRead(wrapInboundOut(frame))
    return .continue
  }

  mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
    -> DecodingState
  {
    while try decode(context: context, buffer: &buffer) == .continue {}
    return .needMoreData  // a partial frame at the end of the stream is dropped with the connection
  }
}
