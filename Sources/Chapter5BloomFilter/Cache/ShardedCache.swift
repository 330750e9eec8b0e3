import Chapter1WAL
import Synchronization

/// # The cache
///
/// A fixed-capacity map from keys to values, shared by every reader thread,
/// that forgets entries when it is full. The engine keeps two: the **block
/// cache** (key: table file number and block offset; value: a decoded data
/// block; charge: its size in bytes), so that a hot block is read from disk
/// once and not at every lookup; and the **table cache** (key: file number;
/// value: an open `TableReader`; charge: 1), so that a table's file and
/// index stay open between lookups. The cache knows nothing of either: it
/// is generic over what it holds.
///
/// ## Charge and capacity
///
/// Every entry has a *charge*, in whatever unit the capacity is in, and the
/// cache keeps the sum of the charges (its *usage*) at or below the
/// capacity by evicting entries (which ones: see `CachePolicy`). A capacity
/// of 0 disables caching: `insert` keeps nothing and `lookup` always misses.
///
/// ## Shards
///
/// Every operation changes the cache, even a lookup (it records the hit for
/// the policy), so every operation takes a lock. One lock for the whole
/// cache would make all reader threads queue on it; instead the cache is
/// `shardCount` independent caches, each with its own lock and an equal
/// part of the capacity, and a key always goes to the shard its hash
/// selects. Two readers contend only when their keys land in the same
/// shard. The cost is that each shard evicts on its own: an LRU shard
/// evicts its own least recently used entry, not the whole cache's. This is
/// how LevelDB (16 shards) and RocksDB (up to 64) do it.
///
/// ```
///  key ──hash──▶ top bits ──▶ shard 0  [mutex | index, entries, queues, stats]
///                             shard 1  [mutex | ...]
///                             ...
///                             shard 15 [mutex | ...]
/// ```
///
/// The hash is mixed once more (the MurmurHash3 finalizer) before its top
/// bits choose the shard, so that a weak key hash (consecutive numbers, say)
/// still spreads evenly.
///
/// ## Handles and pins
///
/// `lookup` and `insert` return a `Handle`, which **pins** its entry: while
/// any handle to an entry is alive, no eviction removes it, so a reader can
/// use a block without copying it out, however busy the cache is. Releasing
/// the handle (`release()`, or the handle's deinit) unpins. If everything
/// is pinned, an insert cannot make room: the cache goes over its capacity
/// (as RocksDB's does unless told to be strict), `stats` shows it
/// (`usage > capacity`, `pinnedUsage`, `overCapacityInserts`), and the next
/// releases evict back under it. Erasing or replacing a pinned entry removes
/// it from the cache at once, and its memory is freed when its last handle
/// goes.
///
/// A value's deinit and the `erase(where:)` predicate run under a shard's
/// lock, so neither may call back into the same cache.
public final class ShardedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
  public typealias Stats = CacheStats

  /// The most charge the cache holds, summed over its shards.
  public let capacity: Int
  /// Independent shards, a power of two.
  public let shardCount: Int
  /// How shards choose what to evict.
  public let policy: CachePolicy

  private let shards: [LockedShard]
  private let shardShift: UInt64
  private let keyHash: @Sendable (Key) -> UInt64

  /// A cache of `capacity` charge, split evenly over `shardCount` shards.
  ///
  /// REQUIRES: `capacity >= 0`; `shardCount` is a power of two. With a
  /// capacity below `shardCount` some shards have none and cache nothing;
  /// choose the shard count so that each shard holds many entries.
  ///
  /// - Parameters:
  ///   - capacity: the most charge to hold; 0 disables caching.
  ///   - shardCount: how many independent shards; 16 suits a block cache.
  ///   - policy: how shards choose what to evict.
  ///   - hash: the key's hash for choosing a shard and for S3-FIFO's ghost.
  ///     The default is `hashValue`, which Swift seeds afresh in every
  ///     process; pass a fixed function to make the shard of every key the
  ///     same in every run (the trace replay does).
  public init(
    capacity: Int, shardCount: Int = 16, policy: CachePolicy = .s3fifo,
    hash: @escaping @Sendable (Key) -> UInt64 = { UInt64(bitPattern: Int64($0.hashValue)) }
  ) {
    precondition(capacity >= 0, "cache capacity \(capacity) is negative")
    precondition(shardCount > 0 && shardCount & (shardCount - 1) == 0, "shard count \(shardCount) is not a power of 2")
    self.capacity = capacity
    self.shardCount = shardCount
    self.policy = policy
    self.keyHash = hash
    self.shardShift = UInt64(64 - shardCount.trailingZeroBitCount)
    // The remainder of the division goes one unit each to the first shards.
    self.shards = (0..<shardCount).map { shard in
      let share = capacity / shardCount + (shard < capacity % shardCount ? 1 : 0)
      return LockedShard(CacheShard(capacity: share, policy: policy))
    }
  }

  /// Finds `key` and pins its entry.
  ///
  /// - Returns: a handle holding the value, or nil if `key` is not cached.
  /// - Complexity: O(1).
  public func lookup(_ key: Key) -> Handle? {
    let shard = locate(key).shard
    let found = shard.state.withLock { $0.lookup(key) }
    guard let found else { return nil }
    return Handle(key: key, value: found.value, charge: found.charge, shard: shard, slot: found.slot)
  }

  /// Caches `value` under `key`, replacing what was there, and evicts
  /// unpinned entries while the key's shard is over its capacity.
  ///
  /// - Parameters:
  ///   - key: the key; an entry already under it leaves the cache (freed
  ///     when its last handle goes).
  ///   - value: the value.
  ///   - charge: its cost against the capacity (bytes for the block cache).
  /// - Returns: a handle pinning the new entry. With capacity 0 the entry is
  ///   not kept, but the handle still holds the value.
  /// - Complexity: O(1) amortised (see `CacheShard.insert`).
  /// The value under `key` without pinning it (no handle): a hit makes it
  /// recently used, but it may be evicted while the caller still holds the
  /// value. For values that keep themselves alive, such as the table
  /// cache's readers: an evicted reader's file closes when its last user
  /// lets go of it.
  public func peek(_ key: Key) -> Value? {
    locate(key).shard.state.withLock { $0.peek(key) }
  }

  @discardableResult
  public func insert(_ key: Key, _ value: Value, charge: Int) -> Handle {
    precondition(charge >= 0, "cache charge \(charge) is negative")
    let (hash, shard) = locate(key)
    let slot = shard.state.withLock { $0.insert(key, hash: hash, value: value, charge: charge) }
    let kept = slot != CacheShard<Key, Value>.noSlot
    return Handle(key: key, value: value, charge: charge, shard: kept ? shard : nil, slot: slot)
  }

  /// Removes `key` from the cache; its memory is freed when its last handle
  /// goes.
  ///
  /// - Returns: whether `key` was cached.
  @discardableResult
  public func erase(_ key: Key) -> Bool {
    locate(key).shard.state.withLock { $0.erase(key) }
  }

  /// Removes every key for which `shouldErase` returns true: the engine's
  /// way to drop all of a deleted table file's blocks.
  ///
  /// `shouldErase` runs under each shard's lock in turn and must not use
  /// the cache. It is `@Sendable` because it meets the shards' state inside
  /// their mutexes, which only values safe to share may do.
  ///
  /// - Returns: how many keys were removed.
  /// - Complexity: O(entries), one shard at a time.
  @discardableResult
  public func erase(where shouldErase: @Sendable (Key) -> Bool) -> Int {
    var erased = 0
    for shard in shards { erased += shard.state.withLock { $0.erase(where: shouldErase) } }
    return erased
  }

  /// The counters and usage, summed over the shards.
  public var stats: Stats { shardStats.reduce(Stats(), +) }

  /// The counters and usage of each shard, in shard order.
  public var shardStats: [Stats] { shards.map { shard in shard.state.withLock { $0.stats } } }

  /// The key's mixed hash and its shard.
  private func locate(_ key: Key) -> (hash: UInt64, shard: LockedShard) {
    let hash = Self.mix(keyHash(key))
    // Swift's `>>` gives 0 for a shift of 64: a 1-shard cache uses shard 0.
    return (hash, shards[Int(hash >> shardShift)])
  }

  /// MurmurHash3's 64-bit finalizer: every input bit affects every output
  /// bit, so the top bits are as good as any. A bijection: distinct hashes
  /// stay distinct.
  static func mix(_ hash: UInt64) -> UInt64 {
    var h = hash
    h ^= h >> 33
    h &*= 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33
    h &*= 0xC4CE_B9FE_1A85_EC53
    h ^= h >> 33
    return h
  }

  /// A shard and the mutex around it.
  final class LockedShard: Sendable {
    let state: Locked<CacheShard<Key, Value>>

    init(_ shard: consuming CacheShard<Key, Value>) { state = Locked(shard) }
  }

  // snippet: cache-handle
  /// A pin on one cache entry, and the entry's value.
  ///
  /// While the handle is alive the entry stays in memory and cannot be
  /// evicted; `release()` (or the handle's deinit, whichever comes first)
  /// unpins it. Releasing twice is harmless. The value is the handle's own
  /// reference, so it can be read without taking the shard's lock.
  ///
  /// A handle is a class, not a `~Copyable` struct, on purpose. A
  /// noncopyable handle would make a forgotten release impossible, but it
  /// would also spread: the block iterator that holds a handle for as long
  /// as it reads the block would have to be noncopyable, and so would
  /// everything that holds an iterator, through the merging iterators of
  /// chapter 3. A class costs one allocation per lookup and gives the same
  /// guarantee a weaker way: the deinit releases a forgotten pin.
  public final class Handle: Sendable {
    /// The entry's key.
    public let key: Key
    /// The entry's value.
    public let value: Value
    /// The entry's charge.
    public let charge: Int
    /// Whether the cache holds the entry (false when caching is disabled).
    public var isRetained: Bool { shard != nil }

    private let shard: LockedShard?
    private let slot: Int
    private let released = Atomic<Bool>(false)

    fileprivate init(key: Key, value: Value, charge: Int, shard: LockedShard?, slot: Int) {
      self.key = key
      self.value = value
      self.charge = charge
      self.shard = shard
      self.slot = slot
    }

    /// Unpins the entry. The first call counts; later ones do nothing.
    public func release() {
      guard let shard, !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
      shard.state.withLock { $0.release(slot) }
    }

    deinit { release() }
  }
  // end snippet
}

// MARK: - Inspection, for tests and the book

extension ShardedCache {
  /// Each shard's queues, oldest (next victim) first.
  func queueContents() -> [(recency: [Key], small: [Key], main: [Key])] {
    shards.map { shard in shard.state.withLock { $0.queueContents() } }
  }

  /// Fingerprints in the ghosts of all shards.
  var ghostCount: Int { shards.reduce(0) { sum, shard in sum + shard.state.withLock { $0.ghostCount } } }

  /// Every shard's broken invariants, empty if none.
  func checkInvariants() -> [String] {
    shards.enumerated().flatMap { number, shard in
      shard.state.withLock { $0.checkInvariants() }.map { "shard \(number): \($0)" }
    }
  }
}
