/// Chapter 1's in-memory table: a hash map with a sorted view for scans.
///
/// Point reads and writes go to a `Dictionary`, O(1) each. A scan needs the
/// keys in order, so the map keeps a sorted array of its keys and rebuilds it
/// (O(n log n)) the first time a scan follows a write that added or removed
/// a key. That is fine for a log-plus-map engine and honest about its cost;
/// chapter 2 replaces the whole thing with a skip list, which stays sorted as
/// it is written.
struct OrderedMap {
  private var entries: [Bytes: Bytes] = [:]
  private var sortedKeys: [Bytes] = []
  private var sortedKeysAreCurrent = true

  var count: Int { entries.count }

  /// Bytes held by keys and values.
  private(set) var payloadBytes = 0

  subscript(key: Bytes) -> Bytes? { entries[key] }

  mutating func set(_ key: Bytes, _ value: Bytes) {
    if let old = entries.updateValue(value, forKey: key) {
      payloadBytes += value.count - old.count
    } else {
      payloadBytes += key.count + value.count
      sortedKeysAreCurrent = false
    }
  }

  mutating func remove(_ key: Bytes) {
    if let old = entries.removeValue(forKey: key) {
      payloadBytes -= key.count + old.count
      sortedKeysAreCurrent = false
    }
  }

  /// Entries with `from <= key < to`, in key order.
  mutating func range(from: Bytes?, to: Bytes?) -> [KeyValuePair] {
    if !sortedKeysAreCurrent {
      sortedKeys = entries.keys.sorted { $0.lexicographicallyPrecedes($1) }
      sortedKeysAreCurrent = true
    }
    var index = from.map { lowerBound($0) } ?? 0
    var result: [KeyValuePair] = []
    while index < sortedKeys.count {
      let key = sortedKeys[index]
      if let to, !key.lexicographicallyPrecedes(to) { break }
      result.append(KeyValuePair(key: key, value: entries[key]!))
      index += 1
    }
    return result
  }

  /// The index of the first key not less than `key`.
  private func lowerBound(_ key: Bytes) -> Int {
    var low = 0
    var high = sortedKeys.count
    while low < high {
      let mid = (low + high) / 2
      if sortedKeys[mid].lexicographicallyPrecedes(key) { low = mid + 1 } else { high = mid }
    }
    return low
  }
}
