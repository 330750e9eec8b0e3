import BeachShell
import Chapter1WAL
import Chapter6Compaction
import Chapter7Server
import Foundation
import TestSupport
import Testing

/// `KillLoopTests` over the network: a real `beach serve` child process on
/// a real directory, a real client writing to it with sync on, and SIGKILL
/// of the server at a random moment. A write the server acknowledged must
/// be there when it comes back; the one write in flight may go either way;
/// nothing may be half applied. Each round the server is restarted on the
/// same directory and read back over the network; at the end it is stopped
/// gracefully and the directory is opened here.
///
/// A short profile runs with `swift test`. For a longer one:
///
///     BEACH_KILL_ROUNDS=100 swift test --filter ServerKillLoopTests
@Suite(.timeLimit(.minutes(1)))
struct ServerKillLoopTests {
  @Test func sigkillOfTheServerNeverLosesAnAcknowledgedWrite() async throws {
    let rounds = ProcessInfo.processInfo.environment["BEACH_KILL_ROUNDS"].flatMap(Int.init) ?? 4
    let directory = try TemporaryDirectory(prefix: "beach-server-kill")
    defer { directory.remove() }
    let dbPath = directory.path + "/db"
    var random = SeededGenerator(seed: 42)
    var state: [Bytes: Bytes] = [:]
    var acknowledged = 0

    var server = try ServeProcess(directory: dbPath)
    defer { server.kill() }
    for round in 0..<rounds {
      let client = try await Client.connect(host: "127.0.0.1", port: server.port)
      var oracle = CrashOracle(startingFrom: state)
      let victim = server
      let delay = Int.random(in: 40...400, using: &random)
      let killer = Task {
        try? await Task.sleep(for: .milliseconds(delay))
        victim.kill()
      }
      for index in 0..<1_000_000 {
        let batch = Self.randomBatch(round: round, index: index, using: &random)
        oracle.begin(batch)
        do throws(ClientError) {
          if batch.count > 1 {
            try await client.write(batch)
          } else if case .put(let key, let value) = batch.operations[0] {
            try await client.put(key, value)
          } else if case .delete(let key) = batch.operations[0] {
            try await client.delete(key)
          }
        } catch {
          #expect(Self.isTheKill(error), "round \(round): \(error)")
          break
        }
        oracle.acknowledge(synced: true)
      }
      await killer.value
      #expect(victim.waitForExit() == .killed, "round \(round): the server was not killed by the signal")
      await client.close()

      server = try ServeProcess(directory: dbPath)
      let recovered = try await Self.contents(port: server.port)
      #expect(
        oracle.check(recovered) == nil,
        "round \(round), killed after \(delay) ms, \(oracle.acknowledged) acknowledged: \(oracle.check(recovered) ?? "")"
      )
      acknowledged += oracle.acknowledged
      state = recovered
    }
    #expect(acknowledged > 0, "no write was acknowledged in \(rounds) rounds")

    // The last server stops gracefully; then the directory, opened here,
    // holds what it served.
    server.terminate()
    #expect(server.waitForExit() == .exited(0))
    let database = try Chapter6Compaction.Database.open(directory: dbPath, fileSystem: DiskFileSystem())
    let contents = try database.contents()
    try database.close()
    #expect(contents == state)
  }

  /// Whether a write failed the way a killed server makes it fail: the
  /// connection closed (a reset, when the kernel resets a socket closed
  /// with unread bytes, is reported as a close too).
  static func isTheKill(_ error: ClientError) -> Bool { error == .connectionClosed }

  /// A PUT, a DELETE (one in five) or a BATCH of two or three (one in five)
  /// on a small key space, so later writes overwrite earlier ones.
  static func randomBatch(round: Int, index: Int, using random: inout SeededGenerator) -> WriteBatch {
    var batch = WriteBatch()
    let roll = random.next() % 5
    let count = roll == 0 ? 2 + Int(random.next() % 2) : 1
    for operation in 0..<count {
      let key = Bytes(utf8: "k\(random.next() % 60)")
      if roll == 1 || (roll == 0 && operation == 1) {
        batch.delete(key)
      } else {
        batch.put(key, Bytes(utf8: "v\(round)-\(index).\(operation)"))
      }
    }
    return batch
  }

  /// Everything the server at `port` holds, read a page at a time.
  static func contents(port: Int) async throws -> [Bytes: Bytes] {
    let client = try await Client.connect(host: "127.0.0.1", port: port)
    var contents: [Bytes: Bytes] = [:]
    var start: Bytes? = []
    while let from = start {
      let page = try await client.scan(from: from, limit: 100)
      for entry in page.entries { contents[entry.key] = entry.value }
      start = page.resumeKey
    }
    await client.close()
    return contents
  }
}

/// A `beach serve --port 0` child process, and the port it printed (later
/// chapters' kill loops start their servers through it too).
final class ServeProcess: @unchecked Sendable {
  enum Exit: Equatable {
    case exited(Int32)
    case killed
    case signalled(Int32)
    case stillRunning
  }

  private let process = Process()
  let port: Int

  convenience init(directory: String) throws {
    try self.init(arguments: [
      "serve", "--dir", directory, "--port", "0", "--sync", "on", "--memtable-size", "4096", "--log-level", "error",
    ])
  }

  /// Runs `beach` with `arguments`; returns once it printed the line
  /// naming the address it listens on.
  ///
  /// - Parameter standardError: where its standard error goes (nowhere by
  ///   default).
  init(arguments: [String], standardError: FileHandle = .nullDevice) throws {
    process.executableURL = try KillLoopTests.beachExecutable()
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = standardError
    try process.run()
    let reader = FirstLineReader(pipe.fileHandleForReading)
    guard let line = reader.firstLine(within: .seconds(20)) else {
      Glibc.kill(process.processIdentifier, SIGKILL)
      throw CocoaError(.fileReadUnknown, userInfo: [NSDebugDescriptionErrorKey: "beach serve printed no address"])
    }
    // "beach serve: listening on 127.0.0.1:PORT (chapter 7 engine, …)"
    // (or "beach serve: node 2 listening on 127.0.0.1:PORT (raft, …)")
    guard let range = line.range(of: "listening on 127.0.0.1:"),
      let port = Int(line[range.upperBound...].prefix { $0.isNumber })
    else {
      Glibc.kill(process.processIdentifier, SIGKILL)
      throw CocoaError(.fileReadCorruptFile, userInfo: [NSDebugDescriptionErrorKey: "unexpected first line: \(line)"])
    }
    self.port = port
  }

  var processIdentifier: Int32 { process.processIdentifier }

  func kill() {
    if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
  }

  /// SIGTERM: `beach serve` stops gracefully.
  func terminate() {
    if process.isRunning { process.terminate() }
  }

  /// How the process ended, waiting up to `timeout` for it.
  func waitForExit(within timeout: Duration = .seconds(10)) -> Exit {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while process.isRunning {
      guard clock.now < deadline else { return .stillRunning }
      usleep(5000)
    }
    switch process.terminationReason {
    case .exit: return .exited(process.terminationStatus)
    case .uncaughtSignal:
      return process.terminationStatus == SIGKILL ? .killed : .signalled(process.terminationStatus)
    @unknown default: return .signalled(-1)
    }
  }
}

/// Reads a pipe on a thread of its own: hands over the first line, then
/// drains the rest so the child never blocks writing.
private final class FirstLineReader: @unchecked Sendable {
  private let ready = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  private var line: String?

  init(_ handle: FileHandle) {
    let thread = Thread { [self] in
      var data = Data()
      var signalled = false
      while true {
        let chunk = handle.availableData
        if chunk.isEmpty { break }
        guard !signalled else { continue }
        data.append(chunk)
        if let newline = data.firstIndex(of: UInt8(ascii: "\n")) {
          lock.withLock { line = String(decoding: data[..<newline], as: UTF8.self) }
          signalled = true
          ready.signal()
        }
      }
      if !signalled { ready.signal() }
    }
    thread.start()
  }

  func firstLine(within timeout: Duration) -> String? {
    let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
    guard ready.wait(timeout: .now() + seconds) == .success else { return nil }
    return lock.withLock { line }
  }
}
