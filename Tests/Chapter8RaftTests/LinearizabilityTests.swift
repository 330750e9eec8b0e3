import Chapter1WAL
import Testing

@testable import Chapter8Raft

/// Small histories written out by hand, then random ones whose answer is
/// known by construction.
@Suite("Linearizability checker")
struct LinearizabilityTests {
  // MARK: Helpers

  /// A completed operation from client `client` over `[call, returned]`.
  private func op(
    _ client: UInt64, _ key: String, _ kind: Operation.Kind, _ call: UInt64, _ returned: UInt64?,
    saw observed: String? = nil
  ) -> Operation {
    Operation(
      client: client, key: Bytes(utf8: key), kind: kind, call: call, returned: returned,
      observed: observed.map { Bytes(utf8: $0) })
  }

  private func put(_ value: String) -> Operation.Kind { .put(Bytes(utf8: value)) }

  private func violation(_ verdict: Linearizability.Verdict) -> Linearizability.Violation? {
    if case .violation(let violation) = verdict { violation } else { nil }
  }

  // MARK: Hand-written histories

  @Test("a sequential history that reads what was written is linearizable")
  func sequential() {
    var history = History()
    let first = history.invoke(client: 1, key: Bytes(utf8: "x"), kind: put("1"), at: 0)
    history.complete(first, at: 1)
    let read = history.invoke(client: 2, key: Bytes(utf8: "x"), kind: .get, at: 2)
    history.complete(read, at: 3, observed: Bytes(utf8: "1"))
    let second = history.invoke(client: 1, key: Bytes(utf8: "x"), kind: put("2"), at: 4)
    history.complete(second, at: 5)
    let again = history.invoke(client: 2, key: Bytes(utf8: "x"), kind: .get, at: 6)
    history.complete(again, at: 7, observed: Bytes(utf8: "2"))
    #expect(Linearizability.check(history) == .linearizable)
  }

  @Test("a read of a key never written sees it not found")
  func readOfAbsentKey() {
    let history = History([op(1, "x", .get, 0, 1)])
    #expect(Linearizability.check(history) == .linearizable)
  }

  @Test("a get overlapping a put may see the old value or the new", arguments: ["1", "2"])
  func overlappingPutAndGet(seen: String) {
    let history = History([
      op(1, "x", put("1"), 0, 1),
      op(1, "x", put("2"), 2, 6),
      op(2, "x", .get, 3, 5, saw: seen),
    ])
    #expect(Linearizability.check(history) == .linearizable)
  }

  @Test("a stale read after a completed write is a violation on that key")
  func staleRead() throws {
    let history = History([
      op(1, "x", put("1"), 0, 1),
      op(1, "x", put("2"), 2, 3),
      op(2, "x", .get, 4, 5, saw: "1"),
    ])
    let found = try #require(violation(Linearizability.check(history)))
    #expect(found.key == Bytes(utf8: "x"))
    #expect(found.operations.count == 3)
    #expect(found.longestPrefix.count == 2)
    #expect(found.explanation.contains("would have read 2"))
  }

  @Test("once a read has seen a new value, a later read may not see the old one")
  func readsGoBackInTime() {
    let history = History([
      op(1, "x", put("1"), 0, 1),
      op(1, "x", put("2"), 2, 10),
      op(2, "x", .get, 3, 4, saw: "2"),
      op(3, "x", .get, 5, 6, saw: "1"),
    ])
    #expect(violation(Linearizability.check(history)) != nil)
  }

  @Test("a read of a value nobody wrote is a violation")
  func valueNeverWritten() throws {
    let history = History([
      op(1, "x", put("1"), 0, 1),
      op(2, "x", .get, 2, 3, saw: "ghost"),
    ])
    let found = try #require(violation(Linearizability.check(history)))
    #expect(found.key == Bytes(utf8: "x"))
    #expect(found.explanation.contains("ghost"))
  }

  @Test("a put that never returned but is seen later is fine")
  func pendingPutObserved() {
    var history = History()
    let write = history.invoke(client: 1, key: Bytes(utf8: "x"), kind: put("1"), at: 0)
    history.complete(write, at: 1)
    history.invoke(client: 1, key: Bytes(utf8: "x"), kind: put("2"), at: 2)
    let read = history.invoke(client: 2, key: Bytes(utf8: "x"), kind: .get, at: 20)
    history.complete(read, at: 21, observed: Bytes(utf8: "2"))
    #expect(history.operations[1].isPending)
    #expect(Linearizability.check(history) == .linearizable)
  }

  @Test("a put that never returned and is never seen is fine")
  func pendingPutUnobserved() {
    let history = History([
      op(1, "x", put("1"), 0, 1),
      op(1, "x", put("2"), 2, nil),
      op(2, "x", .get, 20, 21, saw: "1"),
      op(2, "x", .get, 22, 23, saw: "1"),
    ])
    #expect(Linearizability.check(history) == .linearizable)
  }

  @Test("a put that never returned cannot be seen and then unseen")
  func pendingPutSeenThenUnseen() throws {
    let history = History([
      op(1, "x", put("1"), 0, 1),
      op(1, "x", put("2"), 2, nil),
      op(2, "x", .get, 3, 4, saw: "2"),
      op(3, "x", .get, 5, 6, saw: "1"),
    ])
    let found = try #require(violation(Linearizability.check(history)))
    #expect(found.key == Bytes(utf8: "x"))
  }

  @Test("a pending put cannot be seen before it was called")
  func pendingPutSeenTooEarly() {
    let history = History([
      op(2, "x", .get, 0, 1, saw: "2"),
      op(1, "x", put("2"), 5, nil),
    ])
    #expect(violation(Linearizability.check(history)) != nil)
  }

  @Test("a get that never returned is left out")
  func pendingGetIgnored() {
    var history = History()
    let write = history.invoke(client: 1, key: Bytes(utf8: "x"), kind: put("1"), at: 0)
    history.complete(write, at: 1)
    history.invoke(client: 2, key: Bytes(utf8: "x"), kind: .get, at: 2)
    #expect(Linearizability.check(history) == .linearizable)
  }

  @Test("after a completed delete a read finds nothing")
  func deleteThenRead() {
    let fine = History([
      op(1, "x", put("1"), 0, 1),
      op(1, "x", .delete, 2, 3),
      op(2, "x", .get, 4, 5),
    ])
    #expect(Linearizability.check(fine) == .linearizable)
    let stale = History([
      op(1, "x", put("1"), 0, 1),
      op(1, "x", .delete, 2, 3),
      op(2, "x", .get, 4, 5, saw: "1"),
    ])
    #expect(violation(Linearizability.check(stale))?.key == Bytes(utf8: "x"))
  }

  @Test("a read overlapping a delete may find the value or nothing", arguments: ["1", nil] as [String?])
  func overlappingDelete(seen: String?) {
    let history = History([
      op(1, "x", put("1"), 0, 1),
      op(1, "x", .delete, 2, 6),
      op(2, "x", .get, 3, 5, saw: seen),
    ])
    #expect(Linearizability.check(history) == .linearizable)
  }

  @Test("keys are checked apart, and a violation names its key")
  func keysIndependent() throws {
    // Across keys, "x" was written before "y" was read, yet the reads of
    // each key are fine on their own: locality says that is linearizable.
    let fine = History([
      op(1, "x", put("1"), 0, 1),
      op(2, "y", put("a"), 0, 1),
      op(3, "x", .get, 2, 3, saw: "1"),
      op(3, "y", .get, 4, 5, saw: "a"),
    ])
    #expect(Linearizability.check(fine) == .linearizable)
    let broken = History(fine.operations + [op(4, "y", .get, 6, 7)])
    let found = try #require(violation(Linearizability.check(broken)))
    #expect(found.key == Bytes(utf8: "y"))
    #expect(found.operations.allSatisfy { $0.key == Bytes(utf8: "y") })
  }

  @Test("the explanation lists the operations and the longest order found")
  func explanationReadable() throws {
    let history = History([
      op(1, "x", put("1"), 0, 1),
      op(2, "x", .get, 2, 3, saw: "2"),
    ])
    let found = try #require(violation(Linearizability.check(history)))
    let text = found.explanation
    #expect(text.contains("client 1: put x = 1 [0, 1]"))
    #expect(text.contains("client 2: get x → 2 [2, 3]"))
    #expect(text.contains("1. client 1: put x = 1"))
    #expect(found.description == text)
  }

  @Test("a search past its budget answers unknown instead of hanging")
  func budgetExhausted() {
    // Many overlapping writes and one impossible read: every order of the
    // writes is worth trying, far more than a budget of ten states.
    var operations = (0..<12).map { op(UInt64($0), "x", put("\($0)"), 0, 100) }
    operations.append(op(99, "x", .get, 101, 102, saw: "nobody"))
    let verdict = Linearizability.check(History(operations), maxStates: 10)
    #expect(verdict == .unknown(key: Bytes(utf8: "x")))
  }

  // MARK: Random histories

  /// A random register execution on `keys` keys, stretched: each operation
  /// happens at time `10 · i` in a sequential run, then its interval is
  /// widened at random around that point, so the result is linearizable by
  /// construction. Some writes and reads are then left pending.
  private func stretchedExecution(
    seed: UInt64, count: Int, keys: Int, clients: UInt64, stretch: UInt64
  ) -> [Operation] {
    var random = SeededGenerator(seed: seed)
    var store: [Bytes: Bytes] = [:]
    var operations: [Operation] = []
    for i in 0..<count {
      let key = Bytes(utf8: "k\(Int.random(in: 0..<keys, using: &random))")
      let point = UInt64(i) * 10 + 10 * stretch
      let call = point - UInt64.random(in: 0...(10 * stretch), using: &random)
      var returned: UInt64? = point + UInt64.random(in: 0...(10 * stretch), using: &random)
      let kind: Operation.Kind
      switch Int.random(in: 0..<10, using: &random) {
      case 0..<4: kind = .put(Bytes(utf8: "v\(Int.random(in: 0..<4, using: &random))"))
      case 4: kind = .delete
      default: kind = .get
      }
      switch kind {
      case .put(let value): store[key] = value
      case .delete: store[key] = nil
      case .get: break
      }
      if Int.random(in: 0..<20, using: &random) == 0 { returned = nil }
      let observed = kind == .get && returned != nil ? store[key] : nil
      let client = UInt64.random(in: 1...clients, using: &random)
      operations.append(
        Operation(client: client, key: key, kind: kind, call: call, returned: returned, observed: observed))
    }
    return operations
  }

  @Test("stretched sequential executions are linearizable; a corrupted read is not", arguments: 0..<40)
  func randomStretched(seed: UInt64) throws {
    var operations = stretchedExecution(seed: seed, count: 80, keys: 3, clients: 5, stretch: 2)
    #expect(Linearizability.check(History(operations)) == .linearizable, "seed \(seed)")

    var random = SeededGenerator(seed: seed ^ 0xC0FFEE)
    let reads = operations.indices.filter { operations[$0].isGet && !operations[$0].isPending }
    let victim = try #require(reads.randomElement(using: &random), "seed \(seed)")
    operations[victim].observed = Bytes(utf8: "never written")
    let found = try #require(violation(Linearizability.check(History(operations))), "seed \(seed)")
    #expect(found.key == operations[victim].key, "seed \(seed)")
  }

  /// A run of `clients` clients against one register per key, each with
  /// one request in flight at a time: at every tick some client sends a
  /// request, has its request take effect, hears back, or gives up waiting.
  /// Effects happen one at a time inside their intervals, so the history is
  /// linearizable by construction; a client that gives up leaves its request
  /// pending, whether or not it took effect.
  private func clientExecution(seed: UInt64, count: Int, keys: Int, clients: Int) -> [Operation] {
    var random = SeededGenerator(seed: seed)
    var store: [Bytes: Bytes] = [:]
    var operations: [Operation] = []
    var inFlight: [(operation: Int, applied: Bool)?] = Array(repeating: nil, count: clients)
    var tick: UInt64 = 0
    while operations.count < count || inFlight.contains(where: { $0 != nil }) {
      tick += 1
      let client = Int.random(in: 0..<clients, using: &random)
      guard let (index, applied) = inFlight[client] else {
        if operations.count < count {
          let key = Bytes(utf8: "k\(Int.random(in: 0..<keys, using: &random))")
          let kind: Operation.Kind =
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<4: .put(Bytes(utf8: "v\(Int.random(in: 0..<5, using: &random))"))
            case 4: .delete
            default: .get
            }
          operations.append(Operation(client: UInt64(client + 1), key: key, kind: kind, call: tick))
          inFlight[client] = (operations.count - 1, false)
        }
        continue
      }
      if Int.random(in: 0..<50, using: &random) == 0 {
        inFlight[client] = nil  // gives up: the request stays pending
      } else if !applied {
        let operation = operations[index]
        switch operation.kind {
        case .put(let value): store[operation.key] = value
        case .delete: store[operation.key] = nil
        case .get: operations[index].observed = store[operation.key]
        }
        inFlight[client] = (index, true)
      } else {
        operations[index].returned = tick
        inFlight[client] = nil
      }
    }
    return operations.map {
      $0.isPending && $0.isGet ? Operation(client: $0.client, key: $0.key, kind: .get, call: $0.call) : $0
    }
  }

  @Test("a large history, 5 clients and 2000 operations over 10 keys, is checked")
  func largeHistory() {
    let operations = clientExecution(seed: 2026, count: 2000, keys: 10, clients: 5)
    #expect(operations.count == 2000)
    #expect(Linearizability.check(History(operations)) == .linearizable)
  }

  // MARK: Against brute force

  /// Whether some order of `operations` fits real time and a register, found
  /// by trying every order: the definition, with no cleverness to get wrong.
  /// Pending operations may be left out of the order.
  private func bruteForce(_ operations: [Operation], placed: Set<Int> = [], value: Bytes? = nil) -> Bool {
    let unplaced = operations.indices.filter { !placed.contains($0) }
    if unplaced.allSatisfy({ operations[$0].isPending }) { return true }
    for next in unplaced {
      let candidate = operations[next]
      // Real time: nothing unplaced may have returned before this was called.
      let blocked = unplaced.contains { (operations[$0].returned ?? .max) < candidate.call }
      if blocked { continue }
      var after = value
      switch candidate.kind {
      case .put(let written): after = written
      case .delete: after = nil
      case .get: if candidate.observed != value { continue }
      }
      if bruteForce(operations, placed: placed.union([next]), value: after) { return true }
    }
    return false
  }

  @Test("agrees with trying every order on small random histories", arguments: 0..<300)
  func agreesWithBruteForce(seed: UInt64) {
    var random = SeededGenerator(seed: seed)
    let values = ["a", "b", nil] as [String?]
    let operations = (0..<Int.random(in: 1...6, using: &random)).map { _ in
      let call = UInt64.random(in: 0..<10, using: &random)
      let returned: UInt64? =
        Int.random(in: 0..<6, using: &random) == 0 ? nil : call + UInt64.random(in: 0..<6, using: &random)
      let kind: Operation.Kind =
        switch Int.random(in: 0..<5, using: &random) {
        case 0, 1: .put(Bytes(utf8: values[Int.random(in: 0..<2, using: &random)]!))
        case 2: .delete
        default: .get
        }
      let observed = kind == .get && returned != nil ? values.randomElement(using: &random)! : nil
      return op(1, "x", kind, call, returned, saw: observed)
    }
    // The checker leaves pending gets out; so must the definition.
    let expected = bruteForce(operations.filter { !($0.isGet && $0.isPending) })
    let verdict = Linearizability.check(History(operations))
    #expect((verdict == .linearizable) == expected, "seed \(seed): \(operations)")
    #expect(verdict != .unknown(key: Bytes(utf8: "x")), "seed \(seed)")
  }
}
