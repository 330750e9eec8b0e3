import Chapter1WAL

/// The skip list as one would first write it in Swift: a `final class Node`
/// per entry, holding its key and value as arrays and its tower as an array
/// of references.
///
/// This is the baseline chapter 2 measures the arena-backed `SkipList`
/// against (`beach memtable-bench`); the engine never uses it. It is the
/// same algorithm with the same ordering (internal keys), the same tower
/// heights (same generator, same seed, same branching and maximum), so the
/// two lists built from the same inserts have identical shapes and any
/// difference in speed or memory comes from the representation alone:
///
/// - each node is four heap allocations (the object, its `next` array, and
///   the key's and value's buffers), each with a malloc header and rounding
///   up to a size class, and the object and array headers on top;
/// - each step of a search loads a strong reference, which costs
///   retain/release traffic on the node's reference count, and reads a
///   mutable class property (`next`), which Swift checks at run time for
///   exclusive access (a profile shows `swift_retain`, `swift_release` and
///   `swift_beginAccess` among the top entries);
/// - nodes are spread wherever malloc placed them;
/// - freeing the list releases every node, one by one (and, a recursion
///   hazard in naive versions: a long chain of `next` references is freed
///   recursively; `deinit` below unlinks level 0 iteratively to avoid a
///   stack overflow at a million nodes).
///
/// Single-threaded: no atomics, no concurrency contract. Like the arena
/// list, it copies the key and value it is given, so the memory it is
/// charged with is memory it owns.
public final class ObjectSkipList {
  final class Node {
    let key: InternalKey
    let value: Bytes
    var next: [Node?]

    init(key: InternalKey, value: Bytes, height: Int) {
      self.key = key
      self.value = value
      next = Array(repeating: nil, count: height)
    }
  }

  private let head = Node(key: InternalKey([], sequence: 0, kind: .deletion), value: [], height: SkipList.maxHeight)
  private var random: SeededGenerator
  /// The predecessors found by an insert's search, kept between inserts so
  /// that an insert allocates nothing but the node (the arena list keeps
  /// them on the stack): the baseline should be a fair one. Levels at or
  /// above `height` are never searched, so they still hold the head, which
  /// is what a taller new node must link after.
  private var previous: [Node]
  /// The height of the tallest tower so far.
  public private(set) var height = 1
  /// Entries in the list.
  public private(set) var count = 0

  /// An empty list; the seed plays the same role as `SkipList`'s.
  public init(seed: UInt64 = SkipList.defaultSeed) {
    random = SeededGenerator(seed: seed)
    previous = Array(repeating: head, count: SkipList.maxHeight)
  }

  deinit {
    // Release the chain from the front, so that no release has to recurse
    // through the rest of the list.
    var node = head.next[0]
    for level in 0..<SkipList.maxHeight { head.next[level] = nil }
    while let current = node {
      node = current.next[0]
      current.next.removeAll()
    }
  }

  /// Inserts one version of a key (copying `key` and `value`).
  ///
  /// REQUIRES: the internal key is not already in the list.
  public func insert(_ key: Bytes, sequence: SequenceNumber, kind: ValueKind, value: Bytes) {
    let internalKey = InternalKey(copy(key), sequence: sequence, kind: kind)
    var node = head
    for level in stride(from: height - 1, through: 0, by: -1) {
      while let next = node.next[level], next.key < internalKey { node = next }
      previous[level] = node
    }
    precondition(node.next[0]?.key != internalKey, "ObjectSkipList.insert: this internal key is already in the list")
    let nodeHeight = SkipList.randomHeight(using: &random)  // the same draw as the arena list
    height = max(height, nodeHeight)
    let new = Node(key: internalKey, value: copy(value), height: nodeHeight)
    for level in 0..<nodeHeight {
      new.next[level] = previous[level].next[level]
      previous[level].next[level] = new
    }
    count += 1
  }

  /// The first entry at or after `target`, or `nil`.
  public func find(greaterOrEqual target: InternalKey) -> (key: InternalKey, value: Bytes)? {
    var node = head
    for level in stride(from: height - 1, through: 0, by: -1) {
      while let next = node.next[level], next.key < target { node = next }
    }
    guard let found = node.next[0] else { return nil }
    return (found.key, found.value)
  }

  /// Every entry, in order (for tests).
  public func entries() -> [(key: InternalKey, value: Bytes)] {
    var result: [(key: InternalKey, value: Bytes)] = []
    var node = head.next[0]
    while let current = node {
      result.append((current.key, current.value))
      node = current.next[0]
    }
    return result
  }

  /// Tower heights in order (for tests: the same as `SkipList`'s).
  public func heights() -> [Int] {
    var result: [Int] = []
    var node = head.next[0]
    while let current = node {
      result.append(current.next.count)
      node = current.next[0]
    }
    return result
  }

  /// A copy in a buffer of its own, as the arena list copies into its arena
  /// (an `Array` assignment would share the caller's buffer instead).
  private func copy(_ bytes: Bytes) -> Bytes {
    bytes.withUnsafeBufferPointer { Bytes($0) }
  }
}
