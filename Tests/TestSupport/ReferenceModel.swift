import Chapter1WAL
import PropertyBased

/// What the reference-model tests need from any engine, in chapter 1's
/// terms only, so that every chapter from 2 on can be driven by the same
/// model through a small adapter. What only later chapters can do comes as
/// refinements (`FlushingModelSubject`, `IteratingModelSubject`): the model
/// runs a step only on a subject that has it.
public protocol ModelSubject {
  func write(_ batch: WriteBatch) throws -> SequenceNumber
  /// Takes a snapshot; returns a token for the other calls.
  func takeSnapshot() -> Int
  func release(_ snapshot: Int) -> Bool
  func get(_ key: Bytes, snapshot: Int?) throws -> Bytes?
  func scan(from: Bytes?, to: Bytes?, snapshot: Int?) throws -> [KeyValuePair]
  /// Closes and opens again (after a power cut if `crash`); returns the
  /// recovered last sequence number.
  mutating func reopen(crash: Bool) throws -> SequenceNumber
  /// Checks the engine's internal structures.
  func checkInvariants() throws
}

/// An engine that flushes its memtable to tables (chapter 3 on).
public protocol FlushingModelSubject: ModelSubject {
  /// Flushes the memtable to a table.
  func flush() throws
}

/// An engine with long-lived iterators and a whole-database merge
/// (chapter 4 on).
public protocol IteratingModelSubject: FlushingModelSubject {
  /// Opens an iterator over the store as it is now; returns a token.
  func openIterator() throws -> Int
  /// The next `count` entries of an iterator (fewer at the end).
  func next(iterator: Int, count: Int) throws -> [KeyValuePair]
  /// Closes an iterator.
  func close(iterator: Int)
  /// Merges every table into one.
  func merge() throws
}

/// Random sessions of every operation the engines offer, checked step by step
/// against a model simple enough to be obviously right: a dictionary, and a
/// copy of it per live snapshot.
public enum ReferenceModel {
  /// One step of a random session.
  public enum Step: CustomStringConvertible, Sendable {
    case put(key: Int, value: Int)
    case delete(key: Int)
    case batch([Step])
    case snapshot
    case get(key: Int, snapshot: Int?)
    case scan(from: Int?, to: Int?, snapshot: Int?)
    case release(snapshot: Int)
    case reopen
    case crash
    case flush
    case openIterator
    case iteratorNext(iterator: Int, count: Int)
    case closeIterator(iterator: Int)
    case merge

    /// Rolls below this make the steps every engine has; chapter 4 on
    /// rolls up to `rollsWithIterators` for iterators and merges too.
    public static let rollsWithoutIterators = 100
    public static let rollsWithIterators = 120

    /// Builds a step from three small numbers, so the generator and the
    /// shrinker only ever deal with integers.
    public init(roll: Int, a: Int, b: Int) {
      switch roll {
      case 0..<30: self = .put(key: a, value: b)
      case 30..<42: self = .delete(key: a)
      case 42..<52:
        self = .batch(
          (0...(b % 3 + 1)).map { i in
            (a + i) % 3 == 0 ? .delete(key: (a + i) % 8) : .put(key: (a * i) % 8, value: b + i)
          })
      case 52..<60: self = .snapshot
      case 60..<74: self = .get(key: a, snapshot: b % 3 == 0 ? nil : b)
      case 74..<83:
        self = .scan(from: a % 4 == 0 ? nil : a, to: b % 4 == 0 ? nil : a + b, snapshot: b % 2 == 0 ? nil : b)
      case 83..<88: self = .release(snapshot: b)
      case 88..<92: self = .reopen
      case 92..<96: self = .crash
      case 96..<100: self = .flush
      case 100..<106: self = .openIterator
      case 106..<114: self = .iteratorNext(iterator: b, count: a % 3 + 1)
      case 114..<117: self = .closeIterator(iterator: b)
      default: self = .merge
      }
    }

    public var description: String {
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
      case .flush: "flush"
      case .openIterator: "open iterator"
      case .iteratorNext(let iterator, let count): "next \(count) @iterator\(iterator)"
      case .closeIterator(let iterator): "close iterator\(iterator)"
      case .merge: "merge"
      }
    }
  }

  public static func key(_ n: Int) -> Bytes { Bytes(utf8: "k\(n)") }

  /// Random sessions of 1 to 60 of the steps every engine has.
  public static let sessions = zip(
    Gen<Int>.value(in: 0..<Step.rollsWithoutIterators), Gen<Int>.value(in: 0...7), Gen<Int>.value(in: 0...9)
  )
  .map { Step(roll: $0, a: $1, b: $2) }
  .array(of: 1...60)

  /// Random sessions that also open, read and close iterators and merge
  /// (chapter 4 on).
  public static let sessionsWithIterators = zip(
    Gen<Int>.value(in: 0..<Step.rollsWithIterators), Gen<Int>.value(in: 0...7), Gen<Int>.value(in: 0...9)
  )
  .map { Step(roll: $0, a: $1, b: $2) }
  .array(of: 1...60)

  /// Runs `steps` as `run` does; returns the disagreement followed by the
  /// numbered steps, ready for `Issue.record`, or `nil`.
  public static func failure(of steps: [Step], on subject: inout some ModelSubject) throws -> String? {
    guard let problem = try run(steps, on: &subject) else { return nil }
    let listing = steps.enumerated().map { "  \($0.offset): \($0.element)" }.joined(separator: "\n")
    return "\(problem)\nsteps:\n\(listing)"
  }

  /// Runs `steps` against `subject` and the model; returns the first
  /// disagreement, or `nil`.
  public static func run(_ steps: [Step], on subject: inout some ModelSubject) throws -> String? {
    var model: [Bytes: Bytes] = [:]
    var sequence: SequenceNumber = 0
    var snapshots: [(token: Int, state: [Bytes: Bytes])] = []
    // An iterator sees the store as it was when it opened, however long it
    // stays open.
    var iterators: [(token: Int, entries: [KeyValuePair], position: Int)] = []

    func expected(_ state: [Bytes: Bytes], from: Int?, to: Int?) -> [KeyValuePair] {
      state.filter { entry in
        (from.map { !entry.key.lexicographicallyPrecedes(key($0)) } ?? true)
          && (to.map { entry.key.lexicographicallyPrecedes(key($0)) } ?? true)
      }
      .map { KeyValuePair(key: $0.key, value: $0.value) }
      .sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    func add(_ step: Step, to batch: inout WriteBatch, model: inout [Bytes: Bytes]) {
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
          for s in inner { add(s, to: &batch, model: &model) }
        } else {
          add(step, to: &batch, model: &model)
        }
        sequence += SequenceNumber(batch.count)
        let got = try subject.write(batch)
        if got != sequence { return "\(at): write returned seq \(got), expected \(sequence)" }
      case .snapshot:
        snapshots.append((subject.takeSnapshot(), model))
      case .get(let k, let slot):
        let (token, state) = slot.flatMap { snapshots.isEmpty ? nil : snapshots[$0 % snapshots.count] } ?? (nil, model)
        let got = try subject.get(key(k), snapshot: token)
        if got != state[key(k)] { return "\(at): got \(got.map(Format.printable) ?? "nothing")" }
      case .scan(let from, let to, let slot):
        let (token, state) = slot.flatMap { snapshots.isEmpty ? nil : snapshots[$0 % snapshots.count] } ?? (nil, model)
        let got = try subject.scan(from: from.map(key), to: to.map(key), snapshot: token)
        if got != expected(state, from: from, to: to) {
          return "\(at): scan differs: \(got.map { Format.printable($0.key) })"
        }
      case .release(let slot):
        guard !snapshots.isEmpty else { continue }
        let (token, _) = snapshots.remove(at: slot % snapshots.count)
        if !subject.release(token) { return "\(at): releasing a live snapshot failed" }
      case .reopen, .crash:
        if let subject = subject as? any IteratingModelSubject {
          for iterator in iterators { subject.close(iterator: iterator.token) }
        }
        let recovered = try subject.reopen(crash: { if case .crash = step { true } else { false } }())
        snapshots = []  // snapshots and iterators live in memory; a reopen ends them
        iterators = []
        if recovered != sequence { return "\(at): recovered last seq \(recovered), expected \(sequence)" }
        if try subject.scan(from: nil, to: nil, snapshot: nil) != expected(model, from: nil, to: nil) {
          return "\(at): recovered contents differ"
        }
      case .flush:
        try (subject as? any FlushingModelSubject)?.flush()
      case .merge:
        try (subject as? any IteratingModelSubject)?.merge()
      case .openIterator:
        guard let subject = subject as? any IteratingModelSubject else { continue }
        iterators.append((try subject.openIterator(), expected(model, from: nil, to: nil), 0))
      case .iteratorNext(let slot, let count):
        guard let subject = subject as? any IteratingModelSubject, !iterators.isEmpty else { continue }
        let index = slot % iterators.count
        let (token, entries, position) = iterators[index]
        let want = Array(entries[position..<min(entries.count, position + count)])
        let got = try subject.next(iterator: token, count: count)
        if got != want {
          return
            "\(at): iterator read \(got.map { Format.printable($0.key) }), expected \(want.map { Format.printable($0.key) })"
        }
        iterators[index].position += want.count
      case .closeIterator(let slot):
        guard let subject = subject as? any IteratingModelSubject, !iterators.isEmpty else { continue }
        subject.close(iterator: iterators.remove(at: slot % iterators.count).token)
      }
      do {
        try subject.checkInvariants()
      } catch {
        return "\(at): invariant broken: \(error)"
      }
    }
    return nil
  }
}
