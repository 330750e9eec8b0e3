import Chapter1WAL
import PropertyBased
import TestSupport
import Testing

@testable import Chapter2Memtable

/// Random interleavings of every operation chapter 2 offers, checked step by
/// step against a model simple enough to be obviously right: a dictionary,
/// and a copy of it per live snapshot.
///
/// A failure is shrunk to a short sequence of operations, and the property
/// checker prints the seed that reproduces it (add `.fixedSeed("…")` to the
/// test to replay exactly that run).
@Suite struct ReferenceModelTests {
  /// One step of a random session.
  enum Step: CustomStringConvertible, Sendable {
    case put(key: Int, value: Int)
    case delete(key: Int)
    case batch([Step])
    case snapshot
    case get(key: Int, snapshot: Int?)
    case scan(from: Int?, to: Int?, snapshot: Int?)
    case release(snapshot: Int)
    case reopen
    case crash

    /// Builds a step from three small numbers, so the generator (and the
    /// shrinker) only ever deal with integers.
    init(roll: Int, a: Int, b: Int) {
      switch roll {
      case 0..<30: self = .put(key: a, value: b)
      case 30..<42: self = .delete(key: a)
      case 42..<52:
        self = .batch(
          (0...(b % 3 + 1)).map { i in
            (a + i) % 3 == 0 ? .delete(key: (a + i) % 8) : .put(key: (a * i) % 8, value: b + i)
          })
      case 52..<60: self = .snapshot
      case 60..<75: self = .get(key: a, snapshot: b % 3 == 0 ? nil : b)
      case 75..<85:
        self = .scan(from: a % 4 == 0 ? nil : a, to: b % 4 == 0 ? nil : a + b, snapshot: b % 2 == 0 ? nil : b)
      case 85..<91: self = .release(snapshot: b)
      case 91..<96: self = .reopen
      default: self = .crash
      }
    }

    var description: String {
      switch self {
      case .put(let key, let value): "put k\(key) v\(value)"
      case .delete(let key): "delete k\(key)"
      case .batch(let steps): "batch [" + steps.map(\.description).joined(separator: "; ") + "]"
      case .snapshot: "snapshot"
      case .get(let key, let snapshot): "get k\(key)" + (snapshot.map { " @slot\($0)" } ?? "")
      case .scan(let from, let to, let snapshot):
        "scan \(from.map { "k\($0)" } ?? "-") \(to.map { "k\($0)" } ?? "-")" + (snapshot.map { " @slot\($0)" } ?? "")
      case .release(let snapshot): "release slot\(snapshot)"
      case .reopen: "reopen"
      case .crash: "crash"
      }
    }
  }

  static let steps = zip(Gen<Int>.value(in: 0...99), Gen<Int>.value(in: 0...7), Gen<Int>.value(in: 0...9))
    .map { Step(roll: $0, a: $1, b: $2) }
    .array(of: 1...60)

  @Test func randomSessionsMatchTheModel() async {
    await propertyCheck(count: 150, input: Self.steps) { steps in
      if let problem = try Self.run(steps) {
        let listing = steps.enumerated().map { "  \($0.offset): \($0.element)" }.joined(separator: "\n")
        Issue.record("\(problem)\nsteps:\n\(listing)")
      }
    }
  }

  static func key(_ n: Int) -> Bytes { Bytes(utf8: "k\(n)") }

  /// Runs `steps` against a fresh database and the model; returns the first
  /// disagreement.
  static func run(_ steps: [Step]) throws -> String? {
    let fs = PowerCutFileSystem(wrapping: MemoryFileSystem())
    var db = try Chapter2Memtable.Database.open(directory: "/db", fileSystem: fs)
    var model: [Bytes: Bytes] = [:]
    var sequence: SequenceNumber = 0
    var snapshots: [(handle: SnapshotList.Snapshot, state: [Bytes: Bytes])] = []

    func expected(_ state: [Bytes: Bytes], from: Int?, to: Int?) -> [KeyValuePair] {
      state.filter { entry in
        (from.map { compareBytes(entry.key, key($0)) >= 0 } ?? true)
          && (to.map { compareBytes(entry.key, key($0)) < 0 } ?? true)
      }
      .map { KeyValuePair(key: $0.key, value: $0.value) }
      .sorted { compareBytes($0.key, $1.key) < 0 }
    }

    func apply(_ step: Step, to batch: inout WriteBatch, model: inout [Bytes: Bytes]) {
      switch step {
      case .put(let k, let v):
        batch.put(key(k), Bytes(utf8: "v\(v)"))
        model[key(k)] = Bytes(utf8: "v\(v)")
      case .delete(let k):
        batch.delete(key(k))
        model[key(k)] = nil
      default: break
      }
    }

    for (index, step) in steps.enumerated() {
      let at = "step \(index) (\(step))"
      switch step {
      case .put, .delete, .batch:
        var batch = WriteBatch()
        if case .batch(let inner) = step {
          for s in inner { apply(s, to: &batch, model: &model) }
        } else {
          apply(step, to: &batch, model: &model)
        }
        sequence += SequenceNumber(batch.count)
        let got = try db.write(batch)
        if got != sequence { return "\(at): write returned seq \(got), expected \(sequence)" }
      case .snapshot:
        snapshots.append((db.snapshot(), model))
      case .get(let k, let slot):
        if let slot, !snapshots.isEmpty {
          let (handle, state) = snapshots[slot % snapshots.count]
          let got = try db.get(key(k), at: handle)
          if got != state[key(k)] { return "\(at): got \(got.map(printable) ?? "nil") at \(handle)" }
        } else {
          let got = try db.get(key(k))
          if got != model[key(k)] { return "\(at): got \(got.map(printable) ?? "nil")" }
        }
      case .scan(let from, let to, let slot):
        if let slot, !snapshots.isEmpty {
          let (handle, state) = snapshots[slot % snapshots.count]
          let got = try db.scan(from: from.map(key), to: to.map(key), at: handle)
          if got != expected(state, from: from, to: to) { return "\(at): scan at \(handle) differs" }
        } else {
          let got = try db.scan(from: from.map(key), to: to.map(key))
          if got != expected(model, from: from, to: to) { return "\(at): scan differs" }
        }
      case .release(let slot):
        guard !snapshots.isEmpty else { continue }
        let (handle, _) = snapshots.remove(at: slot % snapshots.count)
        if !db.release(handle) { return "\(at): release of a live snapshot failed" }
      case .reopen, .crash:
        if case .crash = step {
          try fs.crash()
        } else {
          try db.close()
        }
        db = try Chapter2Memtable.Database.open(directory: "/db", fileSystem: fs)
        snapshots = []  // snapshots live in memory; a reopen ends them
        if db.lastSequence != sequence { return "\(at): recovered last seq \(db.lastSequence), expected \(sequence)" }
        if try db.scan() != expected(model, from: nil, to: nil) { return "\(at): recovered contents differ" }
      }
      do {
        try db.memtable.checkInvariants()
      } catch {
        return "\(at): skip list invariant broken: \(error)"
      }
    }
    return nil
  }
}
