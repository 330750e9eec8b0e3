import BeachShell
import Chapter1WAL
import Chapter8Raft
import Foundation
import TestSupport
import Testing

/// `ServerKillLoopTests` for a cluster: three real `beach serve --raft`
/// processes on loopback, a `ClusterClient` writing to them without pause,
/// and SIGKILL of whichever node leads, round after round.
///
/// Each write is a new key, so every acknowledged write can be checked at
/// the end: read back through the cluster (linearizable reads), each must
/// hold its value. Each round measures the failover: from the kill to the
/// first write acknowledged after it (an election, the client finding the
/// new leader, and the retry of the write that was in flight). The killed
/// node restarts on its directory and rejoins. In the last round it stays
/// down while the others write well past `--snapshot-every`, so the leader
/// has compacted its log beyond what the node holds, and the node can only
/// catch up by snapshot.
///
///     BEACH_RAFT_KILL_ROUNDS=10 swift test --filter RaftKillLoopTests
@Suite(.timeLimit(.minutes(2)))
struct RaftKillLoopTests {
  static let snapshotEvery = 20

  @Test func sigkillOfTheLeaderNeverLosesAnAcknowledgedWrite() async throws {
    let rounds = ProcessInfo.processInfo.environment["BEACH_RAFT_KILL_ROUNDS"].flatMap(Int.init) ?? 4
    let directory = try TemporaryDirectory(prefix: "beach-raft-kill")
    defer { directory.remove() }
    let cluster = try Cluster(root: directory.path)
    defer { cluster.killAll() }
    let observer = ClusterClient(members: cluster.members, options: Self.patient)
    let writer = Writer(client: ClusterClient(members: cluster.members, options: Self.patient))
    let writing = Task { await writer.run() }

    var failovers: [Duration] = []
    for round in 0..<rounds {
      try await writer.waitForAcknowledgements(beyond: writer.acknowledged + 150)
      let leader = try await Self.leader(of: cluster, asking: observer)
      let before = try await observer.status(of: leader)
      let killedAt = ContinuousClock.now
      cluster.kill(leader)
      let acknowledgedAtKill = writer.acknowledged
      let failover = try await writer.firstAcknowledgement(after: killedAt)
      failovers.append(failover)
      print("round \(round): killed leader node \(leader); a write was acknowledged again after \(failover)")

      let lastRound = round == rounds - 1
      if lastRound {
        // Keep it down while the others write far past a snapshot.
        try await writer.waitForAcknowledgements(beyond: acknowledgedAtKill + 5 * Self.snapshotEvery)
        let newLeader = try await Self.leader(of: cluster, asking: observer)
        let leading = try await observer.status(of: newLeader)
        try cluster.start(leader)
        let caughtUp = try await Self.waitUntil(node: leader, applies: leading.commit, asking: observer)
        let status = try await observer.status(of: leader)
        print(
          "node \(leader) restarted about \(leading.commit - before.lastIndex) entries behind (its log ended at "
            + "\(before.lastIndex)); "
            + "the leader's log began at \(leading.firstIndex); it caught up in \(caughtUp) "
            + "(its own log now begins at \(status.firstIndex))")
        #expect(
          // One write at most was in flight when it was killed.
          leading.firstIndex > before.lastIndex + 2,
          "the leader had not compacted past the node it left behind, so no snapshot was needed")
        #expect(status.applied >= leading.commit)
      } else {
        try cluster.start(leader)
      }
    }
    try await writer.waitForAcknowledgements(beyond: writer.acknowledged + 20)
    await writer.stop()
    await writing.value

    // Every acknowledged write, read back through the cluster.
    let acknowledged = writer.keys
    var lost: [Int] = []
    let reader = ClusterClient(members: cluster.members, options: Self.patient)
    for n in acknowledged {
      let value = try await reader.get(Writer.key(n))
      if value != Writer.value(n) { lost.append(n) }
    }
    await reader.close()
    await observer.close()
    let times = failovers.map { "\($0)" }.joined(separator: ", ")
    print(
      "raft kill loop: \(rounds) leaders killed, \(acknowledged.count) writes acknowledged, \(lost.count) lost; "
        + "failover times \(times)")
    #expect(lost.isEmpty, "acknowledged writes lost: \(lost.prefix(10))")
    #expect(acknowledged.count > 100)
    #expect(failovers.allSatisfy { $0 < .seconds(5) })
  }

  static var patient: ClusterClient.Options {
    var options = ClusterClient.Options()
    options.attemptTimeout = .milliseconds(500)
    options.giveUpAfter = .seconds(20)
    return options
  }

  /// The node that says it leads (the highest term, if two do).
  static func leader(of cluster: Cluster, asking client: ClusterClient) async throws -> NodeID {
    let clock = ContinuousClock()
    let giveUp = clock.now + .seconds(10)
    while clock.now < giveUp {
      var best: NodeStatus?
      for id in cluster.members.ids where cluster.isRunning(id) {
        if let status = try? await client.status(of: id), status.role == .leader,
          status.term > best?.term ?? 0
        {
          best = status
        }
      }
      if let best { return best.id }
      try await Task.sleep(for: .milliseconds(20))
    }
    throw ClusterConfigurationError("no leader within 10 s")
  }

  /// Waits until `node` has applied `index`; returns how long it took.
  static func waitUntil(node: NodeID, applies index: LogIndex, asking client: ClusterClient) async throws
    -> Duration
  {
    let clock = ContinuousClock()
    let start = clock.now
    while clock.now - start < .seconds(15) {
      if let status = try? await client.status(of: node), status.applied >= index { return clock.now - start }
      try await Task.sleep(for: .milliseconds(10))
    }
    throw ClusterConfigurationError("node \(node) did not apply \(index) within 15 s")
  }
}

/// Three `beach serve --raft` processes on free loopback ports.
final class Cluster: @unchecked Sendable {
  let root: String
  let members: ClusterMembers
  private var processes: [NodeID: ServeProcess] = [:]

  init(root: String) throws {
    self.root = root
    let ports = try freePorts(3)
    var addresses: [NodeID: ClusterMembers.Address] = [:]
    for (index, port) in ports.enumerated() {
      addresses[NodeID(index + 1)] = ClusterMembers.Address(host: "127.0.0.1", port: port)
    }
    members = ClusterMembers(addresses)
    for id in members.ids { try start(id) }
  }

  func start(_ id: NodeID) throws {
    let log = root + "/node\(id).err"
    if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    handle.seekToEndOfFile()
    processes[id] = try ServeProcess(
      arguments: [
        "serve", "--raft", "--id", "\(id)", "--peers", members.description, "--dir", root + "/node\(id)",
        "--snapshot-every", "\(RaftKillLoopTests.snapshotEvery)", "--memtable-size", "65536", "--log-level", "error",
      ], standardError: handle)
  }

  func isRunning(_ id: NodeID) -> Bool { processes[id] != nil }

  /// SIGKILL, and waits for the process to be gone.
  func kill(_ id: NodeID) {
    guard let process = processes.removeValue(forKey: id) else { return }
    process.kill()
    #expect(process.waitForExit() == .killed)
  }

  func killAll() {
    for id in members.ids { kill(id) }
  }
}

/// Writes key 0, 1, 2, … through one `ClusterClient`, one at a time, and
/// notes when each was acknowledged.
final class Writer: Sendable {
  let client: ClusterClient
  private let state = Locked<(acknowledged: [(key: Int, at: ContinuousClock.Instant)], stopping: Bool)>(([], false))

  init(client: ClusterClient) { self.client = client }

  static func key(_ n: Int) -> Bytes { Bytes(utf8: "key-\(n)") }
  static func value(_ n: Int) -> Bytes { Bytes(utf8: "value-\(n)") }

  var acknowledged: Int { state.withLock { $0.acknowledged.count } }
  var keys: [Int] { state.withLock { $0.acknowledged.map(\.key) } }

  func run() async {
    var n = 0
    while !state.withLock({ $0.stopping }) {
      do {
        try await client.put(Self.key(n), Self.value(n))
      } catch {
        // Gave up after `giveUpAfter`: not acknowledged, so not checked;
        // the next write is a new key.
        Issue.record("write \(n) was never acknowledged: \(error)")
        n += 1
        continue
      }
      state.withLock { $0.acknowledged.append((n, .now)) }
      n += 1
    }
    await client.close()
  }

  func stop() async { state.withLock { $0.stopping = true } }

  func waitForAcknowledgements(beyond count: Int) async throws {
    let clock = ContinuousClock()
    let giveUp = clock.now + .seconds(20)
    while acknowledged < count {
      guard clock.now < giveUp else { throw ClusterConfigurationError("only \(acknowledged) of \(count) writes") }
      try await Task.sleep(for: .milliseconds(5))
    }
  }

  /// The time from `instant` to the first acknowledgement after it.
  func firstAcknowledgement(after instant: ContinuousClock.Instant) async throws -> Duration {
    let clock = ContinuousClock()
    while clock.now - instant < .seconds(20) {
      if let first = state.withLock({ $0.acknowledged.first { $0.at > instant }?.at }) {
        return first - instant
      }
      try await Task.sleep(for: .milliseconds(2))
    }
    throw ClusterConfigurationError("no write acknowledged within 20 s of the kill")
  }
}
