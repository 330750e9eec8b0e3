import Chapter1WAL

/// What clients asked of a key-value store and what it told them, with times:
/// the input of the linearizability checker.
///
/// A history is written down from the clients' side only. Each operation has
/// a *call* (the moment the client sent it) and, if the client heard back, a
/// *return* (the moment the answer arrived). Nothing in it says when the
/// store really acted; that is exactly what the checker has to find out, by
/// looking for one moment inside every interval at which the operation could
/// have happened all at once.
///
/// Times are virtual (the simulation's clock, a counter, anything that only
/// grows); the checker compares them and never reads a real clock.

/// One client request against one key, as the client saw it.
///
/// A get's answer is kept in `observed`: the value it read, or `nil` for "not
/// found". Puts and deletes answer nothing but "done", so for them `observed`
/// is unused and stays `nil`. Splitting the answer out this way, rather than
/// folding it into `kind`, keeps `kind` what the client *asked*, known at the
/// call, and `observed` what it *learned*, known only at the return.
///
/// An operation whose `returned` is `nil` is *pending*: the client gave up
/// (a timeout, a crash, a partition) without learning the outcome. A pending
/// put or delete may have taken effect at any moment after its call, or
/// never; a pending get told nobody anything and the checker ignores it.
public struct Operation: Sendable, Equatable {
  /// What a client asked for.
  public enum Kind: Sendable, Equatable {
    /// Set the key to a value.
    case put(Bytes)
    /// Remove the key.
    case delete
    /// Read the key.
    case get
  }

  /// Which client issued the request; only for explanations, since
  /// linearizability does not care who asked.
  public var client: UInt64
  public var key: Bytes
  public var kind: Kind
  /// When the client sent the request.
  public var call: UInt64
  /// When the answer arrived, or `nil` if it never did.
  public var returned: UInt64?
  /// For a completed get, the value read (`nil`: not found); otherwise `nil`.
  public var observed: Bytes?

  public init(
    client: UInt64, key: Bytes, kind: Kind, call: UInt64, returned: UInt64? = nil, observed: Bytes? = nil
  ) {
    precondition(returned.map { $0 >= call } ?? true, "an operation cannot return before it is called")
    self.client = client
    self.key = key
    self.kind = kind
    self.call = call
    self.returned = returned
    self.observed = observed
  }

  /// Whether the client never heard back.
  public var isPending: Bool { returned == nil }

  /// Whether the operation is a read.
  public var isGet: Bool { kind == .get }
}

extension Operation: CustomStringConvertible {
  /// `client 2: put x = 1 [3, 7]`, `client 1: get x → not found [4, 6]`,
  /// `client 3: delete x [5, never returned]`.
  public var description: String {
    let key = Format.printable(key)
    let action =
      switch kind {
      case .put(let value): "put \(key) = \(Format.printable(value))"
      case .delete: "delete \(key)"
      case .get: "get \(key) → " + (observed.map(Format.printable) ?? "not found")
      }
    let end = returned.map(String.init) ?? "never returned"
    return "client \(client): \(action) [\(call), \(end)]"
  }
}

/// A log of operations, recorded as they are called and as they return.
///
/// A test harness calls `invoke` when a client sends a request and
/// `complete` when the answer comes back, using the id `invoke` gave it.
/// Requests that never get an answer are simply never completed: they stay
/// pending, which is the honest record of a timeout.
public struct History: Sendable {
  /// Every operation so far, in the order they were invoked; an operation's
  /// id is its position here.
  public private(set) var operations: [Operation]

  public init(_ operations: [Operation] = []) {
    self.operations = operations
  }

  /// Records that `client` sent a request at time `time`; returns its id.
  @discardableResult
  public mutating func invoke(client: UInt64, key: Bytes, kind: Operation.Kind, at time: UInt64) -> Int {
    operations.append(Operation(client: client, key: key, kind: kind, call: time))
    return operations.count - 1
  }

  /// Records that request `id` was answered at time `time`; `observed` is a
  /// get's result (`nil`: not found) and is ignored for puts and deletes.
  public mutating func complete(_ id: Int, at time: UInt64, observed: Bytes? = nil) {
    precondition(operations.indices.contains(id), "no operation with id \(id)")
    precondition(operations[id].isPending, "operation \(id) was already completed")
    precondition(time >= operations[id].call, "operation \(id) cannot return before it is called")
    operations[id].returned = time
    operations[id].observed = operations[id].isGet ? observed : nil
  }
}
