import Chapter1WAL
import PropertyBased
import Testing

@testable import Chapter2Memtable

/// Random internal entries for the skip list tests, decoded from generated
/// codes so that the property checker can shrink a failing case.
enum EntryCodes {
  /// Key `index` of a small key space: index 0 is the empty key, the others
  /// `k1`, `k2`, ... (so `k10` sorts before `k2`, bytewise).
  static func key(_ index: Int) -> Bytes { index == 0 ? [] : Bytes(utf8: "k\(index)") }

  /// One entry per code: key from the low bits, kind and value from the
  /// high ones; sequence numbers are a permutation of 1…n, so insertion
  /// order and sequence order differ.
  static func entries(_ codes: [UInt16], keySpace: Int = 24) -> [InternalEntry] {
    var random = SeededGenerator(seed: UInt64(codes.count))
    let sequences = Array(1...max(1, codes.count)).shuffled(using: &random)
    return codes.enumerated().map { index, code in
      let high = Int(code >> 8)
      let kind: ValueKind = high % 5 == 0 ? .deletion : .value
      let value = kind == .deletion || high % 7 == 0 ? [] : Bytes(utf8: "v\(index)")
      return InternalEntry(
        key: InternalKey(key(Int(code) % keySpace), sequence: SequenceNumber(sequences[index]), kind: kind),
        value: value)
    }
  }

  static func list(_ entries: [InternalEntry], seed: UInt64 = SkipList.defaultSeed) -> SkipList {
    let list = SkipList(seed: seed)
    for entry in entries {
      list.insert(entry.key.userKey, sequence: entry.key.sequence, kind: entry.key.kind, value: entry.value)
    }
    return list
  }

  /// Every entry, first to last.
  static func forward(_ list: SkipList) -> [InternalEntry] {
    var result: [InternalEntry] = []
    var iterator = list.makeIterator()
    iterator.seekToFirst()
    while iterator.isValid {
      result.append(iterator.entry)
      iterator.next()
    }
    return result
  }

  /// Every entry, last to first, by `prev()`.
  static func backward(_ list: SkipList) -> [InternalEntry] {
    var result: [InternalEntry] = []
    var iterator = list.makeIterator()
    iterator.seekToLast()
    while iterator.isValid {
      result.append(iterator.entry)
      iterator.prev()
    }
    return result
  }

  /// The index of the first model entry at or after `target`.
  static func lowerBound(_ model: [InternalEntry], _ target: InternalKey) -> Int {
    model.firstIndex { !($0.key < target) } ?? model.count
  }
}

@Suite struct SkipListTests {
  @Test func emptyListHasNoEntries() throws {
    let list = SkipList()
    var iterator = list.makeIterator()
    iterator.seekToFirst()
    #expect(!iterator.isValid)
    iterator.seekToLast()
    #expect(!iterator.isValid)
    iterator.seek(InternalKey([], sequence: .max, kind: .value))
    #expect(!iterator.isValid)
    #expect(list.count == 0)
    #expect(list.height == 1)
    #expect(list.find(greaterOrEqual: InternalKey(Bytes(utf8: "a"), sequence: 1, kind: .value)) == nil)
    try list.checkInvariants()
  }

  @Test func entriesComeOutInInternalKeyOrder() {
    let list = SkipList()
    list.insert(Bytes(utf8: "b"), sequence: 1, kind: .value, value: Bytes(utf8: "b1"))
    list.insert(Bytes(utf8: "a"), sequence: 2, kind: .value, value: Bytes(utf8: "a2"))
    list.insert(Bytes(utf8: "b"), sequence: 3, kind: .deletion, value: [])
    list.insert(Bytes(utf8: "a"), sequence: 4, kind: .value, value: [])
    #expect(
      EntryCodes.forward(list).map(\.description) == [
        "a #4 PUT → \"\"", "a #2 PUT → a2", "b #3 DEL", "b #1 PUT → b1",
      ])
  }

  @Test func matchesASortedArrayAfterRandomInserts() async {
    await propertyCheck(input: Gen<UInt16>.value().array(of: 0...300)) { codes in
      let entries = EntryCodes.entries(codes)
      let list = EntryCodes.list(entries)
      let model = entries.sorted { $0.key < $1.key }
      #expect(list.count == model.count)
      #expect(EntryCodes.forward(list) == model)
      #expect(EntryCodes.backward(list) == model.reversed())
      for entry in model.prefix(20) { #expect(list.contains(entry.key)) }
      #expect(throws: Never.self) { try list.checkInvariants() }
    }
  }

  @Test func invariantsHoldAfterManyInserts() throws {
    var random = SeededGenerator(seed: 7)
    let list = SkipList(seed: 7)
    for sequence in 1...5000 {
      let key = Bytes(utf8: "key\(Int.random(in: 0..<700, using: &random))")
      let kind: ValueKind = Bool.random(using: &random) ? .value : .deletion
      list.insert(
        key, sequence: SequenceNumber(sequence), kind: kind, value: Bytes(repeating: 0x61, count: sequence % 50))
      if sequence % 1000 == 0 { try list.checkInvariants() }
    }
    #expect(list.count == 5000)
    #expect(list.height > 4)
  }

  @Test func sameSeedSameTowers() {
    let entries = EntryCodes.entries((0..<2000).map { UInt16(truncatingIfNeeded: $0 &* 7919) }, keySpace: 500)
    let a = EntryCodes.list(entries, seed: 42).nodes()
    let b = EntryCodes.list(entries, seed: 42).nodes()
    let c = EntryCodes.list(entries, seed: 43).nodes()
    #expect(a.map(\.height) == b.map(\.height))
    #expect(a.map(\.key) == c.map(\.key))
    #expect(a.map(\.height) != c.map(\.height))
  }

  @Test func heightsFollowTheBranchingFactor() {
    let list = SkipList()
    for i in 0..<40_000 {
      list.insert(Bytes(utf8: "key\(i)"), sequence: 1, kind: .value, value: [])
    }
    let histogram = list.heightHistogram()
    #expect(histogram.count == SkipList.maxHeight)
    #expect(histogram.reduce(0, +) == 40_000)
    // Expected 30 000, 7 500, 1 875, 469, 117: each about a quarter of the
    // one before. Bounds are many standard deviations wide; the seed is
    // fixed, so this is deterministic anyway.
    #expect((29_000...31_000).contains(histogram[0]))
    #expect((7_000...8_000).contains(histogram[1]))
    #expect((1_650...2_100).contains(histogram[2]))
    #expect((380...560).contains(histogram[3]))
    #expect(list.height == histogram.lastIndex { $0 > 0 }! + 1)
    #expect(list.nodes().map(\.height).max() == list.height)
  }

  @Test func iteratorAgreesWithTheModelFromEveryPosition() async {
    await propertyCheck(input: Gen<UInt16>.value().array(of: 1...120)) { codes in
      let model = EntryCodes.entries(codes).sorted { $0.key < $1.key }
      let list = EntryCodes.list(EntryCodes.entries(codes))
      var iterator = list.makeIterator()
      for (index, entry) in model.enumerated() {
        iterator.seek(entry.key)
        #expect(iterator.isValid && iterator.entry == entry)
        iterator.prev()
        if index == 0 {
          #expect(!iterator.isValid)
        } else {
          #expect(iterator.isValid && iterator.entry == model[index - 1])
          iterator.next()
          #expect(iterator.entry == entry)
        }
      }
    }
  }

  @Test func seekFindsTheFirstEntryAtOrAfterTheTarget() async {
    await propertyCheck(input: Gen<UInt16>.value().array(of: 0...120), Gen<UInt16>.value().array(of: 1...40)) {
      codes, targets in
      let model = EntryCodes.entries(codes).sorted { $0.key < $1.key }
      let list = EntryCodes.list(EntryCodes.entries(codes))
      var iterator = list.makeIterator()
      for code in targets {
        // Targets between, at and around the entries: any key of the space
        // (plus one past it), any sequence near the ones in use, either kind.
        let target = InternalKey(
          EntryCodes.key(Int(code) % 26), sequence: SequenceNumber(code >> 6),
          kind: code & 1 == 0 ? .value : .deletion)
        iterator.seek(target)
        let expected = EntryCodes.lowerBound(model, target)
        if expected == model.count {
          #expect(!iterator.isValid)
        } else {
          #expect(iterator.isValid && iterator.entry == model[expected])
        }
        #expect(list.find(greaterOrEqual: target) == (expected < model.count ? model[expected] : nil))
      }
    }
  }

  @Test func theObjectBaselineBuildsTheSameList() async {
    await propertyCheck(input: Gen<UInt16>.value().array(of: 0...200)) { codes in
      let entries = EntryCodes.entries(codes)
      let list = EntryCodes.list(entries)
      let objects = ObjectSkipList()
      for entry in entries {
        objects.insert(entry.key.userKey, sequence: entry.key.sequence, kind: entry.key.kind, value: entry.value)
      }
      #expect(objects.entries().map { InternalEntry(key: $0.key, value: $0.value) } == EntryCodes.forward(list))
      #expect(objects.heights() == list.nodes().map(\.height))
      #expect(objects.count == list.count && objects.height == list.height)
      for entry in entries.prefix(10) {
        #expect(objects.find(greaterOrEqual: entry.key)?.value == list.find(greaterOrEqual: entry.key)?.value)
      }
    }
  }

  @Test func iteratorReadsInPlace() {
    let list = SkipList()
    list.insert(Bytes(utf8: "user:1"), sequence: 7, kind: .value, value: Bytes(utf8: "alice"))
    var iterator = list.makeIterator()
    iterator.seekToFirst()
    #expect(iterator.userKeyEquals(Bytes(utf8: "user:1")))
    #expect(!iterator.userKeyEquals(Bytes(utf8: "user:")))
    #expect(iterator.withUnsafeUserKey { Bytes($0) } == Bytes(utf8: "user:1"))
    #expect(iterator.withUnsafeValue { Bytes($0) } == Bytes(utf8: "alice"))
    #expect(iterator.sequence == 7 && iterator.kind == .value && iterator.height >= 1)
    #expect(iterator.key == InternalKey(Bytes(utf8: "user:1"), sequence: 7, kind: .value))
  }

  @Test func checkInvariantsReportsABrokenLinkInsteadOfTrapping() throws {
    let list = SkipList()
    for i in 0..<50 { list.insert(Bytes(utf8: "key\(i + 10)"), sequence: 1, kind: .value, value: []) }
    try list.checkInvariants()
    // Unlink the first node at level 0 only: level 0 is now one short.
    let first = list.first()
    let head = list.node(list.head)
    head.next(0).store(list.successor(of: first), ordering: .relaxed)
    #expect(throws: SkipListInvariantError.self) { try list.checkInvariants() }
    head.next(0).store(first, ordering: .relaxed)
    try list.checkInvariants()
    // Point a node back at the first: a cycle, reported, not followed forever.
    let last = list.findLast()
    list.node(last).next(0).store(first, ordering: .relaxed)
    let error = #expect(throws: SkipListInvariantError.self) { try list.checkInvariants() }
    #expect(error?.description.contains("level 0") == true)
    list.node(last).next(0).store(0, ordering: .relaxed)
    try list.checkInvariants()
  }
}

@Suite struct ArenaTests {
  @Test func usageGrowsWithInsertsAndStaysWithinCapacity() {
    let list = SkipList()
    let empty = list.memoryUsage
    #expect(empty > 0)  // the head node
    var last = empty
    for i in 0..<1000 {
      list.insert(
        Bytes(utf8: "key\(i)"), sequence: SequenceNumber(i), kind: .value, value: Bytes(repeating: 1, count: 100))
      #expect(list.memoryUsage > last)
      #expect(list.arenaCapacity >= list.memoryUsage)
      last = list.memoryUsage
    }
    // Each entry costs its key and value plus a 20-byte header, a 4-byte
    // link per level, and alignment: more than 100 + 6 bytes, well under 200.
    let perEntry = Double(list.memoryUsage - empty) / 1000
    #expect(perEntry > 126 && perEntry < 150)
    #expect(list.arena.chunkCount == 1)
  }

  @Test func allocationsAreAlignedAndNeverAtOffsetZero() {
    let arena = Arena(chunkSize: 1 << 16)
    var offsets: [UInt32] = []
    for size in [1, 3, 8, 13, 100, 5000, 20_000, 50_000, 70_000, 1, 2] {
      let offset = arena.allocate(size, alignment: 8)
      #expect(offset != 0)
      #expect(Int(bitPattern: arena.pointer(at: offset)) % 8 == 0)
      arena.pointer(at: offset).initializeMemory(as: UInt8.self, repeating: UInt8(size % 256), count: size)
      offsets.append(offset)
    }
    #expect(Set(offsets).count == offsets.count)
    #expect(arena.bytesReserved >= arena.bytesUsed)
    // 20 000 bytes still fit in the first chunk. 50 000 do not, and are more
    // than a quarter chunk: a chunk of their own, exactly their size, and the
    // first chunk stays current. 70 000 are more than a whole chunk: their
    // own chunk, over two slots. The last two land in the first chunk.
    #expect(arena.chunkCount == 3)
    #expect(arena.bytesReserved == (1 << 16) + 50_000 + 70_000)
    let slots = offsets.map { $0 >> 16 }
    #expect(slots == [1, 1, 1, 1, 1, 1, 1, 2, 3, 1, 1])
    for (offset, size) in zip(offsets, [1, 3, 8, 13, 100, 5000, 20_000, 50_000, 70_000, 1, 2]) {
      let bytes = UnsafeRawBufferPointer(start: arena.pointer(at: offset), count: size)
      #expect(bytes.allSatisfy { $0 == UInt8(size % 256) })
    }
  }

  @Test func oversizedEntriesGetAChunkOfTheirOwn() throws {
    let list = SkipList()
    let big = Bytes((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    list.insert(Bytes(utf8: "a"), sequence: 1, kind: .value, value: Bytes(utf8: "small"))
    list.insert(Bytes(utf8: "b"), sequence: 2, kind: .value, value: big)
    list.insert(Bytes(utf8: "c"), sequence: 3, kind: .value, value: Bytes(utf8: "small again"))
    #expect(list.find(greaterOrEqual: InternalKey(Bytes(utf8: "b"), sequence: .max, kind: .value))?.value == big)
    #expect(
      list.find(greaterOrEqual: InternalKey(Bytes(utf8: "c"), sequence: .max, kind: .value))?.value
        == Bytes(utf8: "small again"))
    #expect(list.memoryUsage > 3 << 20)
    #expect(list.arenaCapacity >= list.memoryUsage)
    #expect(list.arena.chunkCount == 2)
    try list.checkInvariants()
  }
}
