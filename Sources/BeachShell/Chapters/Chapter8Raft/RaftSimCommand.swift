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
  @Flag(name: .customLong("figure-8"), help: "Leaders losing power one after another, five nodes (Figure 8's weather).")
  var figure8 = false
  @Flag(help: "Answer reads from the leader's lease.") var leaseReads = false
  @Flag(help: "Turn CheckQuorum off.") var noCheckQuorum = false
  @Flag(help: "Print each run's faults and elections.") var verbose = false
  @Option(help: "Mean virtual ms between power cuts (0: none); overrides the profile's.") var crashEvery: UInt64?
  @Option(help: "Mean virtual ms between partitions (0: none); overrides the profile's.") var partitionEvery: UInt64?
  @Option(help: "The share of messages lost, 0 to 0.5; overrides the profile's.") var dropRate: Double?
  @Option(help: "At most this many entries in one append; overrides the profile's.") var maxAppend: Int?

  func run() throws {
    guard (1...1_000_000).contains(runs), (1...9).contains(nodes) else {
      throw ValidationError("--runs must be 1 to 1000000 and --nodes 1 to 9")
    }
    guard dropRate.map({ (0...0.5).contains($0) }) ?? true, maxAppend.map({ (1...4096).contains($0) }) ?? true,
      crashEvery.map({ $0 == 0 || $0 >= 10 }) ?? true, partitionEvery.map({ $0 == 0 || $0 >= 10 }) ?? true
    else {
      throw ValidationError("--drop-rate must be 0 to 0.5, --max-append 1 to 4096, the intervals 0 or at least 10 ms")
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
    let tuned = crashEvery != nil || partitionEvery != nil || dropRate != nil || maxAppend != nil
    for line in Self.report(campaign, verbose: verbose, tuned: tuned) { print(line) }
    if !campaign.failures.isEmpty && bugs.isEmpty { throw ExitCode(1) }
  }

  func options(seed: UInt64, bugs: Set<RaftBug>) -> SimulationOptions {
    var options =
      figure8
      ? SimulationOptions.figure8(seed: seed)
      : storm ? .storm(seed: seed) : calm ? .calm(seed: seed) : SimulationOptions(seed: seed)
    if !storm && !figure8 { options.nodes = nodes }
    options.bugs = bugs
    options.leaseReads = leaseReads
    options.checkQuorum = !noCheckQuorum
    if let crashEvery { options.crashEvery = crashEvery }
    if let partitionEvery { options.partitionEvery = partitionEvery }
    if let dropRate { options.dropRate = dropRate }
    if let maxAppend { options.maxEntriesPerAppend = maxAppend }
    return options
  }

  static func report(_ campaign: SimulationCampaign, verbose: Bool, tuned: Bool) -> [String] {
    var lines: [String] = []
    for failure in campaign.failures.prefix(10) {
      lines.append("FAIL \(failure.options.replay)" + (tuned ? " (with the same tuning flags)" : ""))
      if verbose { lines += failure.log.map { "  " + $0 } }
      lines += failure.violations.map { "  " + $0.split(separator: "\n").joined(separator: "\n  ") }
    }
    let passed = campaign.runs - campaign.failures.count
    lines.append(
      "\(Format.plural(campaign.runs, "run")): \(passed) passed, \(campaign.failures.count) failed; "
        + "\(Format.plural(campaign.operations, "operation")) checked, \(Format.plural(campaign.crashes, "power cut")), "
        + "\(Format.plural(campaign.partitions, "partition")), \(Format.plural(campaign.messages, "message"))")
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
