import Chapter1WAL
import Foundation
import Testing

@testable import Chapter5BloomFilter

/// The sharded cache: each policy's eviction order, pins, charges, erasing,
/// the statistics, many threads at once, and the two policies compared on a
/// trace with a scan in the middle.
@Suite struct BlockCacheTests {
  /// A one-shard cache of strings, so that eviction order is the whole
  /// cache's.
  static func oneShard(_ capacity: Int, _ policy: CachePolicy) -> ShardedCache<String, Int> {
    ShardedCache(capacity: capacity, shardCount: 1, policy: policy)
  }

  /// Inserts `key` with charge 1 and releases it at once, as the read path
  /// does after a miss.
  static func put(_ cache: ShardedCache<String, Int>, _ key: String, _ value: Int = 0, charge: Int = 1) {
    cache.insert(key, value, charge: charge).release()
  }

  /// Looks `key` up and releases the handle at once.
  @discardableResult
  static func get(_ cache: ShardedCache<String, Int>, _ key: String) -> Int? {
    guard let handle = cache.lookup(key) else { return nil }
    defer { handle.release() }
    return handle.value
  }

  // MARK: Eviction order

  @Test func lruEvictsTheLeastRecentlyUsedEntryExactly() {
    let cache = Self.oneShard(3, .lru)
    for key in ["a", "b", "c"] { Self.put(cache, key) }
    #expect(cache.queueContents()[0].recency == ["a", "b", "c"])  // oldest first

    Self.get(cache, "a")
    #expect(cache.queueContents()[0].recency == ["b", "c", "a"])

    Self.put(cache, "d")  // over capacity: "b" is the least recently used
    #expect(cache.queueContents()[0].recency == ["c", "a", "d"])
    #expect(Self.get(cache, "b") == nil)

    // A pinned entry is off the queue, so the victim is the oldest unpinned.
    let pinned = cache.lookup("c")!
    #expect(cache.queueContents()[0].recency == ["a", "d"])
    Self.put(cache, "e")
    #expect(cache.queueContents()[0].recency == ["d", "e"])
    pinned.release()
    #expect(cache.queueContents()[0].recency == ["d", "e", "c"])
    #expect(cache.stats.evictions == 2)
    #expect(cache.checkInvariants() == [])
  }

  /// `peek` (the table cache's lookup) counts a hit and refreshes recency,
  /// but pins nothing: the entry stays evictable.
  @Test func peekRefreshesRecencyWithoutPinning() {
    let cache = Self.oneShard(2, .lru)
    Self.put(cache, "a", 1)
    Self.put(cache, "b", 2)
    #expect(cache.peek("a") == 1)
    #expect(cache.queueContents()[0].recency == ["b", "a"])
    #expect(cache.stats.pinnedUsage == 0 && cache.stats.hits == 1)
    #expect(cache.peek("z") == nil && cache.stats.misses == 1)
    Self.put(cache, "c", 3)  // "b" is now the least recently used
    #expect(cache.peek("b") == nil && cache.peek("a") == 1)
    #expect(cache.checkInvariants() == [])
  }

  @Test func s3fifoPromotesEntriesHitOnProbationAndRemembersTheOthers() {
    // Capacity 10: small's target is 1, so small is always the first to give.
    let cache = Self.oneShard(10, .s3fifo)
    for n in 0..<10 { Self.put(cache, "k\(n)") }
    #expect(cache.queueContents()[0].small == (0..<10).map { "k\($0)" })
    Self.get(cache, "k0")

    Self.put(cache, "k10")  // k0 was hit: to main; k1 was not: evicted, to the ghost
    #expect(cache.queueContents()[0].small == (2...10).map { "k\($0)" })
    #expect(cache.queueContents()[0].main == ["k0"])
    #expect(cache.ghostCount == 1)
    #expect(Self.get(cache, "k1") == nil)

    Self.put(cache, "k1")  // back before the ghost forgot it: straight into main
    #expect(cache.queueContents()[0].main == ["k0", "k1"])
    #expect(cache.queueContents()[0].small == (3...10).map { "k\($0)" })
    #expect(cache.ghostCount == 1)  // k1 left the ghost, k2 went in
    #expect(cache.checkInvariants() == [])
  }

  @Test func s3fifoMainGivesHitEntriesAnotherPass() {
    let cache = Self.oneShard(10, .s3fifo)
    // Fill main: each key hit on probation is promoted when small gives.
    for n in 0..<20 {
      Self.put(cache, "k\(n)")
      Self.get(cache, "k\(n)")
    }
    let main = cache.queueContents()[0].main
    #expect(main.count >= 8)
    // Hit the oldest of main; the next eviction from main passes over it.
    Self.get(cache, main[0])
    for n in 0..<10 { Self.put(cache, "cold\(n)") }
    #expect(Self.get(cache, main[0]) != nil)
    #expect(Self.get(cache, main[1]) == nil)
    #expect(cache.checkInvariants() == [])
  }

  @Test func evictionCountsChargeNotEntries() {
    let cache = Self.oneShard(100, .lru)
    Self.put(cache, "a", charge: 40)
    Self.put(cache, "b", charge: 40)
    #expect(cache.stats.usage == 80)
    Self.put(cache, "c", charge: 40)  // 120 > 100: "a" goes
    #expect(cache.stats.usage == 80)
    #expect(Self.get(cache, "a") == nil)
    Self.put(cache, "big", charge: 90)  // both "b" and "c" must go
    #expect(cache.stats.usage == 90)
    #expect(cache.stats.entryCount == 1)
    #expect(cache.stats.evictions == 3)
    Self.put(cache, "huge", charge: 150)  // bigger than the cache: kept only while pinned
    #expect(cache.stats.usage == 0)
    #expect(cache.stats.entryCount == 0)
    #expect(cache.checkInvariants() == [])
  }

  // MARK: Pins

  @Test(arguments: CachePolicy.allCases)
  func aPinnedEntryIsNeverEvicted(policy: CachePolicy) {
    let cache = ShardedCache<String, [Int]>(capacity: 40, shardCount: 4, policy: policy)
    let pinned = cache.insert("pinned", [1, 2, 3], charge: 1)
    for n in 0..<2_000 { cache.insert("filler\(n)", [n], charge: 1).release() }

    #expect(pinned.value == [1, 2, 3])
    let found = cache.lookup("pinned")
    #expect(found?.value == [1, 2, 3])
    #expect(cache.stats.pinnedUsage == 1)
    #expect(cache.stats.usage <= cache.capacity)

    pinned.release()
    found?.release()
    #expect(cache.stats.pinnedUsage == 0)
    // Entries read twice: under S3-FIFO they reach main, where "pinned" now is.
    for n in 0..<2_000 {
      cache.insert("more\(n)", [n], charge: 1).release()
      cache.lookup("more\(n)")?.release()
    }
    #expect(cache.lookup("pinned") == nil)
    #expect(cache.checkInvariants() == [])
  }

  @Test(arguments: CachePolicy.allCases)
  func whenEverythingIsPinnedUsageExceedsCapacityUntilReleased(policy: CachePolicy) {
    let cache = Self.oneShard(4, policy)
    let handles = (0..<8).map { cache.insert("k\($0)", $0, charge: 1) }
    var stats = cache.stats
    #expect(stats.usage == 8)
    #expect(stats.pinnedUsage == 8)
    #expect(stats.overCapacityInserts == 4)
    #expect(handles.map(\.value) == Array(0..<8))

    for handle in handles { handle.release() }
    stats = cache.stats
    #expect(stats.usage == 4)
    #expect(stats.pinnedUsage == 0)
    #expect(stats.evictions == 4)
    #expect(cache.checkInvariants() == [])
  }

  @Test func releasingTwiceOrDroppingTheHandleUnpinsOnce() {
    let cache = Self.oneShard(4, .lru)
    let handle = cache.insert("a", 1, charge: 1)
    handle.release()
    handle.release()
    #expect(cache.stats.pinnedUsage == 0)
    do {
      let forgotten = cache.lookup("a")
      withExtendedLifetime(forgotten) {
        #expect(forgotten != nil)
        #expect(cache.stats.pinnedUsage == 1)
      }
    }
    #expect(cache.stats.pinnedUsage == 0)  // the deinit released it
    #expect(cache.checkInvariants() == [])
  }

  // MARK: Capacity 0, replace, erase

  @Test(arguments: CachePolicy.allCases)
  func capacityZeroCachesNothingButTheHandleHoldsTheValue(policy: CachePolicy) {
    let cache = ShardedCache<String, [Int]>(capacity: 0, policy: policy)
    let handle = cache.insert("a", [7, 8], charge: 100)
    #expect(handle.value == [7, 8])
    #expect(!handle.isRetained)
    #expect(cache.lookup("a") == nil)
    handle.release()
    let stats = cache.stats
    #expect(stats.usage == 0)
    #expect(stats.entryCount == 0)
    #expect(stats.inserts == 1)
    #expect(stats.misses == 1)
  }

  @Test(arguments: CachePolicy.allCases)
  func insertingAnExistingKeyReplacesItAndTheOldValueLivesWhilePinned(policy: CachePolicy) {
    let cache = Self.oneShard(10, policy)
    let old = cache.insert("k", 1, charge: 3)
    cache.insert("k", 2, charge: 4).release()

    #expect(Self.get(cache, "k") == 2)
    #expect(old.value == 1)
    #expect(cache.stats.entryCount == 1)
    #expect(cache.stats.usage == 7)  // the old entry's memory is still in use
    #expect(cache.stats.pinnedUsage == 3)
    old.release()
    #expect(cache.stats.usage == 4)
    #expect(cache.stats.pinnedUsage == 0)
    #expect(cache.checkInvariants() == [])
  }

  struct BlockKey: Hashable, Sendable {
    var file: UInt64
    var offset: UInt64
  }

  @Test(arguments: CachePolicy.allCases)
  func eraseWhereDropsEveryBlockOfOneFile(policy: CachePolicy) {
    let cache = ShardedCache<BlockKey, String>(capacity: 1_000, shardCount: 4, policy: policy)
    for file in 1...3 as ClosedRange<UInt64> {
      for block in 0..<10 as Range<UInt64> {
        cache.insert(BlockKey(file: file, offset: block * 4096), "\(file)/\(block)", charge: 1).release()
      }
    }
    let reading = cache.lookup(BlockKey(file: 2, offset: 0))!

    #expect(cache.erase(where: { $0.file == 2 }) == 10)
    #expect(cache.stats.entryCount == 20)
    #expect(cache.stats.usage == 21)  // file 2's first block is still being read
    #expect(reading.value == "2/0")
    for block in 0..<10 as Range<UInt64> {
      #expect(cache.lookup(BlockKey(file: 2, offset: block * 4096)) == nil)
      #expect(cache.lookup(BlockKey(file: 3, offset: block * 4096))?.value == "3/\(block)")
    }
    reading.release()
    #expect(cache.stats.usage == 20)
    #expect(cache.erase(BlockKey(file: 1, offset: 0)))
    #expect(!cache.erase(BlockKey(file: 1, offset: 0)))
    #expect(cache.stats.entryCount == 19)
    #expect(cache.checkInvariants() == [])
  }

  // MARK: Statistics

  @Test(arguments: CachePolicy.allCases)
  func statisticsAddUp(policy: CachePolicy) {
    let cache = ShardedCache<Int, Int>(capacity: 500, shardCount: 8, policy: policy) { UInt64($0) }
    var random = SeededGenerator(seed: 42)
    var (lookups, hits, inserts) = (0, 0, 0)
    for _ in 0..<20_000 {
      let key = Int.random(in: 0..<2_000, using: &random)
      lookups += 1
      if let handle = cache.lookup(key) {
        hits += 1
        #expect(handle.value == key * 10)
        handle.release()
      } else {
        inserts += 1
        cache.insert(key, key * 10, charge: 1 + key % 5).release()
      }
      let stats = cache.stats
      if stats.usage > stats.capacity {
        Issue.record("usage \(stats.usage) over capacity \(stats.capacity) with nothing pinned")
        break
      }
    }
    let stats = cache.stats
    #expect(stats.hits + stats.misses == lookups)
    #expect(stats.hits == hits)
    #expect(stats.inserts == inserts)
    #expect(stats.pinnedUsage == 0)
    #expect(stats.overCapacityInserts == 0)
    #expect(stats.capacity == 500)
    #expect(
      cache.shardStats.map(\.capacity) == Array(repeating: 500 / 8 + 1, count: 500 % 8)
        + Array(repeating: 500 / 8, count: 8 - 500 % 8))
    #expect(cache.shardStats.allSatisfy { $0.usage <= $0.capacity })
    #expect(stats.hits > 0 && stats.evictions > 0)
    #expect(cache.checkInvariants() == [])
  }

  // MARK: Threads

  /// What the threads of the concurrent test counted.
  final class Tally: Sendable {
    let counts = Locked((lookups: 0, hits: 0, inserts: 0))
    let problems = Locked<[String]>([])
  }

  struct Payload: Sendable, Equatable {
    var key: Int
    var writer: Int
  }

  @Test(arguments: CachePolicy.allCases)
  func threadsLookingUpInsertingAndReleasingKeepTheInvariants(policy: CachePolicy) {
    let cache = ShardedCache<Int, Payload>(capacity: 300, shardCount: 8, policy: policy)
    let tally = Tally()
    let threads = 4
    let operationsPerThread = 30_000
    let deadline = ContinuousClock.now + .seconds(1.5)
    let done = DispatchGroup()

    for thread in 0..<threads {
      done.enter()
      Thread.detachNewThread {
        defer { done.leave() }
        var random = SeededGenerator(seed: UInt64(thread))
        var held: [ShardedCache<Int, Payload>.Handle] = []
        var (lookups, hits, inserts) = (0, 0, 0)
        var problems: [String] = []
        for operation in 0..<operationsPerThread {
          if operation % 256 == 0 && ContinuousClock.now > deadline { break }
          let key = Int.random(in: 0..<1_000, using: &random)
          let handle: ShardedCache<Int, Payload>.Handle
          if let hit = cache.lookup(key) {
            lookups += 1
            hits += 1
            if hit.value.key != key { problems.append("lookup \(key) found \(hit.value)") }
            handle = hit
          } else {
            lookups += 1
            inserts += 1
            handle = cache.insert(key, Payload(key: key, writer: thread), charge: 1 + key % 3)
          }
          switch Int.random(in: 0..<100, using: &random) {
          case 0..<10: held.append(handle)  // keep a few pinned for a while
          case 10..<12: cache.erase(key)
          case 12: cache.erase { $0 % 97 == 0 }
          default: handle.release()
          }
          if held.count > 6 { held.remove(at: Int.random(in: 0..<held.count, using: &random)).release() }
        }
        for handle in held { handle.release() }
        tally.counts.withLock { $0 = ($0.lookups + lookups, $0.hits + hits, $0.inserts + inserts) }
        tally.problems.withLock { $0 += problems }
      }
    }
    done.wait()

    let counted = tally.counts.withLock { $0 }
    let stats = cache.stats
    #expect(tally.problems.withLock { $0 } == [])
    #expect(stats.lookups == counted.lookups)
    #expect(stats.hits == counted.hits)
    #expect(stats.inserts == counted.inserts)
    #expect(stats.pinnedUsage == 0)
    #expect(cache.shardStats.allSatisfy { $0.usage <= $0.capacity })
    #expect(cache.checkInvariants() == [])
  }

  // MARK: The trace

  @Test func theMixedTraceIsReproducible() {
    let trace = CacheTrace.mixed(hotBlocks: 1_000, scanBlocks: 5_000, pointReads: 5_000)
    #expect(trace.accesses == CacheTrace.mixed(hotBlocks: 1_000, scanBlocks: 5_000, pointReads: 5_000).accesses)
    #expect(trace.accesses.count == 15_000)
    #expect(trace.distinctKeys <= 6_000)
    #expect(trace.accesses[5_000..<10_000].map(\.key) == Array(1_000..<6_000))
    #expect(trace.phases.map(\.range) == [0..<5_000, 5_000..<10_000, 10_000..<15_000])
    let once = CacheTrace.replay(trace, policy: .s3fifo, capacity: 500 * 4096)
    #expect(CacheTrace.replay(trace, policy: .s3fifo, capacity: 500 * 4096) == once)
    #expect(once.lookups == trace.accesses.count)
  }

  /// The claim of the chapter: with room for the hot set but not for the
  /// scan, the scan flushes LRU's hot set and not S3-FIFO's.
  @Test func s3fifoBeatsLRUWhenAScanPassesThrough() {
    let trace = CacheTrace.mixed()  // 10k hot blocks, a 100k-block scan
    let capacity = 11_000 * 4096  // the hot set and 10% more
    let lru = CacheTrace.replayByPhase(trace, policy: .lru, capacity: capacity)
    let s3fifo = CacheTrace.replayByPhase(trace, policy: .s3fifo, capacity: capacity)
    let figures = zip(lru, s3fifo).map { "\($0.name): LRU \($0.hitRatio), S3-FIFO \($1.hitRatio)" }
    // The scan is all first reads, so both miss it entirely; before it they
    // are alike; after it, LRU starts from a cache full of scan blocks.
    #expect(lru.map(\.name) == ["point reads", "scan", "point reads after the scan"])
    #expect(lru[1].hits == 0 && s3fifo[1].hits == 0, "\(figures)")
    #expect(s3fifo[2].hitRatio > lru[2].hitRatio + 0.05, "\(figures)")
    #expect(s3fifo.map(\.hits).reduce(0, +) > lru.map(\.hits).reduce(0, +), "\(figures)")
  }

  /// The chapter's table and timings: `CACHE_FIGURES=1 swift test --filter
  /// cacheFigures` prints them. Off by default: it replays the trace twelve
  /// times and times a million lookups per policy.
  @Test(.enabled(if: ProcessInfo.processInfo.environment["CACHE_FIGURES"] != nil))
  func cacheFigures() {
    let trace = CacheTrace.mixed()
    print("distinct blocks: \(trace.distinctKeys), accesses: \(trace.accesses.count)")
    print(CacheTrace.table(CacheTrace.compare(trace)))
    for policy in CachePolicy.allCases {
      print("\(policy): \(CacheTrace.nanosecondsPerHit(policy: policy)) ns per lookup hit")
    }
  }
}
