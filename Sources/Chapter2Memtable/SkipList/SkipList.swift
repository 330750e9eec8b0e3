import Atomics
import Chapter1WAL

/// # The skip list
///
/// The memtable's sorted structure: a linked list of entries in internal-key
/// order, where each node also carries a *tower* of extra links that skip
/// ahead. Level 0 links every node; level 1 about one node in four; level 2
/// one in sixteen; and so on up to level 11. A search starts at the top of
/// the head's tower, moves right while the next node is still before the
/// key, and drops a level when it would overshoot: O(log n) steps, with no
/// rebalancing ever, because the shape comes from coin flips, not from the
/// order of the keys.
///
/// ```
///  level 2  head ─────────────────────────────▶ k5 ────────────────▶ nil
///  level 1  head ──────────▶ k2 ──────────────▶ k5 ─────▶ k7 ──────▶ nil
///  level 0  head ──▶ k1 ──▶ k2 ──▶ k3 ──▶ k4 ──▶ k5 ──▶ k6 ──▶ k7 ──▶ nil
/// ```
///
/// ## Node layout
///
/// Nodes live in an `Arena` and refer to each other by 32-bit offset (0 is
/// "nil"). A node starts 8-byte aligned and is laid out as:
///
/// ```
///  offset     size   field
///  +0         1      height h, 1…12: levels this node is linked at
///  +1         1      kind: 0 deletion, 1 value (ValueKind.rawValue)
///  +2         2      zero
///  +4         4      key length k
///  +8         8      sequence number
///  +16        4      value length v
///  +20        4·h    tower: next offset at level 0, 1, …, h−1 (atomic UInt32)
///  +20+4h     k      user key bytes
///  +20+4h+k   v      value bytes
/// ```
///
/// So `put user:1 alice` at sequence 7 with a tower of height 1 takes
/// 20 + 4 + 6 + 5 = 35 bytes (40 with alignment): the entry's whole cost,
/// with nothing else allocated for it. Keys and values are limited to
/// 4 GiB − 1 each by their length fields, and in practice by the arena.
///
/// The head is a node like any other with height 12, no key and no value; it
/// is never compared, so it needs none.
///
/// ## Concurrency contract
///
/// **One writer, any number of readers, no locks.** `insert` must be called
/// by one thread at a time (the engine's write path is serialized by the
/// commit queue anyway). Everything else (`find`, iterators, `count`,
/// `height`, `memoryUsage`) may run on any thread at any time, including
/// while an insert is in progress. This is safe because:
///
/// 1. **Nodes are immutable once linked.** The writer fills a node in
///    completely (header, key, value, its own next links) while no one else
///    can reach it. After that only its next links ever change.
/// 2. **Publication order.** A node becomes reachable through one store: the
///    predecessor's next link at level 0 (then at each level above). Those
///    stores are `.releasing`, and readers load links `.acquiring`, so a
///    reader that sees the new offset also sees every byte written before it.
///    A reader sees either the list before the insert or after it at each
///    level, never a half-written node.
/// 3. **No removal.** Nodes are never unlinked or freed while the list
///    lives, so an offset a reader holds stays valid.
/// 4. **The arena never moves.** Chunks and the slot table stay where they
///    are, so an offset maps to the same bytes forever.
///
/// The list's height is an atomic too, read `.relaxed`: a reader that sees a
/// new height before the head's link at that level is set sees nil there,
/// and simply drops a level.
///
/// What a reader sees is a moment of the list, plus possibly some entries
/// inserted while it walked. The memtable makes that a consistent view by
/// reading at a snapshot: entries with a sequence number above it are
/// skipped, and every entry at or below it was linked before the snapshot
/// was taken.
public final class SkipList: @unchecked Sendable {
  // @unchecked: the only mutable stored property, `random`, is used by
  // `insert` alone, and the contract above allows one inserting thread at a
  // time. Links, height and count are atomics; node bytes follow the
  // publication protocol above.

  /// The tallest tower: 12 levels, as LevelDB. With branching 4, twelve
  /// levels keep searches logarithmic up to 4¹² ≈ 16 million entries.
  public static let maxHeight = 12
  /// One node in `branching` at each level also appears at the next.
  public static let branching: UInt64 = 4
  /// The seed of the tower heights when none is given, so that two runs of
  /// the same inserts build the same list (and the same trace).
  public static let defaultSeed: UInt64 = 0xBEAC_4DB2

  let arena: Arena
  let head: UInt32
  private let currentHeight = ManagedAtomic<Int>(1)
  private let entryCount = ManagedAtomic<Int>(0)
  private var random: SeededGenerator

  /// An empty list.
  ///
  /// - Parameters:
  ///   - seed: seeds the tower heights; the same seed and the same inserts
  ///     give the same list.
  ///   - chunkSize: the arena's standard chunk size (see `Arena`).
  public init(seed: UInt64 = SkipList.defaultSeed, chunkSize: Int = Arena.defaultChunkSize) {
    arena = Arena(chunkSize: chunkSize)
    random = SeededGenerator(seed: seed)
    head = Self.makeNode(
      in: arena, height: Self.maxHeight, key: UnsafeRawBufferPointer(start: nil, count: 0), sequence: 0,
      kind: .deletion, value: UnsafeRawBufferPointer(start: nil, count: 0))
  }

  /// Entries in the list.
  public var count: Int { entryCount.load(ordering: .relaxed) }

  /// The height of the tallest tower so far, 1…12.
  public var height: Int { currentHeight.load(ordering: .relaxed) }

  /// Arena bytes in use: nodes with their keys and values, padding, and the
  /// head.
  public var memoryUsage: Int { arena.bytesUsed }

  /// Arena bytes obtained from the system (whole chunks).
  public var arenaCapacity: Int { arena.bytesReserved }

  // MARK: Inserting

  // snippet: skiplist-insert
  /// Inserts one version of a key.
  ///
  /// Finds, at every level, the last node before the new key (the nodes
  /// whose links must change), draws a height, writes the whole node into
  /// the arena, and only then links it in, bottom level first, each link a
  /// releasing store. A concurrent reader sees the node fully written or
  /// not at all.
  ///
  /// REQUIRES: one writer at a time; the internal key
  /// (`key`, `sequence`, `kind`) is not already in the list.
  ///
  /// - Complexity: O(log n) expected.
  public func insert(_ key: Bytes, sequence: SequenceNumber, kind: ValueKind, value: Bytes) {
    key.withUnsafeBytes { key in
      value.withUnsafeBytes { value in
        // The predecessors live on the stack: a heap array here would be a
        // malloc per insert, the very cost the arena exists to avoid.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Self.maxHeight) { previous in
          let next = findGreaterOrEqual(key, sequence, kind, previous: previous)
          precondition(
            next == 0 || compare(Node(arena, next), key, sequence, kind) != 0,
            "SkipList.insert: this internal key is already in the list")
          let nodeHeight = Self.randomHeight(using: &random)
          let listHeight = height
          if nodeHeight > listHeight {
            for level in listHeight..<nodeHeight { previous[level] = head }
            currentHeight.store(nodeHeight, ordering: .relaxed)
          }
          let new = Self.makeNode(
            in: arena, height: nodeHeight, key: key, sequence: sequence, kind: kind, value: value)
          let node = Node(arena, new)
          for level in 0..<nodeHeight {
            let before = Node(arena, previous[level])
            node.next(level).store(before.next(level).load(ordering: .relaxed), ordering: .relaxed)
            before.next(level).store(new, ordering: .releasing)  // publish at this level
          }
          entryCount.wrappingIncrement(ordering: .relaxed)
        }
      }
    }
  }
  // end snippet

  // snippet: skiplist-random-height
  /// A tower height: 1, then one more level with probability 1/4 each time,
  /// at most 12. So 3/4 of the nodes have height 1, 3/16 height 2, and so
  /// on: on average 4/3 links a node, and each level holds about a quarter
  /// of the nodes of the level below.
  static func randomHeight(using random: inout SeededGenerator) -> Int {
    var height = 1
    while height < maxHeight && random.next() % branching == 0 {
      height += 1
    }
    return height
  }
  // end snippet

  /// Allocates a node and writes all of it. No one can reach it yet.
  private static func makeNode(
    in arena: Arena, height: Int, key: UnsafeRawBufferPointer, sequence: SequenceNumber, kind: ValueKind,
    value: UnsafeRawBufferPointer
  ) -> UInt32 {
    precondition(key.count < 1 << 32 && value.count < 1 << 32, "key or value longer than 4 GiB")
    let offset = arena.allocate(Node.towerOffset + 4 * height + key.count + value.count, alignment: 8)
    let p = arena.pointer(at: offset)
    p.storeBytes(of: UInt8(height), toByteOffset: 0, as: UInt8.self)
    p.storeBytes(of: kind.rawValue, toByteOffset: 1, as: UInt8.self)
    p.storeBytes(of: 0, toByteOffset: 2, as: UInt16.self)
    p.storeBytes(of: UInt32(key.count), toByteOffset: 4, as: UInt32.self)
    p.storeBytes(of: sequence, toByteOffset: 8, as: UInt64.self)
    p.storeBytes(of: UInt32(value.count), toByteOffset: 16, as: UInt32.self)
    (p + Node.towerOffset).initializeMemory(
      as: UnsafeAtomic<UInt32>.Storage.self, repeating: .init(0), count: height)
    let keyStart = p + Node.towerOffset + 4 * height
    if let base = key.baseAddress { keyStart.copyMemory(from: base, byteCount: key.count) }
    if let base = value.baseAddress { (keyStart + key.count).copyMemory(from: base, byteCount: value.count) }
    return offset
  }

  // MARK: Searching

  // snippet: skiplist-find
  /// The first node at or after the internal key (`key`, `sequence`,
  /// `kind`), or 0 if there is none.
  ///
  /// Start at the top of the head's tower. At each level move right while
  /// the next node is still before the key; when it is not (or there is
  /// none), remember where we stopped and go down a level. At level 0 the
  /// next node is the answer. `previous`, if given, receives the node we
  /// stopped at on each level: exactly the nodes an insert must relink.
  func findGreaterOrEqual(
    _ key: UnsafeRawBufferPointer, _ sequence: SequenceNumber, _ kind: ValueKind,
    previous: UnsafeMutableBufferPointer<UInt32>?
  ) -> UInt32 {
    var node = head
    var level = height - 1
    while true {
      let next = Node(arena, node).next(level).load(ordering: .acquiring)
      if next != 0 && compare(Node(arena, next), key, sequence, kind) < 0 {
        node = next  // still before the key: keep going right
      } else {
        previous?[level] = node
        if level == 0 { return next }
        level -= 1  // the next node is at or past the key: go down
      }
    }
  }
  // end snippet

  /// The last node before the internal key, or 0 if the key is at or before
  /// the first node. What `Iterator.prev()` uses: a list with only forward
  /// links finds a predecessor by searching again, in O(log n).
  func findLessThan(_ key: UnsafeRawBufferPointer, _ sequence: SequenceNumber, _ kind: ValueKind) -> UInt32 {
    var node = head
    var level = height - 1
    while true {
      let next = Node(arena, node).next(level).load(ordering: .acquiring)
      if next != 0 && compare(Node(arena, next), key, sequence, kind) < 0 {
        node = next
      } else {
        if level == 0 { return node == head ? 0 : node }
        level -= 1
      }
    }
  }

  /// The last node, or 0 if the list is empty: right as far as possible on
  /// each level, then down.
  func findLast() -> UInt32 {
    var node = head
    var level = height - 1
    while true {
      let next = Node(arena, node).next(level).load(ordering: .acquiring)
      if next != 0 {
        node = next
      } else {
        if level == 0 { return node == head ? 0 : node }
        level -= 1
      }
    }
  }

  /// The first node, or 0 if the list is empty.
  func first() -> UInt32 { Node(arena, head).next(0).load(ordering: .acquiring) }

  /// The node after `node` on level 0, or 0 at the end.
  func successor(of node: UInt32) -> UInt32 { Node(arena, node).next(0).load(ordering: .acquiring) }

  /// A view of the node at `offset`.
  func node(_ offset: UInt32) -> Node { Node(arena, offset) }

  /// Whether the internal key is in the list.
  public func contains(_ key: InternalKey) -> Bool {
    key.userKey.withUnsafeBytes { bytes in
      let node = findGreaterOrEqual(bytes, key.sequence, key.kind, previous: nil)
      return node != 0 && compare(Node(arena, node), bytes, key.sequence, key.kind) == 0
    }
  }

  /// The first entry at or after `target` in internal-key order, or `nil`.
  ///
  /// To read user key `k` as of sequence `s`, seek to `(k, s, .value)` and
  /// check that the entry found has user key `k` (see `Memtable.get`).
  ///
  /// - Complexity: O(log n) expected, plus copying the entry out.
  public func find(greaterOrEqual target: InternalKey) -> InternalEntry? {
    var iterator = makeIterator()
    iterator.seek(target)
    return iterator.isValid ? iterator.entry : nil
  }

  /// A new iterator, not positioned: call a `seek` first.
  public func makeIterator() -> Iterator { Iterator(list: self) }

  // MARK: Looking inside

  /// Up to `limit` entries from the first, each with its tower height: what
  /// the shell draws.
  public func nodes(limit: Int = .max) -> [(key: InternalKey, height: Int)] {
    var result: [(key: InternalKey, height: Int)] = []
    var offset = first()
    while offset != 0 && result.count < limit {
      let node = Node(arena, offset)
      result.append((node.internalKey, node.height))
      offset = node.next(0).load(ordering: .acquiring)
    }
    return result
  }

  /// How many nodes have each tower height: element 0 counts height 1,
  /// element 11 height 12. With branching 4, each element should be about a
  /// quarter of the one before.
  ///
  /// - Complexity: O(n): walks level 0.
  public func heightHistogram() -> [Int] {
    var histogram = Array(repeating: 0, count: Self.maxHeight)
    var offset = first()
    while offset != 0 {
      let node = Node(arena, offset)
      histogram[node.height - 1] += 1
      offset = node.next(0).load(ordering: .acquiring)
    }
    return histogram
  }

  // MARK: Comparing

  /// Three-way comparison of a node's internal key with one given by parts:
  /// the order of `InternalKey` (user key ascending, sequence descending,
  /// kind descending), over bytes in place, so that a search allocates
  /// nothing.
  @inline(__always)
  func compare(
    _ node: Node, _ key: UnsafeRawBufferPointer, _ sequence: SequenceNumber, _ kind: ValueKind
  ) -> Int {
    let byKey = compareBytes(node.key, key)
    if byKey != 0 { return byKey }
    let nodeSequence = node.sequence
    if nodeSequence != sequence { return nodeSequence > sequence ? -1 : 1 }
    let nodeKind = node.kindByte
    if nodeKind != kind.rawValue { return nodeKind > kind.rawValue ? -1 : 1 }
    return 0
  }
}

extension SkipList {
  /// A view of one node in the arena: reads the fields of the layout at the
  /// top of this file. One pointer, no reference counting.
  struct Node {
    static let towerOffset = 20

    let pointer: UnsafeMutableRawPointer

    @inline(__always)
    init(_ arena: Arena, _ offset: UInt32) { pointer = arena.pointer(at: offset) }

    var height: Int { Int(pointer.load(as: UInt8.self)) }
    var kindByte: UInt8 { pointer.load(fromByteOffset: 1, as: UInt8.self) }
    var kind: ValueKind { ValueKind(rawValue: kindByte)! }
    var keyLength: Int { Int(pointer.load(fromByteOffset: 4, as: UInt32.self)) }
    var sequence: SequenceNumber { pointer.load(fromByteOffset: 8, as: UInt64.self) }
    var valueLength: Int { Int(pointer.load(fromByteOffset: 16, as: UInt32.self)) }

    /// The link at `level`, as an atomic over the tower's bytes.
    ///
    /// REQUIRES: `level < height`.
    @inline(__always)
    func next(_ level: Int) -> UnsafeAtomic<UInt32> {
      UnsafeAtomic(
        at: (pointer + Self.towerOffset + 4 * level).assumingMemoryBound(to: UnsafeAtomic<UInt32>.Storage.self))
    }

    var key: UnsafeRawBufferPointer {
      UnsafeRawBufferPointer(start: pointer + Self.towerOffset + 4 * height, count: keyLength)
    }

    var value: UnsafeRawBufferPointer {
      UnsafeRawBufferPointer(start: pointer + Self.towerOffset + 4 * height + keyLength, count: valueLength)
    }

    var internalKey: InternalKey { InternalKey(Bytes(key), sequence: sequence, kind: kind) }
  }
}
