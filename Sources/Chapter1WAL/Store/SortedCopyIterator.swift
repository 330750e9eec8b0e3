/// An iterator over a sorted copy of every entry: what an engine without an
/// ordered structure (chapter 1's map) can offer. Making one costs a full
/// scan; moving it costs nothing.
public struct SortedCopyIterator: ReversibleKeyValueIterator {
  private let entries: [KeyValuePair]
  private var index: Int

  /// - Parameter entries: in ascending key order.
  public init(_ entries: [KeyValuePair]) {
    self.entries = entries
    self.index = entries.count
  }

  public var isValid: Bool { index >= 0 && index < entries.count }
  public var key: Bytes { entries[index].key }
  public var value: Bytes { entries[index].value }
  public mutating func seekToFirst() { index = 0 }
  public mutating func seekToLast() { index = entries.count - 1 }
  public mutating func next() { index += 1 }
  public mutating func prev() { index -= 1 }

  public mutating func seek(_ key: Bytes) {
    var low = 0
    var high = entries.count
    while low < high {
      let middle = (low + high) / 2
      if entries[middle].key.lexicographicallyPrecedes(key) { low = middle + 1 } else { high = middle }
    }
    index = low
  }
}
