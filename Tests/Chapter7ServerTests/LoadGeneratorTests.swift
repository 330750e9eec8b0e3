import Chapter1WAL
import Chapter6Compaction
import NIOCore
import NIOPosix
import Testing

@testable import Chapter7Server

/// The load generator: its timetable, its workloads, and the point of it
/// all, that a stall shows in the corrected latencies and hides in the
/// uncorrected ones.
@Suite struct LoadGeneratorTests {
  @Test func theTimetableSpacesRequestsEvenly() {
    let schedule = OpenLoopSchedule(rate: 4000)
    #expect(schedule.intendedOffset(of: 0) == 0)
    #expect(schedule.intendedOffset(of: 1) == 250_000)
    #expect(schedule.intendedOffset(of: 4000) == 1_000_000_000)
    #expect(schedule.requests(in: 2.5) == 10_000)
  }

  @Test func mixesParseAsTheHelpSays() {
    #expect(LoadMix(parsing: "get")?.getPercent == 100)
    #expect(LoadMix(parsing: "SET")?.getPercent == 0)
    #expect(LoadMix(parsing: "90/10")?.getPercent == 90)
    #expect(LoadMix(parsing: "90/10")?.description == "90/10 get/set")
    for bad in ["", "90", "90/20", "-10/110", "a/b", "50/50/0", "get/set"] {
      #expect(LoadMix(parsing: bad) == nil, "\(bad)")
    }
  }

  @Test func keysSortInNumberOrder() {
    #expect(Workload.key(0) == Bytes(utf8: "key0000000000000"))
    #expect(Workload.key(42) == Bytes(utf8: "key0000000000042"))
    let keys = [0, 9, 10, 99, 100, 123_456].map(Workload.key)
    #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) })
  }

  @Test func aWorkloadIsOneSequencePerConnection() {
    var workload = Workload()
    workload.keyCount = 1000
    let chooser = workload.makeChooser()
    var first = workload.operations(forConnection: 3, chooser: chooser, value: workload.value)
    var again = workload.operations(forConnection: 3, chooser: chooser, value: workload.value)
    var other = workload.operations(forConnection: 4, chooser: chooser, value: workload.value)
    let a = (0..<200).map { _ in first.next() }
    #expect(a == (0..<200).map { _ in again.next() })
    #expect(a != (0..<200).map { _ in other.next() })
    let gets = a.filter { if case .get = $0 { true } else { false } }.count
    #expect((150...195).contains(gets), "90/10 gave \(gets) GETs of 200")
  }

  @Test func zipfianKeysAreSkewedAndInRange() {
    let zipfian = ZipfianGenerator(count: 10_000)
    var random = SeededGenerator(seed: 7)
    var counts = [Int](repeating: 0, count: 10_000)
    for _ in 0..<100_000 {
      let key = zipfian.next(using: &random)
      #expect((0..<10_000).contains(key))
      counts[key] += 1
    }
    // Theta 0.99 over 10,000 keys: the most popular key takes about a tenth
    // of the draws, the hundred most popular about half.
    let sorted = counts.sorted(by: >)
    #expect(sorted[0] > 5_000)
    let top100 = sorted.prefix(100).reduce(0, +)
    #expect((35_000...70_000).contains(top100), "top 100 keys: \(top100)")
  }

  // MARK: RESP

  func resp(_ text: String) -> Bytes { Bytes(utf8: text) }

  @Test func respCommandsAreArraysOfBulkStrings() {
    var out = Bytes()
    RESP.encodeCommand([resp("SET"), resp("k"), resp("v1")], into: &out)
    #expect(out == resp("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv1\r\n"))
  }

  @Test func respRepliesDecode() throws {
    let cases: [(String, RESPValue)] = [
      ("+OK\r\n", .simpleString(resp("OK"))), ("-ERR no\r\n", .error("ERR no")), (":-42\r\n", .integer(-42)),
      ("$5\r\nhello\r\n", .bulkString(resp("hello"))), ("$-1\r\n", .bulkString(nil)), ("$0\r\n\r\n", .bulkString([])),
      ("*2\r\n:1\r\n$1\r\na\r\n", .array([.integer(1), .bulkString(resp("a"))])), ("*-1\r\n", .array(nil)),
    ]
    for (text, value) in cases {
      let bytes = resp(text)
      let decoded = try #require(try RESP.decode(bytes), "\(text)")
      #expect(decoded.value == value && decoded.size == bytes.count, "\(text)")
      // Every proper prefix is "not yet a value", never an error.
      for cut in 0..<bytes.count { #expect(try RESP.decode(bytes[..<cut]) == nil, "\(text) cut at \(cut)") }
    }
  }

  @Test func respRefusesHostileBytes() {
    let bad: [String] = [
      "?what\r\n", "$-2\r\n", "$99999999999\r\n", "*99999999\r\n", ":12x\r\n", ":99999999999999999999\r\n",
      "$3\r\nabcXY", "$\r\n", String(repeating: "*1\r\n", count: 20) + ":1\r\n",
    ]
    for text in bad {
      #expect(throws: RESPDecodingError.self, "\(text.prefix(20))") { try RESP.decode(resp(text)) }
    }
    var limits = RESP.Limits()
    limits.maximumLineLength = 16
    #expect(throws: RESPDecodingError.self) {
      try RESP.decode(resp("+" + String(repeating: "a", count: 40)), limits: limits)
    }
    // Random bytes: any answer but a trap.
    var random = SeededGenerator(seed: 3)
    for _ in 0..<2000 {
      let bytes = (0..<Int.random(in: 0...24, using: &random)).map { _ in
        [
          UInt8(ascii: "*"), UInt8(ascii: "$"), UInt8(ascii: ":"), UInt8(ascii: "-"), 0x0d, 0x0a, UInt8(ascii: "1"),
          UInt8(ascii: "9"), UInt8.random(in: 0...255, using: &random),
        ].randomElement(using: &random)!
      }
      _ = try? RESP.decode(bytes)
    }
  }

  // MARK: Coordinated omission

  /// One connection, at most one request outstanding, 1,000 requests a
  /// second for a second; the server stops answering for 300 ms in the
  /// middle. A closed loop would see one slow request. The open loop's
  /// timetable keeps its place: the ~300 requests due during the stall are
  /// late by up to 300 ms, and the corrected latencies say so.
  @Test(.timeLimit(.minutes(1))) func aStallShowsInCorrectedLatencyNotUncorrected() async throws {
    let target = StallingTarget(stallAfter: .milliseconds(400), stallFor: .milliseconds(300))
    let session = try await LoadSession.connect(to: target, connections: 1)
    var plan = LoadPlan()
    plan.connections = 1
    plan.rate = 1000
    plan.duration = 1
    plan.maximumOutstanding = 1
    plan.workload.mix = LoadMix(getPercent: 100)
    let result = await session.run(plan)
    await session.close()

    #expect(result.failures.total == 0)
    #expect(result.succeeded == 1000)
    // About 30% of the requests were due during the stall: p90 holds it.
    #expect(result.corrected.p90 > 100_000, "corrected p90 \(result.corrected.p90) µs")
    #expect(result.corrected.max > 250_000, "corrected max \(result.corrected.max) µs")
    // Sent when the stall ended, in a burst: each looked fast. Only the one
    // request caught inside the stall was slow.
    #expect(result.uncorrected.p90 < 20_000, "uncorrected p90 \(result.uncorrected.p90) µs")
    #expect(result.uncorrected.max > 250_000, "the request inside the stall: \(result.uncorrected.max) µs")
  }

  /// The same stall in a closed loop: corrected and uncorrected agree, and
  /// both hide it below p99.9.
  @Test(.timeLimit(.minutes(1))) func aClosedLoopHidesTheStall() async throws {
    let target = StallingTarget(stallAfter: .milliseconds(400), stallFor: .milliseconds(300))
    let session = try await LoadSession.connect(to: target, connections: 1)
    var plan = LoadPlan()
    plan.pacing = .closed
    plan.connections = 1
    plan.duration = 1
    plan.workload.mix = LoadMix(getPercent: 100)
    let result = await session.run(plan)
    await session.close()

    #expect(result.corrected == result.uncorrected)
    #expect(result.corrected.p99 < 20_000, "closed-loop p99 \(result.corrected.p99) µs")
    #expect(result.corrected.max > 250_000)
  }

  /// A server that does not answer within the grace period: its requests
  /// are counted unanswered, the run still ends.
  @Test(.timeLimit(.minutes(1))) func unansweredRequestsAreCountedAndTheRunEnds() async throws {
    let target = StallingTarget(stallAfter: .milliseconds(100), stallFor: .seconds(60))
    let session = try await LoadSession.connect(to: target, connections: 2)
    var plan = LoadPlan()
    plan.connections = 2
    plan.rate = 200
    plan.duration = 0.5
    plan.grace = 0.3
    plan.maximumOutstanding = 4
    let result = await session.run(plan)
    await session.close()
    #expect(result.failures.unanswered == 8, "\(result.failures)")
    #expect(result.failures.unanswered + result.failures.unsent + result.succeeded == 100, "\(result.failures)")
  }

  /// The whole path: a real server on loopback, a prefill, and a 90/10 mix
  /// in which every GET finds its value.
  @Test(.timeLimit(.minutes(1))) func againstARealServerEveryRequestSucceeds() async throws {
    let engine = try Chapter6Compaction.Database.open(
      directory: "/db", fileSystem: MemoryFileSystem(), options: .init(), tracer: Tracer(level: .off))
    let server = try await Server.start(engine: engine, options: ServerOptions(), tracer: Tracer(level: .off))
    var plan = LoadPlan()
    plan.connections = 2
    plan.rate = 2000
    plan.duration = 0.5
    plan.workload.keyCount = 500
    let session = try await LoadSession.connect(to: BeachTarget(host: "127.0.0.1", port: server.port), connections: 2)
    let prefill = await session.prefill(plan.workload)
    let result = await session.run(plan)
    await session.close()
    await server.shutdown()

    #expect(prefill.failures == 0 && prefill.keys == 500)
    #expect(result.failures.total == 0, "\(result.failures)")
    #expect(result.succeeded == 1000)
    #expect(result.missing == 0)
    #expect(result.throughput > 500, "a loaded machine may fall behind 2000/s, but not this far")
  }

  /// Pipelined writes from four connections past a small admission limit:
  /// every request gets an answer (`ok` or `busy`), promptly, and the
  /// client's count of refusals is the server's.
  @Test(.timeLimit(.minutes(1))) func pastTheAdmissionLimitEveryRequestIsAnswered() async throws {
    let engine = try Chapter6Compaction.Database.open(
      directory: "/db", fileSystem: MemoryFileSystem(), options: .init(), tracer: Tracer(level: .off))
    var options = ServerOptions()
    options.admissionLimit = 4
    options.maximumInFlightPerConnection = 2
    options.idleTimeout = .seconds(5)
    let server = try await Server.start(engine: engine, options: options, tracer: Tracer(level: .off))
    var workload = Workload()
    workload.keyCount = 4000
    let session = try await LoadSession.connect(to: BeachTarget(host: "127.0.0.1", port: server.port), connections: 4)
    let clock = ContinuousClock()
    let started = clock.now
    let prefill = await session.prefill(workload, window: 64)
    let elapsed = clock.now - started
    let stats = try await Client.connect(host: "127.0.0.1", port: server.port)
    let text = try await stats.stats()
    await stats.close()
    await session.close()
    await server.shutdown()

    #expect(elapsed < .seconds(5), "the prefill waited \(elapsed): some reply never came")
    let busy = text.split(separator: "\n").first { $0.hasPrefix("beach_replies_total{status=\"busy\"}") }
    #expect(Int(busy?.split(separator: " ").last ?? "") == prefill.failures, "\(prefill)")
    #expect(prefill.failures > 0, "the limit of 4 was never reached")
  }

  @Test func theChartIsDeterministicAndNamesEverySeries() throws {
    var plan = LoadPlan()
    plan.connections = 1
    let point = { (label: String, throughput: Double, p99: Double) in
      LoadResult(
        label: label, target: label, address: "127.0.0.1:1", plan: plan, requests: 10, succeeded: 10, missing: 0,
        failures: FailureCounts(), seconds: 1, throughput: throughput,
        corrected: LatencySummary(count: 10, p50: p99 / 4, p90: p99 / 2, p99: p99, p999: p99, max: p99),
        uncorrected: LatencySummary(count: 10, p50: 1, p90: 1, p99: 1, p999: 1, max: 1))
    }
    let results = [point("beach", 1000, 200), point("beach", 2000, 900), point("redis", 1000, 150)]
    let svg = LoadChart.svg(results, title: "t", caption: "c")
    #expect(svg == LoadChart.svg(results, title: "t", caption: "c"))
    #expect(svg.contains("beach p99") && svg.contains("redis p50"))
    #expect(svg.split(separator: "<polyline", omittingEmptySubsequences: false).count - 1 == 4)
  }
}

/// A server in the test's own process that answers every request 100 µs
/// after it is sent, except that from `stallAfter` after its first request
/// it answers nothing for `stallFor`, then everything held at once.
final class StallingTarget: LoadTarget {
  let stallAfter: TimeAmount
  let stallFor: TimeAmount
  let origin = Locked<NIODeadline?>(nil)

  init(stallAfter: TimeAmount, stallFor: TimeAmount) {
    self.stallAfter = stallAfter
    self.stallFor = stallFor
  }

  var name: String { "stalling" }
  var address: String { "in-process" }

  func connect(on loop: any EventLoop) async throws -> any LoadConnection { Connection(target: self, loop: loop) }

  final class Connection: LoadConnection {
    let target: StallingTarget
    let loop: any EventLoop

    init(target: StallingTarget, loop: any EventLoop) {
      self.target = target
      self.loop = loop
    }

    func send(_ operation: LoadOperation) -> EventLoopFuture<LoadOutcome> {
      let now = NIODeadline.now()
      let origin = target.origin.withLock { origin in
        if origin == nil { origin = now }
        return origin!
      }
      let stallStart = origin + target.stallAfter
      let stallEnd = stallStart + target.stallFor
      let answer = now >= stallStart && now < stallEnd ? stallEnd : now + .microseconds(100)
      return loop.scheduleTask(deadline: answer) { LoadOutcome.done }.futureResult
    }

    func close() async {}
  }
}
