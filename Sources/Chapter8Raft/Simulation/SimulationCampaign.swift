import Chapter1WAL

/// Many seeded simulations in a row, and what they add up to: how many
/// passed, the first failures with the command that replays each, how fast
/// the simulator and the checker ran, and how long elections took.
public struct SimulationCampaign: Sendable {
  public var runs = 0
  public var failures: [Simulation.Outcome] = []
  /// Real time for the whole campaign, and for the checker alone.
  public var elapsed: Duration = .zero
  public var checking: Duration = .zero
  /// Virtual milliseconds to the first leader, per run.
  public var firstLeaderTimes: [UInt64] = []
  public var operations = 0
  public var messages = 0
  public var crashes = 0
  public var partitions = 0

  /// Runs one simulation per seed.
  ///
  /// - Parameters:
  ///   - seeds: the seeds, one run each.
  ///   - options: the options for a seed (`SimulationOptions.init(seed:)`,
  ///     `.storm`, `.calm`, with bugs or without).
  public static func run(
    seeds: ClosedRange<UInt64>, options: (UInt64) -> SimulationOptions
  ) throws -> SimulationCampaign {
    var campaign = SimulationCampaign()
    let clock = ContinuousClock()
    let start = clock.now
    for seed in seeds {
      let outcome = try Simulation.run(options(seed))
      campaign.runs += 1
      campaign.checking += outcome.checkDuration
      campaign.operations += outcome.stats.operationsCompleted
      campaign.messages += outcome.stats.messagesSent
      campaign.crashes += outcome.stats.crashes
      campaign.partitions += outcome.stats.partitions
      if let first = outcome.stats.firstLeaderAt { campaign.firstLeaderTimes.append(first) }
      if !outcome.passed { campaign.failures.append(outcome) }
    }
    campaign.elapsed = clock.now - start
    return campaign
  }

  /// Runs per second of real time.
  public var runsPerSecond: Double {
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return seconds > 0 ? Double(runs) / seconds : 0
  }

  /// The checker's mean time per history, in milliseconds.
  public var checkMillisecondsPerHistory: Double {
    let seconds = Double(checking.components.seconds) + Double(checking.components.attoseconds) / 1e18
    return runs > 0 ? seconds * 1000 / Double(runs) : 0
  }

  /// The `p`-th percentile (0...100) of the time to the first leader.
  public func firstLeaderPercentile(_ p: Double) -> UInt64 {
    guard !firstLeaderTimes.isEmpty else { return 0 }
    let sorted = firstLeaderTimes.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p / 100 + 0.5))]
  }
}
