import ArgumentParser
import Chapter1WAL
import Chapter8Raft
import Foundation

/// `beach raft-sim`: seeded simulations of a Raft cluster with faults, each
/// checked for state machine safety and linearizability.
struct RaftSimCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "raft-sim",
    abstract: "Run seeded simulations of a Raft cluster under faults and check each for linearizability.",
    discussion: """
      Each run is a cluster, its network and its clients on a virtual clock, every choice drawn from the seed: \
      messages dropped, delayed, duplicated and reordered, partitions, power cuts. A failure prints the command \
      that replays it. --bug builds in a known mistake, to see the checks catch it.
      """
  )

  @Option(help: "The first seed.") var seed: UInt64 = 1
  @Option(help: "How many seeds, from --seed on.") var runs = 1
  @Option(help: "Nodes in the cluster.") var nodes = 3
  @Option(help: "A mistake to build in: \(RaftBug.allCases.map(\.rawValue).joined(separator: ", ")).")
  var bug: [String] = []
  @Flag(help: "Harsh weather: five nodes, frequent power cuts and partitions, a lossy network.") var storm = false
  @Flag(help: "No faults at all.") var calm = false
  @Flag(help: "Answer reads from the leader's lease.") var leaseReads = false
  @Flag(help: "Turn CheckQuorum off.") var noCheckQuorum = false
  @Flag(help: "Print each run's faults and elections.") var verbose = false

  func run() throws {
    guard (1...1_000_000).contains(runs), (1...9).contains(nodes) else {
      throw ValidationError("--runs must be 1 to 1000000 and --nodes 1 to 9")
    }
    let bugs = try Set(
      bug.flatMap { $0.split(separator: ",") }.map { name in
        guard let bug = RaftBug(rawValue: String(name)) else {
          throw ValidationError(
            "unknown bug '\(name)'; the bugs are \(RaftBug.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return bug
      })
    let campaign = try SimulationCampaign.run(seeds: seed...seed + UInt64(runs - 1)) { seed in
      options(seed: seed, bugs: bugs)
    }
    for line in Self.report(campaign, verbose: verbose) { print(line) }
    if !campaign.failures.isEmpty && bugs.isEmpty { throw ExitCode(1) }
  }

  func options(seed: UInt64, bugs: Set<RaftBug>) -> SimulationOptions {
    var options = storm ? SimulationOptions.storm(seed: seed) : calm ? .calm(seed: seed) : SimulationOptions(seed: seed)
    if !storm { options.nodes = nodes }
    options.bugs = bugs
    options.leaseReads = leaseReads
    options.checkQuorum = !noCheckQuorum
    return options
  }

  static func report(_ campaign: SimulationCampaign, verbose: Bool) -> [String] {
    var lines: [String] = []
    for failure in campaign.failures.prefix(10) {
      lines.append("FAIL \(failure.options.replay)")
      if verbose { lines += failure.log.map { "  " + $0 } }
      lines += failure.violations.map { "  " + $0.split(separator: "\n").joined(separator: "\n  ") }
    }
    let passed = campaign.runs - campaign.failures.count
    lines.append(
      "\(Format.plural(campaign.runs, "run")): \(passed) passed, \(campaign.failures.count) failed; "
        + "\(Format.plural(campaign.operations, "operation")) checked, \(Format.plural(campaign.crashes, "power cut")), "
        + "\(Format.plural(campaign.partitions, "partition"))")
    lines.append(
      "\(String(format: "%.1f", campaign.runsPerSecond)) runs/s; the checker: "
        + "\(String(format: "%.2f", campaign.checkMillisecondsPerHistory)) ms per history")
    lines.append(
      "first leader after (virtual ms): p50 \(campaign.firstLeaderPercentile(50)), "
        + "p90 \(campaign.firstLeaderPercentile(90)), p99 \(campaign.firstLeaderPercentile(99)), "
        + "max \(campaign.firstLeaderPercentile(100))")
    return lines
  }
}
