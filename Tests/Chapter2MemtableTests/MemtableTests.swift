import Chapter1WAL
import PropertyBased
import Testing

@testable import Chapter2Memtable

/// The reference model of a memtable: the list of writes, and a brute-force
/// answer to "what does a reader at snapshot s see?".
struct MemtableModel: Sendable {
  struct Write: Sendable {
    var key: Bytes
    var sequence: SequenceNumber
    var kind: ValueKind
    var value: Bytes
  }

  private(set) var writes: [Write] = []

  mutating func add(_ write: Write) { writes.append(write) }

  /// The newest write to `key` at or below `snapshot`.
  func get(_ key: Bytes, snapshot: SequenceNumber) -> LookupResult {
    let newest = writes.filter { $0.key == key && $0.sequence <= snapshot }.max { $0.sequence < $1.sequence }
    guard let newest else { return .notFound }
    return newest.kind == .value ? .found(newest.value) : .deleted(at: newest.sequence)
  }

  /// What a reader at `snapshot` sees, in key order.
  func visible(at snapshot: SequenceNumber) -> [(key: Bytes, value: Bytes)] {
    var newest: [Bytes: Write] = [:]
    for write in writes where write.sequence <= snapshot {
      if let current = newest[write.key], current.sequence > write.sequence { continue }
      newest[write.key] = write
    }
    return newest.values.filter { $0.kind == .value }
      .sorted { $0.key.lexicographicallyPrecedes($1.key) }
      .map { ($0.key, $0.value) }
  }

  /// Writes decoded from generated codes, sequences 1, 2, 3, ... in order:
  /// a small key space, about a fifth deletes, some empty values.
  static func writes(_ codes: [UInt16], keySpace: Int = 16) -> MemtableModel {
    var model = MemtableModel()
    for (index, code) in codes.enumerated() {
      let high = Int(code >> 8)
      let kind: ValueKind = high % 5 == 0 ? .deletion : .value
      let value = kind == .deletion || high % 7 == 0 ? [] : Bytes(utf8: "v\(index + 1)")
      model.add(
        Write(key: EntryCodes.key(Int(code) % keySpace), sequence: SequenceNumber(index + 1), kind: kind, value: value))
    }
    return model
  }

  func memtable() -> Memtable {
    let memtable = Memtable()
    for write in writes {
      memtable.add(sequence: write.sequence, kind: write.kind, key: write.key, value: write.value)
    }
    return memtable
  }
}

/// Every (key, value) an iterator shows, first to last.
func scanForward(_ iterator: inout MemtableIterator) -> [(key: Bytes, value: Bytes)] {
  var result: [(key: Bytes, value: Bytes)] = []
  iterator.seekToFirst()
  while iterator.isValid {
    result.append((iterator.key, iterator.value))
    iterator.next()
  }
  return result
}

/// Every (key, value) an iterator shows, last to first.
func scanBackward(_ iterator: inout MemtableIterator) -> [(key: Bytes, value: Bytes)] {
  var result: [(key: Bytes, value: Bytes)] = []
  iterator.seekToLast()
  while iterator.isValid {
    result.append((iterator.key, iterator.value))
    iterator.prev()
  }
  return result
}

func same(_ a: [(key: Bytes, value: Bytes)], _ b: [(key: Bytes, value: Bytes)]) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
}

@Suite struct MemtableTests {
  let k = Bytes(utf8: "k")

  @Test func getSeesTheNewestVersionAtTheSnapshot() {
    let memtable = Memtable()
    memtable.add(sequence: 1, kind: .value, key: k, value: Bytes(utf8: "v1"))
    memtable.add(sequence: 3, kind: .value, key: k, value: Bytes(utf8: "v3"))
    memtable.add(sequence: 5, kind: .value, key: k, value: Bytes(utf8: "v5"))
    #expect(memtable.get(k, snapshot: 0) == .notFound)
    #expect(memtable.get(k, snapshot: 1) == .found(Bytes(utf8: "v1")))
    #expect(memtable.get(k, snapshot: 2) == .found(Bytes(utf8: "v1")))
    #expect(memtable.get(k, snapshot: 3) == .found(Bytes(utf8: "v3")))
    #expect(memtable.get(k, snapshot: 4) == .found(Bytes(utf8: "v3")))
    #expect(memtable.get(k, snapshot: 5) == .found(Bytes(utf8: "v5")))
    #expect(memtable.get(k, snapshot: .max) == .found(Bytes(utf8: "v5")))
  }

  @Test func aDeleteHidesTheValueFromItsSequenceOn() {
    let memtable = Memtable()
    memtable.add(sequence: 1, kind: .value, key: k, value: Bytes(utf8: "a"))
    memtable.add(sequence: 2, kind: .deletion, key: k, value: Bytes(utf8: "ignored"))
    #expect(memtable.get(k, snapshot: 1) == .found(Bytes(utf8: "a")))
    #expect(memtable.get(k, snapshot: 2) == .deleted(at: 2))
    #expect(memtable.get(k, snapshot: 9) == .deleted(at: 2))
    memtable.add(sequence: 3, kind: .value, key: k, value: Bytes(utf8: "b"))
    #expect(memtable.get(k, snapshot: 9) == .found(Bytes(utf8: "b")))
    #expect(memtable.entries().map(\.description) == ["k #3 PUT → b", "k #2 DEL", "k #1 PUT → a"])
  }

  @Test func anEmptyValueIsNotADelete() {
    let memtable = Memtable()
    memtable.add(sequence: 1, kind: .value, key: k, value: [])
    #expect(memtable.get(k, snapshot: 1) == .found([]))
    var iterator = memtable.makeIterator(snapshot: 1)
    iterator.seekToFirst()
    #expect(iterator.isValid && iterator.key == k && iterator.value == [])
  }

  @Test func getDoesNotConfuseNeighbouringKeys() {
    let memtable = Memtable()
    memtable.add(sequence: 1, kind: .value, key: Bytes(utf8: "k1"), value: Bytes(utf8: "x"))
    memtable.add(sequence: 2, kind: .value, key: Bytes(utf8: "j"), value: Bytes(utf8: "y"))
    #expect(memtable.get(k, snapshot: 5) == .notFound)
    #expect(memtable.get([], snapshot: 5) == .notFound)
    #expect(memtable.get(Bytes(utf8: "k1"), snapshot: 0) == .notFound)
  }

  @Test func getAgreesWithTheModel() async {
    await propertyCheck(input: Gen<UInt16>.value().array(of: 0...200)) { codes in
      let model = MemtableModel.writes(codes)
      let memtable = model.memtable()
      for snapshot in stride(from: 0, through: codes.count + 1, by: max(1, codes.count / 8)) {
        for index in 0..<17 {
          let key = EntryCodes.key(index)
          #expect(
            memtable.get(key, snapshot: SequenceNumber(snapshot)) == model.get(key, snapshot: SequenceNumber(snapshot)))
        }
      }
    }
  }

  @Test func iteratorShowsTheModelForwardAndBackward() async {
    await propertyCheck(input: Gen<UInt16>.value().array(of: 0...200), Gen<UInt16>.value()) { codes, cut in
      let model = MemtableModel.writes(codes)
      let memtable = model.memtable()
      let snapshot = SequenceNumber(Int(cut) % (codes.count + 2))
      let expected = model.visible(at: snapshot)
      var iterator = memtable.makeIterator(snapshot: snapshot)
      #expect(same(scanForward(&iterator), expected))
      #expect(same(scanBackward(&iterator), expected.reversed()))
    }
  }

  @Test func iteratorTurnsAroundAtEveryKey() async {
    await propertyCheck(input: Gen<UInt16>.value().array(of: 0...150), Gen<UInt16>.value()) { codes, cut in
      let model = MemtableModel.writes(codes, keySpace: 10)
      let memtable = model.memtable()
      let snapshot = SequenceNumber(Int(cut) % (codes.count + 2))
      let expected = model.visible(at: snapshot)
      var iterator = memtable.makeIterator(snapshot: snapshot)
      for (index, entry) in expected.enumerated() {
        // Arrive going forward, then step back and forth.
        iterator.seek(entry.key)
        #expect(iterator.isValid && iterator.key == entry.key && iterator.value == entry.value)
        iterator.prev()
        if index == 0 {
          #expect(!iterator.isValid)
        } else {
          #expect(iterator.isValid && iterator.key == expected[index - 1].key)
          #expect(iterator.value == expected[index - 1].value)
          iterator.next()
          #expect(iterator.isValid && iterator.key == entry.key && iterator.value == entry.value)
        }
        // Arrive going backward, then step forward.
        iterator.seekToLast()
        for _ in 0..<(expected.count - 1 - index) { iterator.prev() }
        #expect(iterator.isValid && iterator.key == entry.key && iterator.value == entry.value)
        iterator.next()
        if index == expected.count - 1 {
          #expect(!iterator.isValid)
        } else {
          #expect(iterator.isValid && iterator.key == expected[index + 1].key)
          #expect(iterator.value == expected[index + 1].value)
          iterator.prev()
          #expect(iterator.isValid && iterator.key == entry.key && iterator.value == entry.value)
        }
      }
    }
  }

  @Test func seekFindsTheFirstVisibleKeyAtOrAfter() async {
    await propertyCheck(input: Gen<UInt16>.value().array(of: 0...150), Gen<UInt16>.value()) { codes, cut in
      let model = MemtableModel.writes(codes, keySpace: 12)
      let memtable = model.memtable()
      let snapshot = SequenceNumber(Int(cut) % (codes.count + 2))
      let expected = model.visible(at: snapshot)
      var iterator = memtable.makeIterator(snapshot: snapshot)
      let targets = (0..<14).map(EntryCodes.key) + [Bytes(utf8: "k"), Bytes(utf8: "k15"), Bytes(utf8: "z")]
      for target in targets {
        iterator.seek(target)
        let first = expected.first { !$0.key.lexicographicallyPrecedes(target) }
        #expect(iterator.isValid == (first != nil))
        if let first, iterator.isValid {
          #expect(iterator.key == first.key && iterator.value == first.value)
        }
      }
    }
  }

  @Test func anIteratorIgnoresWritesAfterItsSnapshot() {
    let memtable = Memtable()
    memtable.add(sequence: 1, kind: .value, key: Bytes(utf8: "a"), value: Bytes(utf8: "1"))
    memtable.add(sequence: 2, kind: .value, key: Bytes(utf8: "c"), value: Bytes(utf8: "2"))
    var iterator = memtable.makeIterator(snapshot: 2)
    iterator.seekToFirst()
    memtable.add(sequence: 3, kind: .value, key: Bytes(utf8: "b"), value: Bytes(utf8: "3"))
    memtable.add(sequence: 4, kind: .deletion, key: Bytes(utf8: "c"), value: [])
    memtable.add(sequence: 5, kind: .value, key: Bytes(utf8: "a"), value: Bytes(utf8: "5"))
    var seen: [String] = []
    while iterator.isValid {
      seen.append("\(Format.printable(iterator.key))=\(Format.printable(iterator.value))@\(iterator.sequence)")
      iterator.next()
    }
    #expect(seen == ["a=1@1", "c=2@2"])
    var latest = memtable.makeIterator(snapshot: 5)
    #expect(scanBackward(&latest).map { Format.printable($0.key) } == ["b", "a"])
  }

  @Test func entriesListEveryVersion() {
    let model = MemtableModel.writes((0..<60).map { UInt16($0 * 37) }, keySpace: 5)
    let memtable = model.memtable()
    let entries = memtable.entries()
    #expect(entries.count == 60)
    #expect(entries == entries.sorted { $0.key < $1.key })
    #expect(memtable.entries(limit: 7) == Array(entries.prefix(7)))
    #expect(memtable.count == 60)
    #expect(memtable.heightHistogram().reduce(0, +) == 60)
    #expect(memtable.height >= 1)
    #expect(memtable.arenaCapacity >= memtable.memoryUsage)
    #expect(throws: Never.self) { try memtable.checkInvariants() }
  }
}
