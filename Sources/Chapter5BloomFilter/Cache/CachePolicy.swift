/// Which entry a full cache shard gives up to make room.
///
/// A cache is only as good as its guesses about the future: when it is full
/// and a new block arrives, it must throw something out, and the best victim
/// is the entry that will be wanted again the latest. No policy knows that,
/// so each one guesses from the past.
///
/// ## LRU: the entry unused for the longest time
///
/// Every hit moves the entry to the front of a list; the victim is the one at
/// the back. It is simple, exact and O(1), and it is what LevelDB's block
/// cache does. Its weakness is a **scan**: a range scan or a compaction reads
/// thousands of blocks exactly once, each one becomes "most recently used"
/// in turn, and together they push every hot block out of the back of the
/// list. After the scan the point reads that were hitting all miss, until
/// the cache refills from disk.
///
/// ```
///  before the scan   [h1 h2 h3 h4 h5 h6]        (hot blocks, all hits)
///  during the scan   [s9 s8 s7 s6 s5 s4]        (scan blocks, never read again)
///  after the scan    h1 misses, h2 misses, ...  (the cache is full of garbage)
/// ```
///
/// ## S3-FIFO: a probation queue in front of the main one
///
/// S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction",
/// SOSP 2023) keeps three FIFO queues:
///
/// - **small** (about 10% of the capacity): every new entry starts here, on
///   probation;
/// - **main** (the other 90%): entries that proved themselves;
/// - **ghost**: the *fingerprints* (hashes) of entries recently evicted from
///   small, with no values, as many as main could hold.
///
/// A hit only increments the entry's 2-bit frequency (0…3); nothing moves.
/// When room is needed, the oldest entry of small either moves to main (it
/// was hit while on probation) or is evicted and remembered in the ghost
/// (it was not). The oldest entry of main is evicted if its frequency is 0,
/// and otherwise goes back to main's front with its frequency decremented:
/// a CLOCK hand over main. A miss whose key is in the ghost was evicted from
/// small too early, so it goes straight into main.
///
/// ```
///  insert ──▶ [ small ~10% ] ──hit while here──▶ [ main ~90%, CLOCK ] ──▶ evicted
///                  │                                   ▲
///                  └─ not hit ──▶ [ ghost: hashes ] ───┘ (missed again: into main)
/// ```
///
/// A scan's blocks are read once, so they pass through small and out into
/// the ghost, and main, where the hot blocks are, is never touched: the cost
/// of a scan is bounded by small's 10%. That is the property the engine
/// needs, since its own compactions and every user range scan are scans.
///
/// ## Why S3-FIFO and not CLOCK
///
/// CLOCK alone (one circular queue, a "referenced" bit per entry, a hand
/// that clears bits and evicts the first unreferenced entry) is a cheap
/// approximation of LRU: a hit sets a bit instead of moving the entry, so
/// hits need no list surgery. But it is not scan-resistant in general: when
/// a scan inserts faster than the hot entries are re-read, the hand sweeps
/// the whole queue, clears every bit, and then evicts hot and cold alike.
/// S3-FIFO keeps CLOCK's cheap hits (it *is* CLOCK over main) and adds the
/// one thing CLOCK lacks, a place where one-hit wonders are kept apart. The
/// price is the ghost's memory (a hash per recently evicted entry, not
/// counted in the cache's usage) and three queues instead of one.
///
/// ## Pinned entries
///
/// An entry with a live `Handle` may not be evicted (see `ShardedCache`).
/// LRU takes pinned entries off its list entirely, as RocksDB's LRU cache
/// does, so its victim is always the list's back, in O(1). S3-FIFO's
/// queues record insertion order, which must survive a pin, so a pinned
/// entry stays in its queue and the eviction hand passes over it (moving
/// it to the front as if it had been hit, without promoting it).
public enum CachePolicy: String, Sendable, CaseIterable {
  /// Least recently used, strict per shard.
  case lru
  /// Small, main and ghost FIFO queues (Yang et al., SOSP 2023):
  /// scan-resistant.
  case s3fifo
}
