/// S3-FIFO's ghost: the fingerprints of entries recently evicted from the
/// small queue, in eviction order, without their values.
///
/// A miss whose key is still remembered here was evicted from probation too
/// early (it came back before the ghost forgot it), so the shard inserts it
/// straight into the main queue. The ghost holds 64-bit key hashes, as the
/// paper does: two keys with the same hash would only make one of them skip
/// probation, which costs a little hit ratio and never a wrong answer.
///
/// It remembers as much charge as the main queue holds, oldest forgotten
/// first. Its own memory (about 40 bytes a fingerprint) is not part of the
/// cache's usage.
///
/// The FIFO is an array with a moving start. Forgetting a fingerprint early
/// (because its key came back) leaves a stale slot in the array, recognised
/// by its serial number no longer matching; the array is compacted when
/// stale and consumed slots outnumber live ones, so every operation is
/// amortised O(1).
struct GhostQueue {
  /// The charge the ghost may remember.
  let capacity: Int
  /// The charge it remembers now.
  private(set) var charge = 0
  private var fifo: [(hash: UInt64, serial: UInt64)] = []
  private var oldest = 0
  private var members: [UInt64: (serial: UInt64, charge: Int)] = [:]
  private var nextSerial: UInt64 = 0

  init(capacity: Int) { self.capacity = capacity }

  /// Fingerprints remembered now.
  var count: Int { members.count }

  /// Remembers `hash` as the newest fingerprint, forgetting the oldest ones
  /// while more than `capacity` is remembered.
  mutating func remember(_ hash: UInt64, charge entryCharge: Int) {
    guard capacity > 0 else { return }
    _ = forget(hash)
    nextSerial += 1
    fifo.append((hash, nextSerial))
    members[hash] = (nextSerial, entryCharge)
    charge += entryCharge
    while charge > capacity, oldest < fifo.count {
      let (oldHash, serial) = fifo[oldest]
      oldest += 1
      if members[oldHash]?.serial == serial { charge -= members.removeValue(forKey: oldHash)!.charge }
    }
    compactIfMostlyStale()
  }

  /// Forgets `hash` and reports whether it was remembered.
  mutating func forget(_ hash: UInt64) -> Bool {
    guard let member = members.removeValue(forKey: hash) else { return false }
    charge -= member.charge
    return true
  }

  private mutating func compactIfMostlyStale() {
    guard fifo.count > 64, fifo.count > 2 * members.count else { return }
    fifo = fifo[oldest...].filter { members[$0.hash]?.serial == $0.serial }
    oldest = 0
  }
}
