import Chapter1WAL

/// What one simulated run does: how many nodes and clients, for how long,
/// and which faults it throws at them. Every choice inside the run is drawn
/// from `seed`, so a run is reproduced exactly by its options.
public struct SimulationOptions: Sendable, Equatable {
  public var seed: UInt64
  public var nodes = 3
  public var clients = 3
  /// Keys the clients share (few keys: more contention, more to check).
  public var keys = 3
  /// Virtual milliseconds of client traffic.
  public var duration: UInt64 = 3_000
  /// Virtual milliseconds per tick (a node's election timeout is 10 to 19 ticks).
  public var tickMilliseconds: UInt64 = 10
  /// One-way network delay, drawn uniformly; overlapping delays reorder.
  public var delay: ClosedRange<UInt64> = 1...8
  /// Chance a message is lost, duplicated.
  public var dropRate = 0.02
  public var duplicateRate = 0.02
  /// Mean virtual milliseconds between partitions (0: none); each lasts
  /// 100–600 ms and is symmetric or one-way.
  public var partitionEvery: UInt64 = 700
  /// Mean virtual milliseconds between power cuts (0: none); the node comes
  /// back 50–400 ms later with whatever was synced.
  public var crashEvery: UInt64 = 900
  /// Cut the power of the leader, when there is one, rather than of a node
  /// chosen at random: leaders that fall with their last entries on a
  /// minority are what Figure 8 is made of.
  public var crashLeaders = false
  /// Snapshot every this many applied entries (0: never).
  public var snapshotEvery = 40
  /// A client gives up on a node after this long and tries the next.
  public var clientTimeout: UInt64 = 150
  /// The share of client operations that are reads.
  public var readShare = 0.4
  /// At most this many entries in one append: small values split the log
  /// into more messages, and so into more interleavings.
  public var maxEntriesPerAppend = 64
  public var preVote = true
  public var checkQuorum = true
  public var leaseReads = false
  public var bugs: Set<RaftBug> = []

  /// The named weather the options started from (`storm`, `calm`), if
  /// any, so that `replay` can say it.
  public var profile: String?

  public init(seed: UInt64) { self.seed = seed }

  /// No faults at all: a calm network and no crashes.
  public static func calm(seed: UInt64) -> SimulationOptions {
    var options = SimulationOptions(seed: seed)
    options.dropRate = 0
    options.duplicateRate = 0
    options.partitionEvery = 0
    options.crashEvery = 0
    options.profile = "calm"
    return options
  }

  /// Harsh weather for hunting bugs: five nodes, power cuts every 150 ms on
  /// average, partitions every 250 ms, a lossy, slow network.
  public static func storm(seed: UInt64) -> SimulationOptions {
    var options = SimulationOptions(seed: seed)
    options.nodes = 5
    options.clients = 4
    options.crashEvery = 150
    options.partitionEvery = 250
    options.dropRate = 0.08
    options.delay = 1...20
    options.maxEntriesPerAppend = 1
    options.profile = "storm"
    return options
  }

  /// Leaders falling one after another, as in Figure 8 (and MIT 6.5840's
  /// test of it): five nodes, the leader's power cut every 300 ms on
  /// average, back 50 to 400 ms later, a lossy network, one entry per append.
  public static func figure8(seed: UInt64) -> SimulationOptions {
    var options = storm(seed: seed)
    options.crashLeaders = true
    options.crashEvery = 300
    options.partitionEvery = 0
    options.profile = "figure-8"
    return options
  }

  /// The command line that replays this run (for options made by
  /// `init(seed:)`, `storm` or `calm`, then changed only in the settings
  /// the command has flags for).
  public var replay: String {
    var parts = ["beach raft-sim --seed \(seed)"]
    if let profile { parts.append("--\(profile)") }
    if profile != "storm" && profile != "figure-8" && nodes != 3 { parts.append("--nodes \(nodes)") }
    if !bugs.isEmpty { parts.append("--bug " + bugs.map(\.rawValue).sorted().joined(separator: ",")) }
    if leaseReads { parts.append("--lease-reads") }
    if !checkQuorum { parts.append("--no-check-quorum") }
    return parts.joined(separator: " ")
  }
}
