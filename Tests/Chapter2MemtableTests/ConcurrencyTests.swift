import Atomics
import Chapter1WAL
import Foundation
import Testing

@testable import Chapter2Memtable

/// One writer inserting while readers iterate and look up, with no locks:
/// the skip list's concurrency contract, exercised.
///
/// The workload is a function of the sequence number, so a reader can check
/// any entry it meets without sharing state with the writer: write `s` goes
/// to key `key(s)`, is a delete when `s % 5 == 0`, and otherwise has the
/// value `value(s)`. The writer publishes `s` (a releasing store) after
/// inserting it, as the engine publishes its last sequence number; a reader
/// takes a snapshot with an acquiring load and must then see every write up
/// to it, each one complete.
@Suite struct ConcurrencyTests {
  static let writes = 20_000
  static let keySpace = 300
  static let readers = 3
  /// The writer lets the readers start a pass every this many writes.
  static let pause = 2_000

  static func key(_ sequence: Int) -> Bytes {
    Bytes(utf8: "key\((sequence &* 7919) % keySpace)")
  }

  static func isDelete(_ sequence: Int) -> Bool { sequence % 5 == 0 }

  /// Long enough to span node boundaries and tell writes apart.
  static func value(_ sequence: Int) -> Bytes {
    Bytes(utf8: String(repeating: "\(sequence).", count: 1 + sequence % 7))
  }

  /// For each key, its writes' sequence numbers in increasing order: the
  /// model a reader answers "newest at or below the snapshot" from.
  static let writesByKey: [Bytes: [Int]] = {
    var result: [Bytes: [Int]] = [:]
    for sequence in 1...writes { result[key(sequence), default: []].append(sequence) }
    return result
  }()

  static func newest(_ key: Bytes, atOrBelow snapshot: Int) -> Int? {
    writesByKey[key]?.last { $0 <= snapshot }
  }

  @Test func readersSeeCompleteSortedSnapshotsWhileTheWriterInserts() throws {
    let memtable = Memtable()
    let published = ManagedAtomic<Int>(0)
    let passesStarted = ManagedAtomic<Int>(0)
    let snapshotsSeen = ProblemLog()
    let problems = ProblemLog()
    let done = DispatchGroup()

    for reader in 0..<Self.readers {
      done.enter()
      Thread.detachNewThread {
        defer { done.leave() }
        var passes = 0
        // Keep reading until a pass has seen the writer's last write.
        while true {
          let snapshot = published.load(ordering: .acquiring)
          passesStarted.wrappingIncrement(ordering: .relaxed)
          snapshotsSeen.record("\(snapshot)")
          Self.checkScan(memtable, snapshot: snapshot, reader: reader, problems: problems)
          Self.checkGets(memtable, snapshot: snapshot, seed: UInt64(reader * 1000 + passes), problems: problems)
          Self.checkInternalOrder(memtable, snapshot: snapshot, problems: problems)
          passes += 1
          if snapshot == Self.writes || problems.count > 0 { break }
        }
      }
    }

    for sequence in 1...Self.writes {
      memtable.add(
        sequence: SequenceNumber(sequence), kind: Self.isDelete(sequence) ? .deletion : .value,
        key: Self.key(sequence), value: Self.value(sequence))
      published.store(sequence, ordering: .releasing)
      if sequence % Self.pause == 0 && sequence < Self.writes {
        // Let the readers catch up: wait until as many passes have started
        // as there are readers, so that reading overlaps the next inserts
        // however the threads are scheduled. (Coordination, not timing.)
        let target = passesStarted.load(ordering: .relaxed) + Self.readers
        while passesStarted.load(ordering: .relaxed) < target && problems.count == 0 { sched_yield() }
      }
    }
    done.wait()

    #expect(problems.all == [])
    #expect(Set(snapshotsSeen.all).count > 2)  // the readers saw the list grow
    #expect(memtable.count == Self.writes)
    try memtable.checkInvariants()
  }

  /// A full user-level scan at the snapshot, forward, against the model.
  static func checkScan(_ memtable: Memtable, snapshot: Int, reader: Int, problems: ProblemLog) {
    var iterator = memtable.makeIterator(snapshot: SequenceNumber(snapshot))
    var expected: [(key: Bytes, sequence: Int)] = []
    for (key, _) in writesByKey {
      if let sequence = newest(key, atOrBelow: snapshot), !isDelete(sequence) {
        expected.append((key, sequence))
      }
    }
    expected.sort { $0.key.lexicographicallyPrecedes($1.key) }
    var index = 0
    iterator.seekToFirst()
    while iterator.isValid {
      guard index < expected.count else {
        problems.record("reader \(reader) at snapshot \(snapshot): extra key \(Format.printable(iterator.key))")
        return
      }
      let (key, sequence) = expected[index]
      if iterator.key != key || iterator.sequence != SequenceNumber(sequence) || iterator.value != value(sequence) {
        problems.record(
          "reader \(reader) at snapshot \(snapshot): saw \(Format.printable(iterator.key)) #\(iterator.sequence), "
            + "expected \(Format.printable(key)) #\(sequence)")
        return
      }
      index += 1
      iterator.next()
    }
    if index != expected.count {
      problems.record("reader \(reader) at snapshot \(snapshot): saw \(index) keys, expected \(expected.count)")
    }
  }

  /// Point lookups of random keys at the snapshot.
  static func checkGets(_ memtable: Memtable, snapshot: Int, seed: UInt64, problems: ProblemLog) {
    var random = SeededGenerator(seed: seed)
    for _ in 0..<200 {
      let key = Bytes(utf8: "key\(Int.random(in: 0..<keySpace, using: &random))")
      let expected: LookupResult =
        switch newest(key, atOrBelow: snapshot) {
        case nil: .notFound
        case let sequence? where isDelete(sequence): .deleted(at: SequenceNumber(sequence))
        case let sequence?: .found(value(sequence))
        }
      let got = memtable.get(key, snapshot: SequenceNumber(snapshot))
      if got != expected {
        problems.record("get \(Format.printable(key)) at snapshot \(snapshot): \(got), expected \(expected)")
      }
    }
  }

  /// The internal entries in order, every one of them well formed, with at
  /// least every write up to the snapshot present. (Entries above it may
  /// or may not be there yet; either is fine.)
  static func checkInternalOrder(_ memtable: Memtable, snapshot: Int, problems: ProblemLog) {
    var iterator = memtable.list.makeIterator()
    iterator.seekToFirst()
    var previous: InternalKey?
    var visible = 0
    while iterator.isValid {
      let key = iterator.key
      let sequence = Int(key.sequence)
      if let previous, !(previous < key) {
        problems.record("internal entries out of order: \(previous) then \(key)")
        return
      }
      let kind: ValueKind = isDelete(sequence) ? .deletion : .value
      let value = kind == .deletion ? [] : value(sequence)
      if sequence < 1 || sequence > writes || key.userKey != Self.key(sequence) || key.kind != kind
        || iterator.value != value
      {
        problems.record("entry \(key) is not the write with sequence \(sequence)")
        return
      }
      if sequence <= snapshot { visible += 1 }
      previous = key
      iterator.next()
    }
    if visible != snapshot {
      problems.record("snapshot \(snapshot): \(visible) entries at or below it")
    }
  }
}

/// Lines recorded by reader threads, collected under a lock.
final class ProblemLog: @unchecked Sendable {
  // @unchecked: `problems` is only touched with `lock` held.
  private let lock = NSLock()
  private var problems: [String] = []

  func record(_ problem: String) { lock.withLock { problems.append(problem) } }
  var count: Int { lock.withLock { problems.count } }
  var all: [String] { lock.withLock { problems } }
}
