/// One shard of a `ShardedCache`: an ordinary single-threaded cache.
///
/// `ShardedCache` wraps each shard in a mutex and does nothing else with it,
/// so everything about caching is here: the index from key to entry, the
/// entries with their pins and charges, the eviction policy's queues, and
/// the counters.
///
/// ## Layout
///
/// Entries live in one array and refer to each other by slot number, so the
/// queues are doubly linked lists with no allocation per node and no
/// reference counting while they are walked. A freed slot goes on a free
/// list and is reused by the next insert.
///
/// ```
///  index   [Key: slot]          "b" → 1, "a" → 0, "c" → 2
///  entries [slot]               0: a   1: b   2: c   3: (free)
///  queue   newest ⇄ ... ⇄ oldest    c ⇄ a ⇄ b
///                                    ▲         ▲
///                              just used   next victim
/// ```
///
/// Each entry knows which queue it is on (or none), so it can be unlinked in
/// O(1) without saying where from. LRU uses one queue (`recency`); S3-FIFO
/// uses `small` and `main`, plus the `GhostQueue`. The queues' doc is on
/// `CachePolicy`.
///
/// ## Pins
///
/// An entry's `pins` counts its live handles. A pinned entry is never
/// evicted or freed. Erasing or replacing a pinned entry removes it from the
/// index (no lookup finds it again) but keeps its slot and its charge in
/// `usage` until its last handle is released: that memory is still in use.
///
/// INVARIANTS (checked by `checkInvariants`):
/// - `usage` is the charge of every occupied slot; `pinnedUsage` of those
///   with pins.
/// - an entry is in the index iff it is on a queue, except under LRU, where
///   pinned entries are in the index and on no queue.
/// - an entry on no queue and not in the index is pinned (detached), or its
///   slot is free.
struct CacheShard<Key: Hashable, Value> {
  /// One cached value and its bookkeeping.
  struct Entry {
    var key: Key?
    var value: Value?
    /// The key's mixed hash, kept so that eviction can tell the ghost about
    /// the key without hashing it again.
    var hash: UInt64 = 0
    var charge = 0
    var pins = 0
    var isIndexed = false
    /// S3-FIFO's access count since insertion or the last pass of the
    /// eviction hand, 0…`maxFrequency`.
    var frequency: UInt8 = 0
    var queue: QueueID?
    var newer = CacheShard.noSlot
    var older = CacheShard.noSlot
  }

  /// The queues an entry can be on.
  enum QueueID: Int {
    case recency, small, main
  }

  /// The two ends of one doubly linked queue, and what is on it.
  struct Queue {
    var newest = CacheShard.noSlot
    var oldest = CacheShard.noSlot
    var count = 0
    var charge = 0
  }

  /// "No entry", as a link.
  static var noSlot: Int { -1 }
  /// A hit raises an entry's S3-FIFO frequency up to 3 (two bits, as in the
  /// paper): three passes of the eviction hand before an unused entry goes.
  static var maxFrequency: UInt8 { 3 }

  let policy: CachePolicy
  let capacity: Int
  /// S3-FIFO: the small queue's target charge, 10% of the capacity.
  let smallCapacity: Int

  private(set) var stats = CacheStats()
  private var entries: [Entry] = []
  private var freeSlots: [Int] = []
  private var index: [Key: Int] = [:]
  private var queues = [Queue](repeating: Queue(), count: 3)
  private var ghost: GhostQueue

  init(capacity: Int, policy: CachePolicy) {
    self.policy = policy
    self.capacity = capacity
    self.smallCapacity = capacity / 10
    self.ghost = GhostQueue(capacity: policy == .s3fifo ? capacity - capacity / 10 : 0)
    stats.capacity = capacity
  }

  // MARK: Lookup, insert, release

  /// Finds `key` and pins its entry.
  ///
  /// - Returns: the entry's slot (the handle's ticket to `release`), value
  ///   and charge, or nil on a miss.
  /// - Complexity: O(1).
  mutating func lookup(_ key: Key) -> (slot: Int, value: Value, charge: Int)? {
    guard let slot = index[key] else {
      stats.misses += 1
      return nil
    }
    stats.hits += 1
    pin(slot)
    if policy == .s3fifo { entries[slot].frequency = min(entries[slot].frequency + 1, Self.maxFrequency) }
    return (slot, entries[slot].value!, entries[slot].charge)
  }

  /// The value under `key`, counted as a hit and made recently used, but
  /// not pinned: for values that keep themselves alive while in use (the
  /// table cache's readers, whose files close when the last user lets go).
  mutating func peek(_ key: Key) -> Value? {
    guard let slot = index[key] else {
      stats.misses += 1
      return nil
    }
    stats.hits += 1
    switch policy {
    case .lru:
      if entries[slot].pins == 0 {
        unlink(slot)
        pushNewest(slot, onto: .recency)
      }
    case .s3fifo: entries[slot].frequency = min(entries[slot].frequency + 1, Self.maxFrequency)
    }
    return entries[slot].value
  }

  /// Inserts `value` under `key`, pinned once for the caller, then evicts
  /// unpinned entries while the shard is over its capacity.
  ///
  /// An entry already under `key` leaves the index; it is freed now, or
  /// when its last handle is released. A shard of capacity 0 keeps nothing.
  ///
  /// - Returns: the new entry's slot, or `noSlot` if the shard keeps
  ///   nothing.
  /// - Complexity: O(1) amortised under LRU; under S3-FIFO, O(1) amortised
  ///   plus the pinned entries the eviction hand passes over.
  mutating func insert(_ key: Key, hash: UInt64, value: Value, charge: Int) -> Int {
    stats.inserts += 1
    guard capacity > 0 else { return Self.noSlot }
    if let old = index[key] { detach(old) }

    let slot = allocateSlot()
    entries[slot] = Entry(key: key, value: value, hash: hash, charge: charge, pins: 1, isIndexed: true)
    index[key] = slot
    stats.usage += charge
    stats.pinnedUsage += charge
    stats.entryCount += 1
    switch policy {
    case .lru:
      break  // pinned: it joins the queue when its handle is released
    case .s3fifo:
      pushNewest(slot, onto: ghost.forget(hash) ? .main : .small)
    }

    evictWhileOverCapacity()
    if stats.usage > capacity { stats.overCapacityInserts += 1 }
    return slot
  }

  /// Drops one pin from the entry at `slot`. The last pin frees a detached
  /// entry, or (LRU) puts the entry at the newest end of the queue; then the
  /// shard evicts while it is over capacity, since an unpinned entry may now
  /// be the one to go.
  ///
  /// REQUIRES: `slot` came from `lookup` or `insert` and this pin was not
  /// released before.
  mutating func release(_ slot: Int) {
    precondition(entries[slot].pins > 0, "cache handle released twice")
    entries[slot].pins -= 1
    guard entries[slot].pins == 0 else { return }
    stats.pinnedUsage -= entries[slot].charge
    if !entries[slot].isIndexed {
      free(slot)
      return
    }
    if policy == .lru { pushNewest(slot, onto: .recency) }
    evictWhileOverCapacity()
  }

  // MARK: Erase

  /// Removes `key` from the index. Its entry is freed now, or when its last
  /// handle is released.
  ///
  /// - Returns: whether `key` was there.
  mutating func erase(_ key: Key) -> Bool {
    guard let slot = index[key] else { return false }
    detach(slot)
    return true
  }

  /// Removes every key for which `shouldErase` is true.
  ///
  /// - Returns: how many keys were removed.
  /// - Complexity: O(entries in the shard).
  mutating func erase(where shouldErase: (Key) -> Bool) -> Int {
    let doomed = index.filter { shouldErase($0.key) }
    for slot in doomed.values { detach(slot) }
    return doomed.count
  }

  // MARK: Eviction

  // snippet: lru-evict
  private mutating func evictWhileOverCapacity() {
    while stats.usage > capacity {
      let evicted: Bool
      switch policy {
      case .lru: evicted = evictLeastRecentlyUsed()
      case .s3fifo: evicted = evictS3FIFO()
      }
      if !evicted { return }  // everything left is pinned
    }
  }

  /// LRU: the oldest entry of the recency queue. Pinned entries are not on
  /// it, so the oldest is always evictable.
  private mutating func evictLeastRecentlyUsed() -> Bool {
    let victim = queues[QueueID.recency.rawValue].oldest
    guard victim != Self.noSlot else { return false }
    evict(victim)
    return true
  }
  // end snippet

  // snippet: s3fifo-evict
  /// S3-FIFO: from small while it holds its 10% (or main is empty),
  /// otherwise from main; from the other queue if the first one holds only
  /// pinned entries.
  private mutating func evictS3FIFO() -> Bool {
    if queues[QueueID.small.rawValue].charge >= smallCapacity || queues[QueueID.main.rawValue].count == 0 {
      if evictFromSmall() { return true }
    }
    return evictFromMain() || evictFromSmall()
  }

  /// Looks at small's oldest entries until one is evicted: an entry hit
  /// while on probation moves to main instead, and a pinned one goes back
  /// to small's newest end. An evicted entry's hash goes to the ghost.
  private mutating func evictFromSmall() -> Bool {
    var looks = queues[QueueID.small.rawValue].count
    while looks > 0 {
      looks -= 1
      let oldest = queues[QueueID.small.rawValue].oldest
      if entries[oldest].pins > 0 {
        moveToNewest(oldest, of: .small)
      } else if entries[oldest].frequency > 0 {
        entries[oldest].frequency = 0
        moveToNewest(oldest, of: .main)
      } else {
        ghost.remember(entries[oldest].hash, charge: entries[oldest].charge)
        evict(oldest)
        return true
      }
    }
    return false
  }
  // end snippet

  /// CLOCK over main: an entry hit since the hand last passed goes back to
  /// the newest end with one hit fewer; the first unpinned entry with none
  /// is evicted. Every entry is looked at most `maxFrequency + 1` times, so
  /// the loop ends even when everything is pinned.
  private mutating func evictFromMain() -> Bool {
    var looks = queues[QueueID.main.rawValue].count * (Int(Self.maxFrequency) + 1)
    while looks > 0 {
      looks -= 1
      let oldest = queues[QueueID.main.rawValue].oldest
      if entries[oldest].pins > 0 {
        moveToNewest(oldest, of: .main)
      } else if entries[oldest].frequency > 0 {
        entries[oldest].frequency -= 1
        moveToNewest(oldest, of: .main)
      } else {
        evict(oldest)
        return true
      }
    }
    return false
  }

  /// Removes an unpinned entry because the policy chose it.
  private mutating func evict(_ slot: Int) {
    stats.evictions += 1
    detach(slot)
  }

  // MARK: Entries and queues

  private mutating func pin(_ slot: Int) {
    entries[slot].pins += 1
    guard entries[slot].pins == 1 else { return }
    stats.pinnedUsage += entries[slot].charge
    if policy == .lru { unlink(slot) }  // LRU keeps only evictable entries on its queue
  }

  /// Takes the entry out of the index and off its queue, and frees it
  /// unless it is pinned.
  private mutating func detach(_ slot: Int) {
    index.removeValue(forKey: entries[slot].key!)
    entries[slot].isIndexed = false
    stats.entryCount -= 1
    unlink(slot)
    if entries[slot].pins == 0 { free(slot) }
  }

  private mutating func allocateSlot() -> Int {
    if let slot = freeSlots.popLast() { return slot }
    entries.append(Entry())
    return entries.count - 1
  }

  private mutating func free(_ slot: Int) {
    stats.usage -= entries[slot].charge
    entries[slot] = Entry()
    freeSlots.append(slot)
  }

  private mutating func pushNewest(_ slot: Int, onto id: QueueID) {
    let q = id.rawValue
    let previousNewest = queues[q].newest
    entries[slot].queue = id
    entries[slot].newer = Self.noSlot
    entries[slot].older = previousNewest
    if previousNewest == Self.noSlot { queues[q].oldest = slot } else { entries[previousNewest].newer = slot }
    queues[q].newest = slot
    queues[q].count += 1
    queues[q].charge += entries[slot].charge
  }

  private mutating func unlink(_ slot: Int) {
    guard let id = entries[slot].queue else { return }
    let q = id.rawValue
    let (newer, older) = (entries[slot].newer, entries[slot].older)
    if newer == Self.noSlot { queues[q].newest = older } else { entries[newer].older = older }
    if older == Self.noSlot { queues[q].oldest = newer } else { entries[older].newer = newer }
    queues[q].count -= 1
    queues[q].charge -= entries[slot].charge
    entries[slot].queue = nil
    entries[slot].newer = Self.noSlot
    entries[slot].older = Self.noSlot
  }

  private mutating func moveToNewest(_ slot: Int, of id: QueueID) {
    unlink(slot)
    pushNewest(slot, onto: id)
  }
}

// MARK: - Inspection, for tests and the book

extension CacheShard {
  /// The keys on each queue, oldest (next victim) first.
  func queueContents() -> (recency: [Key], small: [Key], main: [Key]) {
    func keys(_ id: QueueID) -> [Key] {
      var result: [Key] = []
      var slot = queues[id.rawValue].oldest
      while slot != Self.noSlot {
        result.append(entries[slot].key!)
        slot = entries[slot].newer
      }
      return result
    }
    return (keys(.recency), keys(.small), keys(.main))
  }

  /// Fingerprints in S3-FIFO's ghost.
  var ghostCount: Int { ghost.count }

  /// Checks the invariants in the type's doc comment, returning what is
  /// wrong (empty if nothing).
  func checkInvariants() -> [String] {
    var problems: [String] = []
    var usage = 0
    var pinned = 0
    var queued = [0, 0, 0]
    var queuedCharge = [0, 0, 0]
    for (slot, entry) in entries.enumerated() where entry.key != nil {
      usage += entry.charge
      if entry.pins > 0 { pinned += entry.charge }
      if let id = entry.queue {
        queued[id.rawValue] += 1
        queuedCharge[id.rawValue] += entry.charge
      }
      if entry.isIndexed != (index[entry.key!] == slot) { problems.append("slot \(slot): index disagrees") }
      let shouldBeQueued = entry.isIndexed && (policy == .s3fifo || entry.pins == 0)
      if (entry.queue != nil) != shouldBeQueued { problems.append("slot \(slot): queued \(entry.queue as Any)") }
      if !entry.isIndexed && entry.pins == 0 { problems.append("slot \(slot): detached, unpinned, not freed") }
    }
    if usage != stats.usage { problems.append("usage \(stats.usage), entries hold \(usage)") }
    if pinned != stats.pinnedUsage { problems.append("pinned usage \(stats.pinnedUsage), entries \(pinned)") }
    if index.count != stats.entryCount { problems.append("entry count \(stats.entryCount), index \(index.count)") }
    for id in [QueueID.recency, .small, .main] {
      let q = queues[id.rawValue]
      if q.count != queued[id.rawValue] || q.charge != queuedCharge[id.rawValue] {
        problems.append("queue \(id): count \(q.count) charge \(q.charge), entries say otherwise")
      }
      let walked = queueContents()
      let length = [walked.recency, walked.small, walked.main][id.rawValue].count
      if length != q.count { problems.append("queue \(id): \(length) linked, count \(q.count)") }
    }
    if stats.pinnedUsage == 0 && stats.usage > capacity { problems.append("over capacity with nothing pinned") }
    return problems
  }
}
