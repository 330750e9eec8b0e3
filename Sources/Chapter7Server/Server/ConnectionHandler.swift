import Chapter1WAL
import Logging
import NIOCore
import NIOPosix

/// One connection's requests: limits, deadlines, backpressure, replies.
///
/// It runs on the connection's event loop and never blocks: engine calls go
/// to the server's thread pool, and their results come back to the loop.
/// It is a duplex handler so that it can hold back `read()`: NIO reads a
/// socket only when a `read` travels down the pipeline, so not passing one
/// on is how the server stops reading a client (and TCP's window then stops
/// the client from sending).
final class ConnectionHandler: ChannelDuplexHandler {
  typealias InboundIn = Frame
  typealias OutboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  private let server: Server
  private let id: Int
  private var logger: Logger
  /// Requests running on the pool for this connection.
  private var running = 0
  /// Frames read but not yet started (one socket read may hold many).
  private var waiting: [Frame] = []
  private var waitingStart = 0
  /// A `read` held back while the connection is paused.
  private var readHeld = false
  private var writable = true
  private var lastActivity = NIODeadline.now()
  private var traceLevel = Tracer.Level.off
  private var idleCheck: Scheduled<Void>?
  private var nextKey: UInt64 = 0
  /// Requests started and not yet answered, by the server's own key (a
  /// client may reuse request ids); each holds its deadline's timer.
  private var unanswered: [UInt64: Scheduled<Void>] = [:]
  private var closed = false

  init(server: Server, id: Int) {
    self.server = server
    self.id = id
    self.logger = server.logger
    logger[metadataKey: "connection"] = "\(id)"
  }

  // MARK: Lifecycle

  func channelActive(context: ChannelHandlerContext) {
    logger[metadataKey: "peer"] = "\(context.remoteAddress.map { "\($0)" } ?? "?")"
    logger.debug("connected")
    lastActivity = .now()
    scheduleIdleCheck(context: context)
    context.fireChannelActive()
  }

  func channelInactive(context: ChannelHandlerContext) {
    closed = true
    idleCheck?.cancel()
    for timer in unanswered.values { timer.cancel() }
    if traceLevel != .off { server.tracingChanged(by: -1) }
    traceLevel = .off
    logger.debug("disconnected", metadata: ["unanswered": "\(unanswered.count)"])
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    if let error = error as? Frame.DecodingError {
      // The framing is lost: say why, then close.
      let status: Frame.Status
      if case .tooLarge = error { status = .tooLarge } else { status = .badRequest }
      logger.notice("closing: bad frame", metadata: ["error": "\(error)"])
      reply(context: context, to: 0, status: status, payload: Array("\(error)".utf8))
      context.flush()
      context.close(promise: nil)
      return
    }
    logger.debug("connection error", metadata: ["error": "\(error)"])
    context.close(promise: nil)
  }

  // MARK: Idle timeout

  private func scheduleIdleCheck(context: ChannelHandlerContext) {
    let timeout = TimeAmount(server.options.idleTimeout)
    let every = TimeAmount.nanoseconds(max(min(timeout.nanoseconds / 4, 1_000_000_000), 10_000_000))
    idleCheck = context.eventLoop.assumeIsolated().scheduleTask(in: every) { [self] in
      guard !closed else { return }
      if running == 0 && waiting.count == waitingStart && NIODeadline.now() - lastActivity >= timeout {
        logger.info("closing idle connection", metadata: ["idle": "\(server.options.idleTimeout)"])
        context.close(promise: nil)
        return
      }
      scheduleIdleCheck(context: context)
    }
  }

  // MARK: Reading, and not reading

  // snippet: not-reading
  /// Reading goes on while the client reads its replies and this
  /// connection has room for more requests.
  private var mayRead: Bool {
    writable && waiting.count == waitingStart && running < server.options.maximumInFlightPerConnection
  }

  func read(context: ChannelHandlerContext) {
    if mayRead {
      context.read()
    } else {
      if !readHeld { server.metrics.paused.increment() }
      readHeld = true
    }
  }

  private func resumeReading(context: ChannelHandlerContext) {
    if readHeld && mayRead {
      readHeld = false
      context.read()
    }
  }

  func channelWritabilityChanged(context: ChannelHandlerContext) {
    writable = context.channel.isWritable
    if !writable { logger.debug("client is not reading its replies: pausing reads") }
    resumeReading(context: context)
    context.fireChannelWritabilityChanged()
  }
  // end snippet

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let frame = unwrapInboundIn(data)
    lastActivity = .now()
    server.metrics.bytesIn.increment(by: Int64(Frame.headerSize + frame.payload.count))
    waiting.append(frame)
    startWaiting(context: context)
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    context.flush()  // the replies answered on the loop (PING, TRACE, busy, bad request)
    context.fireChannelReadComplete()
  }

  private func startWaiting(context: ChannelHandlerContext) {
    while waitingStart < waiting.count && running < server.options.maximumInFlightPerConnection {
      let frame = waiting[waitingStart]
      waitingStart += 1
      start(frame, context: context)
    }
    if waitingStart == waiting.count {
      waiting.removeAll(keepingCapacity: true)
      waitingStart = 0
    }
  }

  // MARK: Running a request

  private func start(_ frame: Frame, context: ChannelHandlerContext) {
    guard frame.kind.isRequest else {
      reply(
        context: context, to: frame.requestID, status: .badRequest, payload: Array("a client sends requests only".utf8))
      return
    }
    server.metrics.requests[frame.kind]?.increment()
    let request: Request
    do {
      request = try Request(frame)
    } catch {
      reply(context: context, to: frame.requestID, status: .badRequest, payload: Array(error.description.utf8))
      return
    }
    guard !server.isDraining else {
      reply(context: context, to: frame.requestID, status: .shuttingDown, payload: Array("the server is stopping".utf8))
      return
    }
    switch request {
    case .trace(let level):
      // The connection's own setting: no engine call.
      if (traceLevel == .off) != (level == .off) { server.tracingChanged(by: level == .off ? -1 : 1) }
      traceLevel = level
      reply(context: context, to: frame.requestID, status: .ok)
      return
    case .ping(let bytes):
      reply(context: context, to: frame.requestID, status: .ok, payload: bytes)
      return
    default: break
    }
    // snippet: admission-and-deadline
    guard server.admit() else {
      reply(
        context: context, to: frame.requestID, status: .busy,
        payload: Array("\(server.options.admissionLimit) requests are running: try again".utf8))
      return
    }
    running += 1
    let started = NIODeadline.now()
    let budget: TimeAmount =
      frame.budgetMilliseconds > 0
      ? .milliseconds(Int64(frame.budgetMilliseconds)) : TimeAmount(server.options.defaultBudget)
    let deadline = started + budget
    nextKey += 1
    let key = nextKey
    let requestID = frame.requestID
    let isWrite = request.isWrite
    unanswered[key] = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
      // Still running at its deadline: answer now; the result, when it
      // comes, is dropped.
      guard unanswered.removeValue(forKey: key) != nil, !closed else { return }
      let message =
        "the deadline of \(budget.nanoseconds / 1_000_000) ms passed"
        + (isWrite ? "; the write may have been applied" : "")
      reply(context: context, to: requestID, status: .timeout, payload: Array(message.utf8))
      context.flush()
    }
    // end snippet
    let trace: RequestTrace? = traceLevel == .off ? nil : RequestTrace()
    trace?.append(
      TraceEvent(
        component: .server, action: "recv", subject: describe(request),
        details: "id \(requestID), \(Frame.headerSize + frame.payload.count) bytes"
          + (frame.flags & Frame.noSync != 0 ? ", no sync" : ""),
        why: "a request frame arrived; an engine thread runs it, never the event loop"))
    let server = self.server
    // snippet: off-the-loop
    // A synced write waits for fdatasync, and many must wait together to
    // share one: each gets a thread. Everything else is quick, and goes
    // with the others of this round of the loop in one handoff.
    let syncs = isWrite && server.options.sync && frame.flags & Frame.noSync == 0
    let work: @Sendable () -> LoopHandoff.Outcome = {
      server.execute(request, flags: frame.flags, deadline: deadline, trace: trace)
    }
    let outcome: EventLoopFuture<LoopHandoff.Outcome>
    if case .extension(let code, let body) = request {
      // The engine's own: it answers on the loop, later if it must.
      outcome = server.engine.handleExtension(code: code, body: body, on: context.eventLoop)
        .hop(to: context.eventLoop)
    } else {
      outcome =
        syncs
        ? server.pool.runIfActive(eventLoop: context.eventLoop, work)
        : server.handoffs[ObjectIdentifier(context.eventLoop)]!.run(work)
    }
    outcome.assumeIsolated().whenComplete { [self] result in
      // end snippet
      server.release()
      running -= 1
      let (status, payload): (Frame.Status, Bytes)
      switch result {
      case .success(let outcome): (status, payload) = outcome
      case .failure: (status, payload) = (.shuttingDown, Array("the server is stopping".utf8))
      }
      server.metrics.latency[frame.kind]?.recordNanoseconds((NIODeadline.now() - started).nanoseconds)
      if let timer = unanswered.removeValue(forKey: key), !closed {
        timer.cancel()
        for event in trace?.collected ?? [] {
          write(context: context, Frame(kind: .traceEvent, requestID: requestID, payload: event.encoded))
        }
        if trace != nil {
          let event = TraceEvent(
            component: .server, action: "reply", subject: "\(status)",
            details: "id \(requestID), \(Frame.headerSize + payload.count) bytes",
            why: "the reply leaves once the engine call is done (for a write: once it is durable)")
          write(context: context, Frame(kind: .traceEvent, requestID: requestID, payload: event.encoded))
        }
        reply(context: context, to: requestID, status: status, payload: payload)
      }
      lastActivity = .now()
      startWaiting(context: context)
      // One flush for this reply and any answered on the loop just now
      // (a waiting frame refused busy, say), which no read will flush.
      context.flush()
      resumeReading(context: context)
    }
  }

  private func describe(_ request: Request) -> String {
    func text(_ bytes: Bytes) -> String { Format.printable(bytes) }
    switch request {
    case .get(let key): return "GET \(text(key))"
    case .put(let key, let value): return "PUT \(text(key)) (\(value.count)-byte value)"
    case .delete(let key): return "DELETE \(text(key))"
    case .batch(let batch): return "BATCH of \(batch.count)"
    case .scan(let start, let end, let limit):
      return "SCAN \(text(start))..\(end.map(text) ?? "end") limit \(limit)"
    case .ping: return "PING"
    case .stats: return "STATS"
    case .trace(let level): return "TRACE \(level)"
    case .extension(let code, let body): return "EXTENSION \(code) (\(body.count) bytes)"
    }
  }

  // MARK: Writing

  private func reply(context: ChannelHandlerContext, to requestID: UInt32, status: Frame.Status, payload: Bytes = []) {
    server.metrics.replies[status]?.increment()
    write(context: context, Frame(kind: .reply, status: status, requestID: requestID, payload: payload))
  }

  private func write(context: ChannelHandlerContext, _ frame: Frame) {
    var bytes = Bytes()
    frame.encode(into: &bytes)
    server.metrics.bytesOut.increment(by: Int64(bytes.count))
    context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
  }
}

extension TimeAmount {
  init(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
  }
}
