import Chapter1WAL
import Chapter6Compaction
import Foundation
import NIOCore
import TestSupport
import Testing

@testable import Chapter7Server

#if canImport(Glibc)
  import Glibc
#endif

/// A real server on a loopback port, and real sockets: the limits and
/// refusals that `ConnectionHandler` and `FrameDecoder` promise, seen from
/// the other end of a TCP connection. Every wait has a deadline, and every
/// server is shut down before its test returns.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServerTests {
  /// `GET /metrics` over HTTP: the STATS text for a Prometheus scraper;
  /// other paths and methods are refused, and a head that never ends is
  /// cut off at 8 KiB.
  @Test(.timeLimit(.minutes(1))) func theMetricsEndpointServesPrometheusText() async throws {
    var options = ServerOptions()
    options.metricsPort = 0
    let server = try await Server.start(engine: MemoryEngine(), options: options)
    func exchange(_ request: String) async throws -> String {
      let socket = try RawSocket(port: server.metricsPort)
      _ = await socket.send(Bytes(request.utf8))
      return String(decoding: await socket.bytesUntilClosed(), as: UTF8.self)
    }
    let ok = try await exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    #expect(ok.hasPrefix("HTTP/1.1 200 OK\r\n"))
    #expect(ok.contains("Content-Type: text/plain; version=0.0.4"))
    #expect(ok.contains("# TYPE beach_requests_total counter"))
    #expect(try await exchange("GET / HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 404"))
    #expect(try await exchange("POST /metrics HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 405"))
    let endless = try await exchange("GET /metrics HTTP/1.1\r\n" + String(repeating: "X-Pad: y\r\n", count: 1000))
    #expect(endless.hasPrefix("HTTP/1.1 431"))
    await server.shutdown()
  }

  // MARK: Malformed frames

  /// Frames the decoder cannot read: the server answers with request id 0
  /// and the status `errorCaught` picks, then closes (the framing is lost).
  @Test(arguments: [
    (
      "length 11, below the header", Self.bytes("00 00 00 0b 01 07 00 00 00 00 00 01 00 00 00"), Frame.Status.badRequest
    ),
    ("length 0", Self.bytes("00 00 00 00"), .badRequest),
    ("version 2", Self.patched(Request.stats.frame(id: 1).encoded, at: 4, to: 2), .badRequest),
    ("version 0", Self.patched(Request.stats.frame(id: 1).encoded, at: 4, to: 0), .badRequest),
    ("kind 0x09", Self.patched(Request.stats.frame(id: 1).encoded, at: 5, to: 0x09), .badRequest),
    ("kind 0x00", Self.patched(Request.stats.frame(id: 1).encoded, at: 5, to: 0x00), .badRequest),
    ("status 0x20", Self.patched(Request.stats.frame(id: 1).encoded, at: 6, to: 0x20), .badRequest),
    ("flags 0x02", Self.patched(Request.put(key: [1], value: [2]).frame(id: 1).encoded, at: 7, to: 0x02), .badRequest),
    ("length over the maximum", Self.bytes("00 40 00 00"), .tooLarge),
  ])
  func anUnreadableFrameIsAnsweredAndTheConnectionCloses(name: String, bytes: Bytes, status: Frame.Status) async throws
  {
    try await withServer(MemoryEngine()) { server in
      let socket = try RawSocket(port: server.port)
      #expect(await socket.send(bytes) == bytes.count)
      let reply = try #require(await socket.next().frame, "\(name): no reply")
      #expect(reply.kind == .reply, "\(name)")
      #expect(reply.status == status, "\(name)")
      #expect(reply.requestID == 0, "\(name): the server could not read the request's id")
      #expect(!reply.payload.isEmpty, "\(name): the reply says why")
      #expect(await socket.next() == .closed, "\(name): the connection closes after a bad frame")
      #expect(await eventually { server.connectionCount == 0 }, "\(name)")
    }
  }

  /// Frames that are frames but not requests: `bad request` with the
  /// request's own id, and the connection stays open (a PING after works).
  @Test(arguments: [
    ("STATS with a payload", Frame(kind: .stats, requestID: 5, payload: [0, 1, 2])),
    ("TRACE with two bytes", Frame(kind: .trace, requestID: 5, payload: [1, 1])),
    ("TRACE level 9", Frame(kind: .trace, requestID: 5, payload: [9])),
    (
      "SCAN with trailing bytes",
      Frame(kind: .scan, requestID: 5, payload: Request.scan(start: [], end: nil, limit: 10).payload + [0xee])
    ),
    ("SCAN limit 0", Frame(kind: .scan, requestID: 5, payload: Request.scan(start: [], end: nil, limit: 0).payload)),
    ("PUT whose key runs past the payload", Frame(kind: .put, requestID: 5, payload: [0, 0, 0, 9, 0x6b])),
    ("PUT with no key length", Frame(kind: .put, requestID: 5, payload: [0, 0])),
    ("BATCH of garbage", Frame(kind: .batch, requestID: 5, payload: [1, 2, 3])),
    ("GET with the no-sync flag", Frame(kind: .get, flags: Frame.noSync, requestID: 5, payload: [0x6b])),
    ("a reply sent as a request", Frame(kind: .reply, requestID: 5)),
    ("a trace event sent as a request", Frame(kind: .traceEvent, requestID: 5)),
    ("EXTENSION with no code", Frame(kind: .extension, requestID: 5)),
    ("EXTENSION this engine does not have", Frame(kind: .extension, requestID: 5, payload: [1, 2, 3])),
  ])
  func aMalformedRequestIsABadRequestAndTheConnectionStaysOpen(name: String, frame: Frame) async throws {
    try await withServer(MemoryEngine()) { server in
      let socket = try RawSocket(port: server.port)
      let ping = Request.ping(Bytes(utf8: "still here")).frame(id: 6)
      // The bad frame and a PING behind it, in one write: the server must
      // cut them apart, refuse the first and answer the second.
      #expect(await socket.send(frame.encoded + ping.encoded) == frame.encoded.count + ping.encoded.count)
      let reply = try #require(await socket.next().frame, "\(name): no reply")
      #expect(reply.kind == .reply && reply.status == .badRequest && reply.requestID == 5, "\(name): \(reply)")
      let pong = try #require(await socket.next().frame, "\(name): no reply to the PING")
      #expect(pong.status == .ok && pong.requestID == 6 && pong.payload == ping.payload, "\(name)")
      #expect(server.connectionCount == 1, "\(name)")
      // And again, in a write of its own.
      #expect(await socket.send(Request.stats.frame(id: 7).encoded) == 16)
      let stats = try #require(await socket.next().frame)
      #expect(stats.status == .ok && stats.requestID == 7)
      #expect(String(decoding: stats.payload, as: UTF8.self).contains("beach_replies_total{status=\"bad_request\"} 1"))
    }
  }

  /// A frame cut short by the client closing its side: nothing is answered
  /// (there is no request to answer), the connection goes, the server stays.
  @Test func aFrameCutShortByTheClientIsDroppedWithTheConnection() async throws {
    try await withServer(MemoryEngine()) { server in
      let put = Request.put(key: Bytes(utf8: "k"), value: Bytes(repeating: 7, count: 100)).frame(id: 1).encoded
      for cut in [2, 4, 10, 16, 20, put.count - 1] {
        let socket = try RawSocket(port: server.port)
        #expect(await socket.send(Bytes(put[..<cut])) == cut)
        socket.shutdownWrite()
        #expect(await socket.next() == .closed, "cut at \(cut): the server answers nothing and closes")
        #expect(socket.leftover == 0, "cut at \(cut)")
      }
      #expect(await eventually { server.connectionCount == 0 })
      let client = try await Client.connect(host: "127.0.0.1", port: server.port)
      #expect(try await client.get(Bytes(utf8: "k")) == nil, "no cut frame was applied")
      await client.close()
    }
  }

  // MARK: An oversized length

  /// A length field claiming up to 4 GiB is refused from its four bytes:
  /// the reply comes although no payload was sent, and the server's memory
  /// does not grow by the claim.
  @Test(arguments: [UInt32(0x7fff_ffff), 0xffff_ffff, UInt32(Frame.defaultMaximumSize - 3)])
  func anOversizedLengthIsRefusedBeforeItIsAllocated(length: UInt32) async throws {
    try await withServer(MemoryEngine()) { server in
      let before = residentBytes()
      let socket = try RawSocket(port: server.port)
      var bytes = Bytes()
      bytes.appendBigEndian(length)
      bytes += [1, Frame.Kind.put.rawValue, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]  // a header, and not one payload byte
      #expect(await socket.send(bytes) == bytes.count)
      let reply = try #require(await socket.next().frame, "no reply to a length of \(length)")
      #expect(reply.status == .tooLarge)
      #expect(reply.requestID == 0)
      #expect(String(decoding: reply.payload, as: UTF8.self).contains("over the maximum"))
      #expect(await socket.next() == .closed, "the connection closes after `too large`")
      let grown = residentBytes() - before
      #expect(grown < 100 << 20, "resident memory grew by \(grown >> 20) MiB for a claimed \(length >> 20) MiB")
    }
  }

  /// A frame just over a smaller configured maximum is refused the same way.
  @Test func theMaximumIsTheServersOption() async throws {
    try await withServer(MemoryEngine(), { $0.maximumFrameSize = 1024 }) { server in
      let fits = Request.put(key: Bytes(utf8: "k"), value: Bytes(repeating: 1, count: 1024 - 21)).frame(id: 1).encoded
      #expect(fits.count == 1024)
      let socket = try RawSocket(port: server.port)
      #expect(await socket.send(fits) == fits.count)
      #expect(await socket.next().frame?.status == .ok)
      let over = Request.put(key: Bytes(utf8: "k"), value: Bytes(repeating: 1, count: 1024 - 20)).frame(id: 2).encoded
      #expect(await socket.send(Bytes(over.prefix(4))) == 4)
      let reply = try #require(await socket.next().frame)
      #expect(reply.status == .tooLarge && reply.requestID == 0)
      #expect(await socket.next() == .closed)
    }
  }

  // MARK: Idle and trickling clients

  /// A client sending a frame a byte at a time never completes one, so it
  /// is idle however busy its socket looks: the server closes it after the
  /// idle timeout. A client completing frames as often is kept.
  @Test(arguments: [100, 400])
  func aTricklingClientIsClosedAfterTheIdleTimeout(millisecondsPerByte: Int) async throws {
    try await withServer(MemoryEngine(), { $0.idleTimeout = .milliseconds(300) }) { server in
      let trickler = try RawSocket(port: server.port)
      let steady = try RawSocket(port: server.port)
      let frame = Request.ping(Bytes(repeating: 0x2e, count: 16)).frame(id: 1).encoded
      let clock = ContinuousClock()
      let start = clock.now
      let interval = Duration.milliseconds(millisecondsPerByte)
      var nextByte = start
      var sent = 0
      var closed = false
      var tick: UInt32 = 0
      // Every 50 ms: the next byte when its time has come, a look at the
      // trickling connection, and a whole PING on the steady one.
      while clock.now - start < .seconds(3) {
        if clock.now >= nextByte && sent < frame.count {
          #expect(await trickler.send([frame[sent]]) == 1)
          sent += 1
          nextByte += interval
        }
        let event = await trickler.next(within: .milliseconds(50))
        #expect(event.frame == nil, "a partial frame is never answered")
        if event == .closed {
          closed = true
          break
        }
        tick += 1
        #expect(await steady.send(Request.ping([]).frame(id: tick).encoded) == 16)
        #expect(await steady.next().frame?.requestID == tick)
      }
      let elapsed = clock.now - start
      #expect(closed, "the trickling client was never closed (\(sent) of \(frame.count) bytes sent)")
      #expect(elapsed >= .milliseconds(250), "closed after \(elapsed), before the idle timeout")
      #expect(elapsed < .milliseconds(1500), "closed after \(elapsed)")
      #expect(trickler.leftover == 0)
      #expect(await steady.send(Request.ping([]).frame(id: 999).encoded) == 16)
      #expect(await steady.next().frame?.requestID == 999, "a client completing frames stays open")
      #expect(await eventually { server.connectionCount == 1 })
    }
  }

  // MARK: A client that does not read

  /// A client sending 64 KiB PINGs and never reading the replies fills the
  /// server's outbound buffer past its high watermark; the server then stops
  /// reading it (the client's sends stall, `beach_reads_paused_total`
  /// counts it, and the bytes received stop growing), while another client
  /// is served at once.
  @Test func aClientThatDoesNotReadIsNoLongerRead() async throws {
    try await withServer(MemoryEngine()) { server in
      let hog = try RawSocket(port: server.port, receiveBufferSize: 4096, sendBufferSize: 16 << 10)
      let payload = Bytes(repeating: 0xab, count: 64 << 10)
      let frames = 2048  // 128 MiB, far beyond every buffer on the way
      var sent = 0
      var stalled = false
      for id in 1...frames {
        let frame = Request.ping(payload).frame(id: UInt32(id)).encoded
        let went = await hog.send(frame, within: .seconds(20), stallingAfter: .milliseconds(750))
        sent += went
        if went < frame.count {
          stalled = true
          break
        }
      }
      #expect(stalled, "the server read all \(sent >> 20) MiB from a client that reads nothing")
      #expect(sent < 64 << 20, "\(sent >> 20) MiB went before the server stopped reading")

      let other = try await Client.connect(host: "127.0.0.1", port: server.port)
      let clock = ContinuousClock()
      let start = clock.now
      try await other.put(Bytes(utf8: "k"), Bytes(utf8: "v"))
      #expect(try await other.get(Bytes(utf8: "k")) == Bytes(utf8: "v"))
      #expect(try await other.ping(Bytes(utf8: "p")) == Bytes(utf8: "p"))
      let took = clock.now - start
      #expect(took < .seconds(1), "the other client waited \(took)")

      let first = try await other.stats()
      #expect((statValue(first, "beach_reads_paused_total") ?? 0) >= 1, "\(first)")
      try await Task.sleep(for: .milliseconds(200))
      let second = try await other.stats()
      let received =
        (statValue(second, "beach_bytes_received_total") ?? 0)
        - (statValue(first, "beach_bytes_received_total") ?? 0)
      #expect(received == 16, "the server read \(received) bytes besides the STATS request")
      #expect(server.connectionCount == 2)

      hog.close()
      await other.close()
      #expect(await eventually { server.connectionCount == 0 })
    }
  }

  // MARK: Abrupt disconnects

  /// Clients that vanish mid-request (a reset with a PUT running, a close
  /// right after a PUT, a close halfway through a frame): the server keeps
  /// running, forgets the connections, and serves the next client.
  @Test func clientsVanishingMidRequestLeaveTheServerServing() async throws {
    let engine = MemoryEngine(writeDelay: .milliseconds(150))
    try await withServer(engine) { server in
      let put = Request.put(key: Bytes(utf8: "gone"), value: Bytes(utf8: "1")).frame(id: 1).encoded
      for _ in 0..<3 {
        let reset = try RawSocket(port: server.port)
        #expect(await reset.send(put) == put.count)
        #expect(await eventually { server.requestsRunning > 0 })
        reset.reset()  // RST with the write still running on an engine thread
      }
      for _ in 0..<3 {
        let closer = try RawSocket(port: server.port)
        #expect(await closer.send(put) == put.count)
        closer.close()
      }
      for cut in [3, 9, 17] {
        let half = try RawSocket(port: server.port)
        #expect(await half.send(Bytes(put.prefix(cut))) == cut)
        half.close()
      }
      let pipelined = try RawSocket(port: server.port)
      var many = Bytes()
      for id in 1...20 { many += Request.get(key: Bytes(utf8: "gone")).frame(id: UInt32(id)).encoded }
      #expect(await pipelined.send(many + Bytes(put.prefix(10))) == many.count + 10)
      pipelined.reset()

      #expect(await eventually { server.connectionCount == 0 && server.requestsRunning == 0 })
      let client = try await Client.connect(host: "127.0.0.1", port: server.port)
      try await client.put(Bytes(utf8: "fresh"), Bytes(utf8: "2"))
      #expect(try await client.get(Bytes(utf8: "fresh")) == Bytes(utf8: "2"))
      let stats = try await client.stats()
      #expect(statValue(stats, "beach_connections") == 1, "\(stats)")
      await client.close()
      #expect(await eventually { server.connectionCount == 0 })
    }
  }

  // MARK: Many connections

  @Test func threeHundredConcurrentConnectionsAreAllServed() async throws {
    try await withServer(MemoryEngine()) { server in
      let port = server.port
      let served = try await withThrowingTaskGroup(of: Bool.self) { group in
        for index in 0..<300 {
          group.addTask {
            let client = try await Client.connect(host: "127.0.0.1", port: port)
            let key = Bytes(utf8: "key\(index)")
            let value = Bytes(utf8: "value\(index)")
            try await client.put(key, value)
            let read = try await client.get(key)
            await client.close()
            return read == value
          }
        }
        return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
      }
      #expect(served == 300)
      #expect(await eventually { server.connectionCount == 0 })
    }
  }

  // MARK: Admission and deadlines

  /// Past the admission limit a request is answered `busy` at once and not
  /// run; every write answered `ok` is there afterwards, no `busy` one is.
  @Test func requestsPastTheAdmissionLimitAreBusyAndNeverApplied() async throws {
    let engine = MemoryEngine(writeDelay: .milliseconds(300))
    let limit = 3
    try await withServer(
      engine,
      {
        $0.admissionLimit = limit
        $0.engineThreads = 8
      }
    ) { server in
      var clients: [Client] = []
      for _ in 0..<4 { clients.append(try await Client.connect(host: "127.0.0.1", port: server.port)) }
      let clock = ContinuousClock()
      let start = clock.now
      var sent: [(key: Bytes, value: Bytes, reply: EventLoopFuture<Client.Reply>)] = []
      for round in 0..<4 {
        for (index, client) in clients.enumerated() {
          let key = Bytes(utf8: "k\(index)-\(round)")
          let value = Bytes(utf8: "v\(index)-\(round)")
          sent.append((key, value, client.send(.put(key: key, value: value))))
        }
      }
      var ok: [Bytes: Bytes] = [:]
      var busy: [Bytes] = []
      var busyTimes: [Duration] = []
      for (key, value, future) in sent {
        let reply = try await future.get()
        switch reply.status {
        case .ok:
          ok[key] = value
        case .busy:
          busy.append(key)
          busyTimes.append(clock.now - start)
        default: Issue.record("PUT \(Format.printable(key)): \(reply.status)")
        }
      }
      #expect(ok.count >= 1 && ok.count <= limit, "\(ok.count) writes admitted with a limit of \(limit)")
      #expect(busy.count >= sent.count - limit, "\(busy.count) of \(sent.count) answered busy")
      #expect(ok.count + busy.count == sent.count)
      #expect(engine.contents == ok, "the engine holds exactly the writes answered ok")
      for (key, value) in ok {
        #expect(try await clients[0].get(key) == value, "an acknowledged write is readable")
      }
      for key in busy {
        #expect(try await clients[1].get(key) == nil, "a write answered busy was applied")
      }
      let stats = try await clients[0].stats()
      #expect(statValue(stats, "beach_replies_total{status=\"busy\"}") == Double(busy.count))
      for client in clients { await client.close() }
    }
  }

  /// The slow engine outlasts the request's budget: the reply is `timeout`,
  /// sent at the deadline, and the late result is dropped, not sent.
  @Test func aRequestPastItsBudgetIsATimeout() async throws {
    let engine = MemoryEngine(writeDelay: .milliseconds(400))
    try await withServer(engine) { server in
      let socket = try RawSocket(port: server.port)
      let clock = ContinuousClock()
      let start = clock.now
      let put = Request.put(key: Bytes(utf8: "slow"), value: Bytes(utf8: "1")).frame(id: 1, budgetMilliseconds: 60)
      #expect(await socket.send(put.encoded) == put.encoded.count)
      let reply = try #require(await socket.next().frame)
      let took = clock.now - start
      #expect(reply.status == .timeout && reply.requestID == 1)
      #expect(String(decoding: reply.payload, as: UTF8.self).contains("may have been applied"))
      #expect(took >= .milliseconds(50) && took < .milliseconds(350), "the timeout came after \(took)")
      // Once the engine call ends, its result is dropped: the next frame is
      // the next request's reply.
      try await Task.sleep(for: .milliseconds(500))
      #expect(await socket.send(Request.ping([9]).frame(id: 2).encoded) == 17)
      let next = try #require(await socket.next().frame)
      #expect(next.requestID == 2 && next.payload == [9], "a late reply to request 1 was sent: \(next)")

      // A budget long enough is met.
      let client = try await Client.connect(host: "127.0.0.1", port: server.port, budget: .seconds(2))
      try await client.put(Bytes(utf8: "patient"), Bytes(utf8: "2"))
      #expect(engine.contents[Bytes(utf8: "patient")] == Bytes(utf8: "2"))
      await client.close()
    }
  }

  /// With no budget in the frame the server's default applies; a request
  /// whose deadline passes while it waits for an engine thread is not run.
  @Test func theDefaultBudgetAppliesAndAnExpiredRequestIsNotRun() async throws {
    let engine = MemoryEngine(writeDelay: .milliseconds(300))
    try await withServer(
      engine,
      {
        $0.defaultBudget = .milliseconds(60)
        $0.engineThreads = 1
      }
    ) { server in
      let socket = try RawSocket(port: server.port)
      let first = Request.put(key: Bytes(utf8: "a"), value: Bytes(utf8: "1")).frame(id: 1, budgetMilliseconds: 2000)
      let second = Request.put(key: Bytes(utf8: "b"), value: Bytes(utf8: "2")).frame(id: 2)
      #expect(await socket.send(first.encoded + second.encoded) == first.encoded.count + second.encoded.count)
      let timeout = try #require(await socket.next().frame)
      #expect(timeout.requestID == 2 && timeout.status == .timeout, "\(timeout)")
      let done = try #require(await socket.next().frame)
      #expect(done.requestID == 1 && done.status == .ok, "\(done)")
      // The second write reached its engine thread after its deadline.
      #expect(await eventually { server.requestsRunning == 0 })
      try await Task.sleep(for: .milliseconds(50))
      #expect(engine.contents == [Bytes(utf8: "a"): Bytes(utf8: "1")])
    }
  }

  // MARK: Graceful shutdown

  /// Writers on a real database, and `shutdown()` in the middle of them:
  /// every write acknowledged `ok` is in the database when it is opened
  /// again; every other ended in `shutting down` (then it was not applied)
  /// or a closed connection (then it may have been).
  @Test func shutdownWithWritesInFlightLosesNoAcknowledgedWrite() async throws {
    let directory = try TemporaryDirectory(prefix: "beach-server-shutdown")
    defer { directory.remove() }
    var databaseOptions = Chapter6Compaction.Database.Options()
    databaseOptions.memtableSize = 16 << 10  // flushes while the writers run
    let database = try Chapter6Compaction.Database.open(
      directory: directory.path, fileSystem: DiskFileSystem(), options: databaseOptions)
    var options = ServerOptions()
    options.eventLoopThreads = 2
    options.engineThreads = 8
    options.shutdownGrace = .seconds(5)
    let server = try await Server.start(engine: database, options: options)
    let port = server.port

    enum Outcome: Sendable, Equatable {
      case ok, shuttingDown, closed
      case other(String)
    }
    let writers = 8
    let outcomes = await withTaskGroup(of: [(key: Bytes, value: Bytes, outcome: Outcome)].self) { group in
      for writer in 0..<writers {
        group.addTask {
          let client: Client
          do {
            client = try await Client.connect(host: "127.0.0.1", port: port)
          } catch {
            return [([], [], .other("cannot connect: \(error)"))]
          }
          var results: [(key: Bytes, value: Bytes, outcome: Outcome)] = []
          let clock = ContinuousClock()
          let giveUp = clock.now + .seconds(10)
          for index in 0... {
            let key = Bytes(utf8: "w\(writer)-\(index)")
            let value = Bytes(utf8: "value \(writer)-\(index) " + String(repeating: "x", count: 100))
            do throws(ClientError) {
              try await client.put(key, value)
              results.append((key, value, .ok))
            } catch {
              switch error {
              case .shuttingDown: results.append((key, value, .shuttingDown))
              case .connectionClosed: results.append((key, value, .closed))
              default: results.append((key, value, .other("\(error)")))
              }
              break
            }
            if clock.now > giveUp {
              results.append((key, value, .other("the server never stopped")))
              break
            }
          }
          await client.close()
          return results
        }
      }
      group.addTask {
        try? await Task.sleep(for: .milliseconds(250))
        await server.shutdown()
        return []
      }
      var all: [(key: Bytes, value: Bytes, outcome: Outcome)] = []
      for await results in group { all += results }
      return all
    }

    let acknowledged = outcomes.filter { $0.outcome == .ok }
    let refused = outcomes.filter { $0.outcome == .shuttingDown }
    let others = outcomes.filter {
      if case .other = $0.outcome { true } else { false }
    }
    #expect(others.isEmpty, "\(others.prefix(3).map { "\($0.outcome)" })")
    #expect(acknowledged.count > 0, "no write was acknowledged before the shutdown")
    #expect(outcomes.count - acknowledged.count == writers, "each writer ends with its one failed write")
    #expect(server.connectionCount == 0)

    let reopened = try Chapter6Compaction.Database.open(
      directory: directory.path, fileSystem: DiskFileSystem(), options: databaseOptions)
    var missing: [String] = []
    for write in acknowledged {
      if try reopened.get(write.key) != write.value { missing.append(Format.printable(write.key)) }
    }
    #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) acknowledged writes lost: \(missing.prefix(5))")
    for write in refused {
      #expect(try reopened.get(write.key) == nil, "\(Format.printable(write.key)) was answered shutting down")
    }
    try reopened.close()
  }
}

// MARK: - Helpers

extension ServerTests {
  /// Starts a server on `engine` (loopback, port 0), runs `body`, and shuts
  /// the server down however `body` ends.
  func withServer(
    _ engine: any ServerEngine, _ configure: (inout ServerOptions) -> Void = { _ in },
    _ body: (Server) async throws -> Void
  ) async throws {
    var options = ServerOptions()
    options.eventLoopThreads = 2
    options.engineThreads = 4
    options.shutdownGrace = .seconds(2)
    configure(&options)
    let server = try await Server.start(engine: engine, options: options)
    do {
      try await body(server)
    } catch {
      await server.shutdown()
      throw error
    }
    await server.shutdown()
  }

  static func bytes(_ hex: String) -> Bytes { Bytes(hex: hex.filter { !$0.isWhitespace })! }

  static func patched(_ bytes: Bytes, at offset: Int, to byte: UInt8) -> Bytes {
    var bytes = bytes
    bytes[offset] = byte
    return bytes
  }
}

/// Waits up to `timeout` for `condition`, checking every few milliseconds.
func eventually(within timeout: Duration = .seconds(3), _ condition: () -> Bool) async -> Bool {
  let clock = ContinuousClock()
  let deadline = clock.now + timeout
  while !condition() {
    guard clock.now < deadline else { return false }
    try? await Task.sleep(for: .milliseconds(5))
  }
  return true
}

/// A sample's value in Prometheus text: `name` includes any labels.
func statValue(_ text: String, _ name: String) -> Double? {
  for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
    return Double(line.dropFirst(name.count + 1))
  }
  return nil
}

/// This process's resident memory, in bytes.
func residentBytes() -> Int {
  guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
  let fields = text.split(separator: " ")
  guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
  return pages * sysconf(Int32(_SC_PAGESIZE))
}

/// An engine in memory for the server's tests: a dictionary, whose writes
/// may take a while (an fsync that will not hurry).
final class MemoryEngine: ServerEngine {
  let writeDelay: Duration
  private let state = Locked<(data: [Bytes: Bytes], sequence: SequenceNumber)>(([:], 0))

  init(writeDelay: Duration = .zero) { self.writeDelay = writeDelay }

  var contents: [Bytes: Bytes] { state.withLock { $0.data } }

  func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    if writeDelay > .zero {
      let (seconds, attoseconds) = writeDelay.components
      usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }
    return state.withLock { state in
      for operation in batch.operations {
        state.sequence += 1
        switch operation {
        case .put(let key, let value): state.data[key] = value
        case .delete(let key): state.data[key] = nil
        }
      }
      return state.sequence
    }
  }

  func get(_ key: Bytes) throws -> Bytes? { state.withLock { $0.data[key] } }

  func scanPage(from start: Bytes, to end: Bytes?, limit: Int) throws -> ScanPage {
    let keys = state.withLock { $0.data }.sorted { $0.key.lexicographicallyPrecedes($1.key) }.filter { entry in
      !entry.key.lexicographicallyPrecedes(start) && (end.map { entry.key.lexicographicallyPrecedes($0) } ?? true)
    }
    let page = keys.prefix(limit).map { KeyValuePair(key: $0.key, value: $0.value) }
    return ScanPage(entries: page, resumeKey: keys.count > limit ? keys[limit].key : nil)
  }

  func close() throws {}
}

/// A TCP connection on raw POSIX calls, for bytes no well-behaved client
/// would send. The socket is non-blocking: every wait polls it and sleeps
/// between tries, so no test holds one of Swift's few cooperative threads.
final class RawSocket {
  enum Event: Equatable {
    case frame(Frame)
    /// The server closed the connection (or reset it).
    case closed
    case timedOut

    var frame: Frame? {
      if case .frame(let frame) = self { frame } else { nil }
    }
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  private var descriptor: Int32
  private var received = Bytes()
  private var peerClosed = false

  /// Bytes received after the last whole frame handed out.
  var leftover: Int { received.count }

  init(port: Int, receiveBufferSize: Int32? = nil, sendBufferSize: Int32? = nil) throws {
    descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw Failure(description: "socket: errno \(errno)") }
    if let receiveBufferSize { setOption(SOL_SOCKET, SO_RCVBUF, receiveBufferSize) }
    if let sendBufferSize { setOption(SOL_SOCKET, SO_SNDBUF, sendBufferSize) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else {
      let error = errno
      Glibc.close(descriptor)
      throw Failure(description: "connect to port \(port): errno \(error)")
    }
    setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
  }

  deinit { close() }

  private func setOption(_ level: Int32, _ name: Int32, _ value: Int32) {
    var value = value
    _ = setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
  }

  /// Sends `bytes`; returns how many went before the deadline, the peer
  /// closing, or (with `stallingAfter`) that long without any going.
  func send(_ bytes: Bytes, within timeout: Duration = .seconds(3), stallingAfter stall: Duration? = nil) async
    -> Int
  {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var lastProgress = clock.now
    var sent = 0
    while sent < bytes.count && descriptor >= 0 {
      let count = bytes.withUnsafeBytes {
        Glibc.send(descriptor, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
      }
      if count > 0 {
        sent += count
        lastProgress = clock.now
        continue
      }
      guard count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) else { break }
      let now = clock.now
      if now >= deadline { break }
      if let stall, now - lastProgress >= stall { break }
      try? await Task.sleep(for: .milliseconds(2))
    }
    return sent
  }

  /// Every byte the server sends until it closes the connection (or
  /// `timeout` passes), for replies that are not frames.
  func bytesUntilClosed(within timeout: Duration = .seconds(3)) async -> Bytes {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !peerClosed && clock.now < deadline {
      if !fill() { try? await Task.sleep(for: .milliseconds(2)) }
    }
    defer { received.removeAll() }
    return received
  }

  /// The next whole frame from the server, or the connection's end, or
  /// nothing within `timeout`.
  func next(within timeout: Duration = .seconds(3)) async -> Event {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
      if let (frame, size) = try? Frame.decode(received[...]) {
        received.removeFirst(size)
        return .frame(frame)
      }
      if peerClosed { return .closed }
      if !fill() {
        if clock.now >= deadline { return .timedOut }
        try? await Task.sleep(for: .milliseconds(2))
      }
    }
  }

  /// Reads what has arrived; whether anything happened (bytes or the end).
  private func fill() -> Bool {
    guard descriptor >= 0 else {
      peerClosed = true
      return true
    }
    var chunk = Bytes(repeating: 0, count: 64 << 10)
    let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
    if count > 0 {
      received += chunk[..<count]
      return true
    }
    if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return false }
    peerClosed = true  // 0: an orderly close; otherwise a reset
    return true
  }

  /// Closes this side for writing: the server sees the end of the stream.
  func shutdownWrite() { _ = Glibc.shutdown(descriptor, Int32(SHUT_WR)) }

  func close() {
    guard descriptor >= 0 else { return }
    Glibc.close(descriptor)
    descriptor = -1
  }

  /// Closes with a reset (RST) instead of an orderly close.
  func reset() {
    guard descriptor >= 0 else { return }
    var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
    _ = setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    close()
  }
}
