/// What a cache has done so far and what it holds now.
///
/// Each shard keeps its own counters, updated under the shard's lock (which
/// every operation holds anyway, so counting costs an add); `ShardedCache`
/// sums them. A sum taken while other threads work is not one instant of the
/// whole cache: each shard's part is exact, the shards are read one after
/// another.
///
/// Charges are in the cache's unit: bytes for the block cache, 1 per table
/// for the table cache.
public struct CacheStats: Sendable, Equatable {
  /// The charge the cache may hold.
  public var capacity = 0
  /// The charge held now: every entry in the cache, plus entries erased or
  /// replaced while pinned, which still occupy memory until their last
  /// handle is released.
  public var usage = 0
  /// The part of `usage` pinned by live handles, which no eviction can free.
  public var pinnedUsage = 0
  /// Entries in the cache (a lookup can find them).
  public var entryCount = 0
  /// Lookups that found their key.
  public var hits = 0
  /// Lookups that did not.
  public var misses = 0
  /// Calls to `insert`, including those into a disabled (capacity 0) cache.
  public var inserts = 0
  /// Entries the policy removed to make room (not erases, not replacements).
  public var evictions = 0
  /// Inserts that left their shard above its capacity because every entry
  /// it could have evicted was pinned. The usage comes back under the
  /// capacity as handles are released.
  public var overCapacityInserts = 0

  public init() {}

  /// `hits + misses`.
  public var lookups: Int { hits + misses }

  /// `hits / lookups`, 0 when there were no lookups.
  public var hitRatio: Double { lookups == 0 ? 0 : Double(hits) / Double(lookups) }

  /// Field-by-field sums: the whole cache from its shards.
  public static func + (left: CacheStats, right: CacheStats) -> CacheStats {
    var sum = CacheStats()
    sum.capacity = left.capacity + right.capacity
    sum.usage = left.usage + right.usage
    sum.pinnedUsage = left.pinnedUsage + right.pinnedUsage
    sum.entryCount = left.entryCount + right.entryCount
    sum.hits = left.hits + right.hits
    sum.misses = left.misses + right.misses
    sum.inserts = left.inserts + right.inserts
    sum.evictions = left.evictions + right.evictions
    sum.overCapacityInserts = left.overCapacityInserts + right.overCapacityInserts
    return sum
  }
}
