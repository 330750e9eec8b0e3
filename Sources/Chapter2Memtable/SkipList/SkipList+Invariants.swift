import Chapter1WAL

/// A skip list that breaks its own rules: what was wrong, and where.
public struct SkipListInvariantError: Error, CustomStringConvertible {
  public var message: String

  public init(_ message: String) { self.message = message }

  public var description: String { "skip list invariant violated: \(message)" }
}

extension SkipList {
  /// Checks the structure: every level sorted by internal key, each level
  /// exactly the nodes of level 0 whose towers reach it (so a subsequence of
  /// the level below), tower heights in 1…12, nothing linked above the
  /// list's height, and `count` equal to the length of level 0.
  ///
  /// For tests and the shell. It follows offsets only after checking that
  /// they are mapped, and walks at most `count + 1` nodes a level, so a
  /// damaged list gives an error rather than a crash or a hang.
  ///
  /// REQUIRES: no insert runs concurrently (it would change `count` under
  /// the walk).
  ///
  /// - Throws: `SkipListInvariantError` naming the level and the keys.
  /// - Complexity: O(n · height).
  public func checkInvariants() throws {
    let count = self.count
    let listHeight = height
    guard (1...Self.maxHeight).contains(listHeight) else {
      throw SkipListInvariantError("list height \(listHeight) is outside 1..\(Self.maxHeight)")
    }
    guard node(head).height == Self.maxHeight else {
      throw SkipListInvariantError("the head's tower has height \(node(head).height), not \(Self.maxHeight)")
    }
    var levels: [[UInt32]] = []
    for level in 0..<Self.maxHeight {
      levels.append(try walk(level: level, limit: count + 1))
    }
    guard levels[0].count == count else {
      throw SkipListInvariantError("count is \(count) but level 0 links \(levels[0].count) nodes")
    }
    for level in 1..<Self.maxHeight {
      let expected = levels[0].filter { node($0).height > level }
      guard levels[level] == expected else {
        throw SkipListInvariantError(
          "level \(level) links \(levels[level].count) nodes, but \(expected.count) nodes of level 0 "
            + "have towers that tall (level \(level) must be the subsequence of level \(level - 1) "
            + "whose towers reach it)")
      }
      if level >= listHeight && !levels[level].isEmpty {
        throw SkipListInvariantError("level \(level) links nodes but the list's height is \(listHeight)")
      }
    }
  }

  /// The offsets linked at `level`, checked for mapping, height and order.
  private func walk(level: Int, limit: Int) throws -> [UInt32] {
    var offsets: [UInt32] = []
    var previous: UInt32 = 0
    var offset = node(head).next(level).load(ordering: .acquiring)
    while offset != 0 {
      guard offsets.count < limit else {
        throw SkipListInvariantError("level \(level) links more than \(limit - 1) nodes (a cycle?)")
      }
      guard arena.isMapped(offset) else {
        throw SkipListInvariantError("level \(level) links offset \(offset), which is not in the arena")
      }
      let current = node(offset)
      guard (1...Self.maxHeight).contains(current.height) else {
        throw SkipListInvariantError("node at offset \(offset) has tower height \(current.height)")
      }
      guard current.height > level else {
        throw SkipListInvariantError(
          "node at offset \(offset) has height \(current.height) but is linked at level \(level)")
      }
      guard ValueKind(rawValue: current.kindByte) != nil else {
        throw SkipListInvariantError("node at offset \(offset) has kind byte \(current.kindByte)")
      }
      if previous != 0 {
        let before = node(previous)
        guard compare(before, current.key, current.sequence, current.kind) < 0 else {
          throw SkipListInvariantError(
            "level \(level) is not sorted: \(before.internalKey) is followed by \(current.internalKey)")
        }
      }
      offsets.append(offset)
      previous = offset
      offset = current.next(level).load(ordering: .acquiring)
    }
    return offsets
  }
}
