import Chapter1WAL
import Foundation

/// A recorded sequence of block reads, to replay against a cache and count
/// its hits: how the chapter compares eviction policies on the same
/// workload.
///
/// A replay does what the engine's read path does with each access: look
/// the block up, insert it on a miss (as if it had been read from disk),
/// and release the handle at once. Keys are plain numbers (think "file
/// number and block offset" folded into one), hashed by a fixed function,
/// so a replay gives the same figures in every run.
///
/// `mixed` generates the workload that separates LRU from S3-FIFO: point
/// reads over a hot set, a long sequential scan, then point reads again.
public struct CacheTrace: Sendable {
  /// One block read.
  public struct Access: Sendable, Equatable {
    /// The block.
    public var key: UInt64
    /// Its size in bytes, charged against the capacity.
    public var charge: Int

    public init(key: UInt64, charge: Int) {
      self.key = key
      self.charge = charge
    }
  }

  /// A named stretch of the trace, such as "scan".
  public struct Phase: Sendable, Equatable {
    /// What the accesses in it do.
    public var name: String
    /// Their positions in `accesses`.
    public var range: Range<Int>

    public init(name: String, range: Range<Int>) {
      self.name = name
      self.range = range
    }
  }

  /// One phase's lookups during a replay.
  public struct PhaseResult: Sendable, Equatable {
    /// The phase's name.
    public var name: String
    /// Lookups in the phase that hit.
    public var hits: Int
    /// Lookups in the phase.
    public var lookups: Int

    /// `hits / lookups`, 0 for an empty phase.
    public var hitRatio: Double { lookups == 0 ? 0 : Double(hits) / Double(lookups) }
  }

  /// The reads, in order.
  public var accesses: [Access]
  /// The trace's phases, in order, covering `accesses`; empty if it has
  /// none.
  public var phases: [Phase]

  public init(_ accesses: [Access], phases: [Phase] = []) {
    self.accesses = accesses
    self.phases = phases
  }

  /// The charge of every distinct key, counted once: the capacity at which
  /// only first reads miss.
  public var distinctCharge: Int {
    var charges: [UInt64: Int] = [:]
    for access in accesses { charges[access.key] = access.charge }
    return charges.values.reduce(0, +)
  }

  /// Distinct keys in the trace.
  public var distinctKeys: Int { Set(accesses.map(\.key)).count }

  /// Point reads, a scan, point reads: the workload where LRU loses its hot
  /// set.
  ///
  /// Phase 1 reads `pointReads` blocks from a hot set of `hotBlocks`,
  /// skewed: the block of popularity rank `r` is read with probability
  /// proportional to 1 / (r + 1)^`skew` (Zipf's law, as real key
  /// popularity roughly follows). Phase 2 reads `scanBlocks` other blocks
  /// once each, in order, as a range scan or a compaction does. Phase 3 is
  /// phase 1 again, with the same popularity.
  ///
  /// - Parameters:
  ///   - seed: seeds the point reads; the same seed gives the same trace.
  ///   - hotBlocks: the hot set's size, keys `0..<hotBlocks`.
  ///   - scanBlocks: the scan's length, keys from `hotBlocks` on.
  ///   - pointReads: reads in each of phases 1 and 3.
  ///   - skew: Zipf's exponent; 0 is uniform, larger is more skewed.
  ///   - blockSize: every block's charge.
  public static func mixed(
    seed: UInt64 = 0x5C4_F1F0, hotBlocks: Int = 10_000, scanBlocks: Int = 100_000,
    pointReads pointReadCount: Int = 50_000,
    skew: Double = 0.9, blockSize: Int = 4096
  ) -> CacheTrace {
    var random = SeededGenerator(seed: seed)
    // Popularity rank → block, shuffled so the hottest blocks are not the
    // lowest numbers (a fixed hash would not care, but a reader might).
    let blockOfRank = (0..<UInt64(hotBlocks)).shuffled(using: &random)
    let zipf = ZipfDistribution(count: hotBlocks, skew: skew)

    var accesses: [Access] = []
    var phases: [Phase] = []
    accesses.reserveCapacity(2 * pointReadCount + scanBlocks)
    func phase(_ name: String, _ append: () -> Void) {
      let start = accesses.count
      append()
      phases.append(Phase(name: name, range: start..<accesses.count))
    }
    func readHotBlocks() {
      for _ in 0..<pointReadCount {
        accesses.append(Access(key: blockOfRank[zipf.sample(using: &random)], charge: blockSize))
      }
    }
    phase("point reads", readHotBlocks)
    phase("scan") {
      for block in 0..<scanBlocks { accesses.append(Access(key: UInt64(hotBlocks + block), charge: blockSize)) }
    }
    phase("point reads after the scan", readHotBlocks)
    return CacheTrace(accesses, phases: phases)
  }

  /// Replays `trace` against a new cache: lookup, insert on a miss, release
  /// at once.
  ///
  /// - Returns: the cache's statistics at the end.
  public static func replay(_ trace: CacheTrace, policy: CachePolicy, capacity: Int, shards: Int = 16) -> CacheStats {
    let cache = ShardedCache<UInt64, Void>(capacity: capacity, shardCount: shards, policy: policy) { $0 }
    replay(trace.accesses[...], into: cache)
    return cache.stats
  }

  private static func replay(_ accesses: ArraySlice<Access>, into cache: ShardedCache<UInt64, Void>) {
    for access in accesses {
      if let hit = cache.lookup(access.key) {
        hit.release()
      } else {
        cache.insert(access.key, (), charge: access.charge).release()
      }
    }
  }

  /// Replays `trace` as `replay` does, counting each phase's hits apart:
  /// the whole trace's hit ratio hides what a scan does to the reads after
  /// it.
  ///
  /// - Returns: one result per phase, in order.
  public static func replayByPhase(
    _ trace: CacheTrace, policy: CachePolicy, capacity: Int, shards: Int = 16
  ) -> [PhaseResult] {
    let cache = ShardedCache<UInt64, Void>(capacity: capacity, shardCount: shards, policy: policy) { $0 }
    return trace.phases.map { phase in
      let before = cache.stats
      replay(trace.accesses[phase.range], into: cache)
      let after = cache.stats
      return PhaseResult(name: phase.name, hits: after.hits - before.hits, lookups: after.lookups - before.lookups)
    }
  }
}

// MARK: - Comparing policies

extension CacheTrace {
  /// Both policies' results at one capacity.
  public struct Comparison: Sendable {
    /// The capacity as a fraction of the trace's distinct charge.
    public var fraction: Double
    /// The capacity replayed.
    public var capacity: Int
    /// LRU's statistics.
    public var lru: CacheStats
    /// S3-FIFO's statistics.
    public var s3fifo: CacheStats
    /// LRU's results phase by phase.
    public var lruPhases: [PhaseResult]
    /// S3-FIFO's results phase by phase.
    public var s3fifoPhases: [PhaseResult]
  }

  /// The capacities of the chapter's table: 2% to 100% of the distinct
  /// charge.
  public static let standardFractions = [0.02, 0.05, 0.10, 0.20, 0.50, 1.00]

  /// Replays `trace` under both policies at each fraction of its distinct
  /// charge.
  public static func compare(
    _ trace: CacheTrace, fractions: [Double] = standardFractions, shards: Int = 16
  ) -> [Comparison] {
    let distinct = trace.distinctCharge
    return fractions.map { fraction in
      let capacity = Int((Double(distinct) * fraction).rounded())
      return Comparison(
        fraction: fraction, capacity: capacity,
        lru: replay(trace, policy: .lru, capacity: capacity, shards: shards),
        s3fifo: replay(trace, policy: .s3fifo, capacity: capacity, shards: shards),
        lruPhases: replayByPhase(trace, policy: .lru, capacity: capacity, shards: shards),
        s3fifoPhases: replayByPhase(trace, policy: .s3fifo, capacity: capacity, shards: shards))
    }
  }

  /// The comparison as a Markdown table of hit ratios: over the whole
  /// trace, then over its last phase (for `mixed`, the point reads after
  /// the scan).
  ///
  /// ```
  ///  | capacity | LRU | S3-FIFO | LRU, last phase | S3-FIFO, last phase |
  ///  |---------:|----:|--------:|----------------:|--------------------:|
  ///  |    10.0% | ... |     ... |             ... |                 ... |
  /// ```
  public static func table(_ rows: [Comparison]) -> String {
    func percent(_ value: Double?) -> String {
      guard let value else { return "-" }
      let tenths = Int((value * 1000).rounded())
      return "\(tenths / 10).\(tenths % 10)%"
    }
    var lines = [
      "| capacity | LRU | S3-FIFO | LRU, last phase | S3-FIFO, last phase |",
      "|---------:|----:|--------:|----------------:|--------------------:|",
    ]
    for row in rows {
      let cells = [
        row.fraction, row.lru.hitRatio, row.s3fifo.hitRatio, row.lruPhases.last?.hitRatio,
        row.s3fifoPhases.last?.hitRatio,
      ]
      lines.append("| " + cells.map(percent).joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n")
  }

  /// The mean time of one lookup hit and its release, in nanoseconds: a
  /// cache of `entries` blocks, all resident, looked up `lookups` times in
  /// a seeded random order on one thread. A rough figure for comparing
  /// policies in the same build, not a benchmark.
  public static func nanosecondsPerHit(
    policy: CachePolicy, entries: Int = 10_000, lookups: Int = 1_000_000, shards: Int = 16
  ) -> Double {
    // Twice the room: the keys do not spread over the shards exactly evenly,
    // and every one of them must stay resident for every lookup to hit.
    let cache = ShardedCache<UInt64, Void>(capacity: 2 * entries, shardCount: shards, policy: policy) { $0 }
    for key in 0..<UInt64(entries) { cache.insert(key, (), charge: 1).release() }
    var random = SeededGenerator(seed: 1)
    let keys = (0..<lookups).map { _ in UInt64.random(in: 0..<UInt64(entries), using: &random) }
    var hits = 0
    let elapsed = ContinuousClock().measure {
      for key in keys {
        if let handle = cache.lookup(key) {
          hits += 1
          handle.release()
        }
      }
    }
    precondition(hits == lookups, "the measurement's cache lost entries")
    let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    return nanoseconds / Double(lookups)
  }
}

/// Draws popularity ranks 0..<count with probability proportional to
/// 1 / (rank + 1)^skew, by binary search in the cumulative distribution.
private struct ZipfDistribution {
  private let cumulative: [Double]

  init(count: Int, skew: Double) {
    var sum = 0.0
    var cumulative: [Double] = []
    cumulative.reserveCapacity(count)
    for rank in 0..<count {
      sum += 1 / pow(Double(rank + 1), skew)
      cumulative.append(sum)
    }
    self.cumulative = cumulative.map { $0 / sum }
  }

  func sample(using random: inout SeededGenerator) -> Int {
    let u = Double.random(in: 0..<1, using: &random)
    var low = 0
    var high = cumulative.count - 1
    while low < high {
      let middle = (low + high) / 2
      if cumulative[middle] <= u { low = middle + 1 } else { high = middle }
    }
    return low
  }
}
