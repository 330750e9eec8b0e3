import Chapter1WAL
import Chapter7Server
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import Chapter8Raft

/// The etcd client, without etcd: base64, the JSON bodies both ways (the
/// replies are etcd 3.4's own, copied from a member on loopback), and a
/// fake gateway on loopback that answers pipelined requests the way Go's
/// HTTP server does, one after the other.
@Suite struct EtcdClientTests {
  @Test func base64MatchesTheRFCVectors() {
    let vectors = [
      ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
      ("foobar", "Zm9vYmFy"),
    ]
    for (plain, encoded) in vectors {
      #expect(Base64.encode(Bytes(utf8: plain)) == Bytes(utf8: encoded), "\(plain)")
      #expect(Base64.decode(encoded.utf8) == Bytes(utf8: plain), "\(encoded)")
    }
  }

  @Test func base64RoundTripsEveryByteAndEveryLength() {
    let all = Bytes((0...255).map { UInt8($0) })
    for count in 0...all.count {
      let bytes = Bytes(all.prefix(count))
      #expect(Base64.decode(Base64.encode(bytes)) == bytes, "\(count) bytes")
    }
    #expect(Base64.encode([0xFB, 0xFF]) == Bytes(utf8: "+/8="))
  }

  @Test func base64RefusesWhatIsNotPaddedBase64() {
    for bad in ["Zg", "Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "=Zg=", "Zm 9v", "Zm9v\n"] {
      #expect(Base64.decode(bad.utf8) == nil, "\(bad)")
    }
  }

  @Test func requestBodiesAreTheGatewaysJSON() {
    let put = EtcdGateway.Request.put(key: Bytes(utf8: "foo"), value: Bytes(utf8: "bar"))
    #expect(put.path == "/v3/kv/put")
    #expect(String(decoding: put.body, as: UTF8.self) == #"{"key":"Zm9v","value":"YmFy"}"#)
    let read = EtcdGateway.Request.range(key: Bytes(utf8: "foo"), serializable: false)
    #expect(read.path == "/v3/kv/range")
    #expect(String(decoding: read.body, as: UTF8.self) == #"{"key":"Zm9v"}"#)
    let local = EtcdGateway.Request.range(key: [0x00, 0xFF], serializable: true)
    #expect(String(decoding: local.body, as: UTF8.self) == #"{"key":"AP8=","serializable":true}"#)
    // Every body is JSON that reads back to the key it was made from.
    let parsed = try? JSONValue.parse(local.body)
    #expect(parsed?["key"]?.string.flatMap { Base64.decode($0.utf8) } == [0x00, 0xFF])
    #expect(parsed?["serializable"] == .bool(true))
  }

  /// etcd 3.4.23's replies, as it wrote them.
  static let header =
    #"{"cluster_id":"324952591200643719","member_id":"3319814642761637952","revision":"2","raft_term":"2"}"#

  @Test func repliesAreReadAsEtcdWritesThem() {
    let put = EtcdGateway.Request.put(key: Bytes(utf8: "foo"), value: Bytes(utf8: "bar"))
    let read = EtcdGateway.Request.range(key: Bytes(utf8: "foo"), serializable: false)
    let reply = { (request: EtcdGateway.Request, status: Int, body: String) in
      EtcdGateway.reply(to: request, status: status, body: Bytes(utf8: body))
    }
    #expect(reply(put, 200, #"{"header":\#(Self.header)}"#) == .stored)
    let found =
      #"{"header":\#(Self.header),"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","#
      + #""version":"1","value":"YmFy"}],"count":"1"}"#
    #expect(reply(read, 200, found) == .value(Bytes(utf8: "bar")))
    #expect(reply(read, 200, #"{"header":\#(Self.header)}"#) == .value(nil))
    // An empty value is left out of the pair altogether.
    let empty = #"{"header":\#(Self.header),"kvs":[{"key":"ZQ==","create_revision":"4","version":"1"}],"count":"1"}"#
    #expect(reply(read, 200, empty) == .value([]))
  }

  @Test func errorBodiesBecomeFailuresWithTheirCode() {
    let put = EtcdGateway.Request.put(key: [], value: Bytes(utf8: "bar"))
    let refused = EtcdGateway.reply(
      to: put, status: 400,
      body: Bytes(
        utf8: #"{"error":"etcdserver: key is not provided","message":"etcdserver: key is not provided","code":3}"#))
    #expect(refused == .failed(.init(status: 400, code: 3, message: "etcdserver: key is not provided")))

    let timedOut = EtcdGateway.reply(
      to: put, status: 503,
      body: Bytes(
        utf8: #"{"error":"etcdserver: request timed out","message":"etcdserver: request timed out","code":14}"#))
    guard case .failed(let failure) = timedOut else {
      Issue.record("a 503 read as \(timedOut)")
      return
    }
    #expect(failure.isTimeout && !failure.isBusy)
    let busy = EtcdGateway.failure(
      status: 429, body: Bytes(utf8: #"{"error":"etcdserver: too many requests","code":8}"#))
    #expect(busy.isBusy && busy.message == "etcdserver: too many requests")

    // The gateway's 404 is plain text; a 200 that is not JSON is a failure too.
    #expect(
      EtcdGateway.reply(to: put, status: 404, body: Bytes(utf8: "Not Found\n"))
        == .failed(
          .init(status: 404, code: nil, message: "Not Found")))
    for garbage in ["", "{", "[]", #"{"kvs":[]}"#] {
      guard case .failed(let failure) = EtcdGateway.reply(to: put, status: 200, body: Bytes(utf8: garbage)) else {
        Issue.record("'\(garbage)' read as a success")
        continue
      }
      #expect(failure.status == 200, "\(failure)")
    }
    let badValue = #"{"header":{},"kvs":[{"key":"Zm9v","value":"not base64!"}]}"#
    #expect(
      EtcdGateway.reply(to: .range(key: [], serializable: false), status: 200, body: Bytes(utf8: badValue))
        != .value(nil))
  }

  @Test func jsonReadsTheWholeGrammar() throws {
    let text = #" {"a": [1, -2.5e3, true, false, null, {}], "s": "q\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", "e": []} "#
    let value = try JSONValue.parse(Bytes(utf8: text))
    #expect(
      value["a"]
        == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .object([:])]))
    #expect(value["s"]?.string == "q\"\\/\u{08}\u{0C}\n\r\té😀")
    #expect(value["e"] == .array([]))
    #expect(value["a"]?["x"] == nil)
    #expect(JSONValue.number("14").integer == 14)
  }

  @Test func jsonRefusesWhatIsNotJSON() {
    let bad = [
      "", "{", "}", "[1,]", #"{"a":}"#, #"{"a" 1}"#, #"{a:1}"#, "01x", "-", "1.", "1e", "tru", "nul", #""abc"#,
      #""\x""#, #""\ud83d""#, "\"a\u{01}\"", "1 2", String(repeating: "[", count: 100),
    ]
    for text in bad {
      #expect(throws: JSONValue.ParseError.self, "\(text)") { try JSONValue.parse(Bytes(utf8: text)) }
    }
  }

  /// The whole client: pipelined puts and ranges on one connection to a
  /// fake gateway, every reply matched to its call, then the same through
  /// the load generator's connection, then a server that hangs up.
  @Test(.timeLimit(.minutes(1))) func aFakeGatewayAnswersPipelinedCalls() async throws {
    let gateway = try await FakeGateway.start()
    let client = try await EtcdClient.connect(host: "127.0.0.1", port: gateway.port)
    let puts = (0..<50).map { i in
      client.send(.put(key: Bytes(utf8: "key\(i)"), value: Bytes(utf8: "value\(i)")))
    }
    for put in puts { #expect(try await put.get() == .stored) }
    let reads = (0..<60).map { i in
      client.send(.range(key: Bytes(utf8: "key\(i)"), serializable: i % 2 == 0))
    }
    for (i, read) in reads.enumerated() {
      #expect(try await read.get() == .value(i < 50 ? Bytes(utf8: "value\(i)") : nil), "key\(i)")
    }
    #expect(try await client.get(Bytes(utf8: "key7"), serializable: true) == Bytes(utf8: "value7"))
    await #expect(throws: EtcdClient.Failure.self) { try await client.put([], Bytes(utf8: "no key")) }
    await client.close()

    let connection = try await EtcdTarget(host: "127.0.0.1", port: gateway.port).connect(
      on: MultiThreadedEventLoopGroup.singleton.next())
    #expect(try await connection.send(.set(key: Bytes(utf8: "k"), value: Bytes(utf8: "v"))).get() == .done)
    #expect(try await connection.send(.get(key: Bytes(utf8: "k"))).get() == .done)
    #expect(try await connection.send(.get(key: Bytes(utf8: "absent"))).get() == .missing)
    #expect(try await connection.send(.set(key: [], value: [])).get() == .failed(.error))
    #expect(try await connection.send(.get(key: Bytes(utf8: "timeout"))).get() == .failed(.timeout))
    // The gateway hangs up on "hangup": the call waiting fails as closed.
    #expect(try await connection.send(.get(key: Bytes(utf8: "hangup"))).get() == .failed(.closed))
    await connection.close()
    #expect(gateway.requests() == 50 + 60 + 1 + 3, "the refused, timed-out and hung-up calls change nothing")
    try await gateway.stop()
  }

  @Test(.timeLimit(.minutes(1))) func aLoadRunAgainstTheFakeGatewaySucceeds() async throws {
    let gateway = try await FakeGateway.start()
    var plan = LoadPlan()
    plan.connections = 2
    plan.rate = 1000
    plan.duration = 0.3
    plan.workload.keyCount = 200
    let session = try await LoadSession.connect(
      to: EtcdTarget(host: "127.0.0.1", port: gateway.port), connections: 2)
    let prefill = await session.prefill(plan.workload)
    let result = await session.run(plan)
    await session.close()
    try await gateway.stop()
    #expect(prefill.failures == 0)
    #expect(result.target == "etcd")
    #expect(result.failures.total == 0, "\(result.failures)")
    #expect(result.succeeded == 300 && result.missing == 0)
  }
}

/// A stand-in for etcd's gateway on loopback: puts and ranges on a
/// dictionary, in etcd's JSON, one pipelined request at a time. A put with
/// no key is refused as etcd refuses it; a range of `timeout` answers
/// etcd's 503; a range of `hangup` closes the connection.
final class FakeGateway: Sendable {
  let channel: any Channel
  let store: Locked<(values: [Bytes: Bytes], requests: Int)>

  var port: Int { channel.localAddress!.port! }

  private init(channel: any Channel, store: Locked<(values: [Bytes: Bytes], requests: Int)>) {
    self.channel = channel
    self.store = store
  }

  static func start() async throws -> FakeGateway {
    let store = Locked<(values: [Bytes: Bytes], requests: Int)>(([:], 0))
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true)
          try channel.pipeline.syncOperations.addHandler(FakeGatewayHandler(store: store))
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    return FakeGateway(channel: channel, store: store)
  }

  func requests() -> Int { store.withLock { $0.requests } }

  func stop() async throws { try await channel.close() }
}

/// One connection of `FakeGateway`.
final class FakeGatewayHandler: ChannelInboundHandler, @unchecked Sendable {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  let store: Locked<(values: [Bytes: Bytes], requests: Int)>
  private var path = ""
  private var body = Bytes()

  init(store: Locked<(values: [Bytes: Bytes], requests: Int)>) { self.store = store }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      path = head.uri
      body.removeAll()
    case .body(let buffer):
      body.append(contentsOf: buffer.readableBytesView)
    case .end:
      let json = try? JSONValue.parse(body)
      let key = json?["key"]?.string.flatMap { Base64.decode($0.utf8) } ?? []
      let header = #"{"header":\#(EtcdClientTests.header)"#
      let (status, reply): (HTTPResponseStatus, String)
      switch path {
      case _ where key == Bytes(utf8: "hangup"):
        context.close(promise: nil)
        return
      case "/v3/kv/put" where key.isEmpty:
        (status, reply) = (.badRequest, #"{"error":"etcdserver: key is not provided","code":3}"#)
      case "/v3/kv/put":
        let value = json?["value"]?.string.flatMap { Base64.decode($0.utf8) } ?? []
        store.withLock {
          $0.values[key] = value
          $0.requests += 1
        }
        (status, reply) = (.ok, header + "}")
      case "/v3/kv/range" where key == Bytes(utf8: "timeout"):
        (status, reply) = (.serviceUnavailable, #"{"error":"etcdserver: request timed out","code":14}"#)
      case "/v3/kv/range":
        let value = store.withLock {
          $0.requests += 1
          return $0.values[key]
        }
        let kvs = value.map { #","kvs":[{"key":"\#(Base64.encode(key).text)","value":"\#(Base64.encode($0).text)"}]"# }
        (status, reply) = (.ok, header + (kvs ?? "") + "}")
      default:
        (status, reply) = (.notFound, "Not Found\n")
      }
      var headers = HTTPHeaders()
      headers.add(name: "Content-Length", value: String(reply.utf8.count))
      headers.add(name: "Content-Type", value: "application/json")
      context.write(
        wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
      context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: reply)))), promise: nil)
      context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
  }
}

extension Bytes {
  fileprivate var text: String { String(decoding: self, as: UTF8.self) }
}
