import Chapter1WAL

/// A random workload of puts, deletes and multi-operation batches over a
/// small key space, so that keys are overwritten and deleted often.
public struct Workload: Sendable {
  public var batches: [WriteBatch]

  /// `count` batches drawn from `seed`: about half single puts, a quarter
  /// single deletes, a quarter batches of 2 to 4 operations.
  public init(seed: UInt64, count: Int, keySpace: Int = 12) {
    var rng = SeededGenerator(seed: seed)
    batches = (0..<count).map { index in
      var batch = WriteBatch()
      let roll = Int.random(in: 0..<4, using: &rng)
      let operations = roll == 3 ? Int.random(in: 2...4, using: &rng) : 1
      for op in 0..<operations {
        let key = Bytes(utf8: "k\(Int.random(in: 0..<keySpace, using: &rng))")
        if roll == 2 || (roll == 3 && Bool.random(using: &rng) && op > 0) {
          batch.delete(key)
        } else {
          batch.put(key, Bytes(utf8: "v\(index).\(op)"))
        }
      }
      return batch
    }
  }
}

/// What a correct engine must show after a crash, given which writes were
/// acknowledged.
///
/// It replays acknowledged batches on a plain dictionary. After a crash the
/// recovered state must equal the model after *all* acknowledged batches, or
/// after those plus the one batch that was in flight (it may or may not have
/// reached the disk). Anything else is a lost write or a half-applied batch.
public struct CrashOracle: Sendable {
  /// The state after each prefix of acknowledged batches; `states[0]` is empty.
  public private(set) var states: [[Bytes: Bytes]] = [[:]]
  private var pending: WriteBatch?

  public init() {}

  /// Records that `batch` was handed to the engine and not yet acknowledged.
  public mutating func begin(_ batch: WriteBatch) { pending = batch }

  /// Records that the pending batch was acknowledged.
  public mutating func acknowledge() {
    guard let batch = pending else { return }
    states.append(Self.apply(batch, to: states.last!))
    pending = nil
  }

  /// The states a recovery may legally produce.
  public var allowedStates: [[Bytes: Bytes]] {
    var allowed = [states.last!]
    if let pending { allowed.append(Self.apply(pending, to: states.last!)) }
    return allowed
  }

  /// Number of acknowledged batches.
  public var acknowledged: Int { states.count - 1 }

  /// `nil` if `recovered` is allowed, else a description of what is wrong.
  public func check(_ recovered: [Bytes: Bytes]) -> String? {
    if allowedStates.contains(recovered) { return nil }
    let expected = states.last!
    var problems: [String] = []
    for (key, value) in expected where recovered[key] != value {
      problems.append("\(printable(key)): expected \(printable(value)), got \(recovered[key].map(printable) ?? "nothing")")
    }
    for (key, value) in recovered where expected[key] == nil {
      problems.append("\(printable(key)): expected nothing, got \(printable(value))")
    }
    return "after \(acknowledged) acknowledged batches the recovered state is not allowed: "
      + problems.sorted().prefix(5).joined(separator: "; ")
  }

  public static func apply(_ batch: WriteBatch, to state: [Bytes: Bytes]) -> [Bytes: Bytes] {
    var state = state
    for operation in batch.operations {
      switch operation {
      case .put(let key, let value): state[key] = value
      case .delete(let key): state[key] = nil
      }
    }
    return state
  }
}

extension KeyValueStore {
  /// The whole store as a dictionary, for comparison with a model.
  public func contents() throws -> [Bytes: Bytes] {
    Dictionary(uniqueKeysWithValues: try scan().map { ($0.key, $0.value) })
  }
}
