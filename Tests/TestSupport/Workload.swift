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
/// acknowledged and how.
///
/// The log is one sequence, so the engine can only lose a *suffix* of it: the
/// recovered state must be the state after some prefix of the writes. Which
/// prefixes are allowed?
///
/// - It must include every write acknowledged as synced (and so every write
///   before it).
/// - It may include any of the later ones: writes acknowledged without a
///   sync, and the one write in flight when the power went.
///
/// Anything else is a lost write, or a batch half applied.
public struct CrashOracle: Sendable {
  /// The state after the last write acknowledged as synced.
  public private(set) var durable: [Bytes: Bytes] = [:]
  /// Writes after that one, in order: unsynced acknowledged, then in flight.
  public private(set) var uncertain: [WriteBatch] = []
  /// Writes acknowledged so far.
  public private(set) var acknowledged = 0
  private var pending: WriteBatch?

  /// An oracle for a store that already holds `state`, durably.
  public init(startingFrom state: [Bytes: Bytes] = [:]) {
    durable = state
  }

  /// Records that `batch` was handed to the engine and not yet acknowledged.
  public mutating func begin(_ batch: WriteBatch) { pending = batch }

  /// Records that the pending batch was acknowledged, synced or not.
  public mutating func acknowledge(synced: Bool = true) {
    guard let batch = pending else { return }
    pending = nil
    acknowledged += 1
    uncertain.append(batch)
    if synced {
      for write in uncertain { durable = Self.apply(write, to: durable) }
      uncertain = []
    }
  }

  /// The states a recovery may legally produce, shortest prefix first.
  public var allowedStates: [[Bytes: Bytes]] {
    var states = [durable]
    for write in uncertain + (pending.map { [$0] } ?? []) {
      states.append(Self.apply(write, to: states.last!))
    }
    return states
  }

  /// `nil` if `recovered` is allowed, else a description of what is wrong.
  public func check(_ recovered: [Bytes: Bytes]) -> String? {
    if allowedStates.contains(recovered) { return nil }
    let expected = durable
    var problems: [String] = []
    for (key, value) in expected where recovered[key] != value {
      problems.append(
        "\(Format.printable(key)): expected \(Format.printable(value)), got \(recovered[key].map(Format.printable) ?? "nothing")"
      )
    }
    for (key, value) in recovered where expected[key] == nil {
      problems.append("\(Format.printable(key)): expected nothing, got \(Format.printable(value))")
    }
    return "after \(acknowledged) acknowledged writes the recovered state is no allowed prefix "
      + "(differences from the last synced state: " + problems.sorted().prefix(5).joined(separator: "; ") + ")"
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
