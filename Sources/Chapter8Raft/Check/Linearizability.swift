import Chapter1WAL

/// Decides whether a key-value history is linearizable, and if not, shows why.
///
/// ## What linearizability means
///
/// A store is *linearizable* when every history it produces could have come
/// from a single copy of the data, acting on one request at a time, where each
/// request takes effect at one instant (its *linearization point*) somewhere
/// between its call and its return. Two consequences matter for a replicated
/// store: once a write has returned, every read that starts later sees it (or
/// something newer); and once any read has seen a value, no read that starts
/// later may see an older one. Raft with reads through the log, or through
/// ReadIndex, promises exactly this; a leader that answers reads from its own
/// state after it was deposed breaks it.
///
/// The checker's job is to find linearization points, or to show that none
/// exist. It knows nothing about Raft; it reads a `History` and nothing else.
///
/// ## Why each key can be checked alone
///
/// Herlihy and Wing showed, in the paper that defined the condition (1990),
/// that linearizability is *local*: a history over several objects is
/// linearizable exactly when, for every object, the operations on that object
/// alone are. Each key of a key-value store is such an object (a register),
/// because every operation here touches one key. So the checker splits the
/// history by key and runs one small search per key. This matters, because
/// the search is exponential in the number of overlapping operations, and
/// splitting turns one large search into many small ones.
///
/// ## The model
///
/// A key is a register whose state is its current value, or absent; every key
/// starts absent. A put sets the value, a delete makes it absent, and a get
/// changes nothing but is only possible in a state equal to what it observed.
/// Values are numbered before the search, so a state is a small integer and
/// comparing two is cheap.
///
/// ## The search
///
/// The idea is Wing and Gong's (1993). Lay out the key's history as one list
/// of events, calls and returns, ordered by time. (Where a call and a return
/// fall on the same instant, the call is taken first: the two operations
/// count as overlapping, the generous reading, so that no verdict rests on
/// how virtual time breaks a tie.) Then walk the list from the front:
///
/// - At a *call*, try to make that operation the next one to take effect: run
///   it against the model. If the model accepts it, remove the call and its
///   return from the list, remember the choice on a stack, and start again
///   from the front of what remains.
/// - At a *return*, stop: the operation that returns here has not taken
///   effect yet, and every operation still before it in the list was either
///   tried and refused or has not been tried. No choice made so far can be
///   extended past this point, so undo the most recent choice (put its two
///   events back), and carry on from the call after it.
///
/// When every completed operation has been placed, the order on the stack is
/// a linearization and the history is fine. When the stack is empty and the
/// walk meets a return, nothing can go first, and no linearization exists.
/// The stack is an array, not the call stack, so a long history cannot
/// overflow it.
///
/// ## The cache
///
/// Backtracking alone revisits the same situation many times: placing a put
/// and then a get, or the get and then the put, can leave the same operations
/// done and the register in the same state, and everything after depends on
/// nothing else. Lowe (2017) added a cache of the pairs seen so far, (the set
/// of operations placed, as a bitset; the model's state): a choice that leads
/// to a pair already in the cache is refused at once, because the search from
/// that pair has already been done, and led nowhere (had it succeeded, the
/// search would have stopped). Anish Athalye's Porcupine, a checker written
/// in Go, combines the two ideas this way; this file follows the same plan
/// in its own code.
///
/// ## Operations that never returned
///
/// A pending put or delete may have taken effect at any time after its call,
/// or never. The checker gives it a return at infinity, after every real
/// event, so it may be placed anywhere after its call; and it stops as soon
/// as every *completed* operation is placed, so it need not be placed at all.
/// (For a register this second rule is only a shortcut: a write placed after
/// everything else is never seen.) A pending get told no one anything and is
/// left out.
///
/// ## Cost
///
/// Checking linearizability is NP-complete in general, so some histories
/// take exponential time. What keeps real ones cheap: whatever the search
/// tries, the placed operations are all those called before the earliest
/// unplaced one, plus some of the operations that overlap it (anything called
/// after it returned must follow it). So with at most `w` operations
/// overlapping any one operation, the cache holds at most about `n · 2^w · v`
/// pairs for `n` operations and `v` distinct values: linear in the length of
/// the history, exponential only in its concurrency. Pending writes are the
/// expensive case, since each one overlaps everything after its call. So
/// the search has a budget of states and an optional time limit, and answers
/// `unknown` rather than hang.
public enum Linearizability {
  /// The checker's answer.
  public enum Verdict: Sendable, Equatable {
    /// Every key's operations can be ordered consistently with real time and
    /// a register's behaviour.
    case linearizable
    /// Some key's operations cannot; the first such key, in key order.
    case violation(Violation)
    /// The search on `key` used up its budget before deciding, and no other
    /// key was found in violation.
    case unknown(key: Bytes)
  }

  /// How many (placed set, state) pairs one key's search may visit before it
  /// gives up: far more than a simulation's histories need.
  public static let defaultMaxStates = 1_000_000

  /// Checks `history`, one key at a time.
  ///
  /// `maxStates` bounds each key's search; `timeLimit`, if given, bounds the
  /// whole check. Past either, the answer for that key is `unknown`.
  public static func check(
    _ history: History, maxStates: Int = defaultMaxStates, timeLimit: Duration? = nil
  ) -> Verdict {
    let budget = Budget(maxStates: maxStates, deadline: timeLimit.map { ContinuousClock.now.advanced(by: $0) })
    var undecided: Bytes?
    for (key, operations) in partition(history) {
      var search = Search(operations)
      switch search.run(within: budget) {
      case .linearizable: continue
      case .exhausted: undecided = undecided ?? key
      case .stuck(let longest):
        let prefix = longest.map { operations[$0] }
        return .violation(Violation(key: key, operations: operations, longestPrefix: prefix))
      }
    }
    return undecided.map { .unknown(key: $0) } ?? .linearizable
  }

  /// The history split by key, keys in byte order so that verdicts are
  /// deterministic, each key's operations by call time; pending gets dropped.
  static func partition(_ history: History) -> [(key: Bytes, operations: [Operation])] {
    var byKey: [Bytes: [Operation]] = [:]
    for operation in history.operations where !(operation.isGet && operation.isPending) {
      byKey[operation.key, default: []].append(operation)
    }
    return byKey.map { (key: $0.key, operations: $0.value.sorted { $0.call < $1.call }) }
      .sorted { $0.key.lexicographicallyPrecedes($1.key) }
  }
}

// MARK: - Violations

extension Linearizability {
  /// Why one key's history is not linearizable: its operations, and the
  /// furthest the search got before every way forward was refused.
  public struct Violation: Sendable, Equatable {
    /// The key whose operations cannot be linearized.
    public var key: Bytes
    /// The operations on `key`, by call time (pending gets left out).
    public var operations: [Operation]
    /// The longest order of operations the search could justify, in the
    /// order it placed them; no operation can follow it.
    public var longestPrefix: [Operation]

    public init(key: Bytes, operations: [Operation], longestPrefix: [Operation]) {
      self.key = key
      self.operations = operations
      self.longestPrefix = longestPrefix
    }

    /// A report for a person: the operations, the longest order found, the
    /// value the key holds after it, and what each possible next operation
    /// would have had to see.
    public var explanation: String {
      var lines = ["history of key \(Format.printable(key)) is not linearizable", "operations, by call time:"]
      lines += operations.map { "  \($0)" }
      lines.append("longest linearizable order found (\(longestPrefix.count) of \(operations.count)):")
      lines += longestPrefix.isEmpty ? ["  (none: no operation can go first)"] : numbered(longestPrefix)
      lines.append("after it the key is \(show(valueAfterPrefix)), and no operation can go next:")
      lines += nextCandidates.map { "  " + refusal(of: $0) }
      return lines.joined(separator: "\n")
    }

    /// The register's value after `longestPrefix`.
    var valueAfterPrefix: Bytes? {
      var value: Bytes?
      for operation in longestPrefix {
        switch operation.kind {
        case .put(let written): value = written
        case .delete: value = nil
        case .get: break
        }
      }
      return value
    }

    /// The operations outside the prefix that real time would allow next:
    /// those called no later than the earliest return among them.
    var nextCandidates: [Operation] {
      var rest = operations
      for placed in longestPrefix {
        if let at = rest.firstIndex(of: placed) { rest.remove(at: at) }
      }
      let earliestReturn = rest.compactMap(\.returned).min() ?? .max
      return rest.filter { $0.call <= earliestReturn }
    }

    private func numbered(_ operations: [Operation]) -> [String] {
      operations.enumerated().map { "  \($0.offset + 1). \($0.element)" }
    }

    private func refusal(of operation: Operation) -> String {
      guard operation.isGet else { return "\(operation)" }
      return "\(operation), but it would have read \(show(valueAfterPrefix))"
    }

    private func show(_ value: Bytes?) -> String {
      value.map(Format.printable) ?? "not found"
    }
  }
}

extension Linearizability.Violation: CustomStringConvertible {
  public var description: String { explanation }
}

// MARK: - The search

/// When a key's search must give up.
private struct Budget {
  var maxStates: Int
  var deadline: ContinuousClock.Instant?

  /// Whether to stop now. The clock is read only every 1024 steps, since a
  /// step is far cheaper than reading it.
  func isExhausted(states: Int, step: Int) -> Bool {
    if states > maxStates { return true }
    guard let deadline, step % 1024 == 0 else { return false }
    return ContinuousClock.now >= deadline
  }
}

/// The register model, with values replaced by numbers: 0 is "absent", and
/// each distinct value seen on the key gets the next number up.
private enum Register {
  /// What one operation does to the register.
  enum Step {
    /// Set the state (0 for a delete).
    case write(Int)
    /// Require the state to be this.
    case read(Int)
  }

  static let absent = 0

  /// Each operation's step, by position in `operations`.
  static func steps(_ operations: [Operation]) -> [Step] {
    var numbers: [Bytes: Int] = [:]
    func number(_ value: Bytes?) -> Int {
      guard let value else { return absent }
      if let known = numbers[value] { return known }
      numbers[value] = numbers.count + 1
      return numbers.count
    }
    return operations.map { operation in
      switch operation.kind {
      case .put(let value): .write(number(value))
      case .delete: .write(absent)
      case .get: .read(number(operation.observed))
      }
    }
  }

  /// The state after `step` from `state`, or `nil` if the step cannot
  /// happen there (a get that saw something else).
  static func apply(_ step: Step, to state: Int) -> Int? {
    switch step {
    case .write(let value): value
    case .read(let value): value == state ? state : nil
    }
  }
}

/// A set of operation positions, one bit each.
private struct Bitset: Hashable {
  private var words: [UInt64]

  init(capacity: Int) { words = Array(repeating: 0, count: (capacity + 63) / 64) }

  mutating func insert(_ position: Int) { words[position >> 6] |= 1 << UInt64(position & 63) }

  mutating func remove(_ position: Int) { words[position >> 6] &= ~(1 << UInt64(position & 63)) }
}

/// One entry of Lowe's cache: which operations are placed, and the state
/// they leave the register in.
private struct Configuration: Hashable {
  var placed: Bitset
  var state: Int
}

/// The calls and returns of one key's history as a doubly linked list over
/// arrays, so that an operation's two events can be taken out and put back
/// in constant time.
///
/// Entry 0 is the head and the last entry the tail; neither is an event.
private struct EventList {
  static let head = 0
  private(set) var next: [Int]
  private var previous: [Int]
  /// The operation of each event.
  private(set) var operation: [Int]
  /// Whether each event is a call (otherwise a return).
  private(set) var isCall: [Bool]
  /// For a call, the position of its return.
  private var partner: [Int]

  init(_ operations: [Operation]) {
    let events = Self.events(operations)
    let count = events.count + 2
    next = Array(1...count)
    previous = Array(-1..<(count - 1))
    operation = [-1] + events.map(\.operation) + [-1]
    isCall = [false] + events.map(\.isCall) + [false]
    partner = Array(repeating: -1, count: count)
    var returns = Array(repeating: -1, count: operations.count)
    for (position, event) in zip(1..., events) where !event.isCall { returns[event.operation] = position }
    for (position, event) in zip(1..., events) where event.isCall { partner[position] = returns[event.operation] }
  }

  /// Every call and return in time order: at equal times calls first;
  /// returns that never happened (`nil`) after everything.
  private static func events(_ operations: [Operation]) -> [(operation: Int, isCall: Bool)] {
    var events: [(order: (Int, UInt64, Int, Int), operation: Int, isCall: Bool)] = []
    for (index, operation) in operations.enumerated() {
      events.append(((0, operation.call, 0, index), index, true))
      let returned = operation.returned.map { max($0, operation.call) }
      events.append(((returned == nil ? 1 : 0, returned ?? 0, 1, index), index, false))
    }
    return events.sorted { $0.order < $1.order }.map { ($0.operation, $0.isCall) }
  }

  /// Takes out the call at `call` and its return.
  mutating func lift(_ call: Int) {
    unlink(call)
    unlink(partner[call])
  }

  /// Puts back what `lift(call)` took out, in the reverse order.
  mutating func unlift(_ call: Int) {
    relink(partner[call])
    relink(call)
  }

  private mutating func unlink(_ entry: Int) {
    next[previous[entry]] = next[entry]
    previous[next[entry]] = previous[entry]
  }

  private mutating func relink(_ entry: Int) {
    next[previous[entry]] = entry
    previous[next[entry]] = entry
  }
}

/// One key's Wing–Gong search with Lowe's cache.
private struct Search {
  enum Outcome {
    case linearizable
    /// No linearization exists; `longest` is the longest partial order
    /// found, as positions of operations.
    case stuck(longest: [Int])
    case exhausted
  }

  private var list: EventList
  private let steps: [Register.Step]
  private let isPending: [Bool]
  private let completedCount: Int
  private var placedCompleted = 0
  private var placed: Bitset
  private var state = Register.absent
  private var seen: Set<Configuration> = []
  /// The choices made so far: each placed call, with the state before it.
  private var choices: [(call: Int, stateBefore: Int)] = []
  private var longest: [Int] = []

  init(_ operations: [Operation]) {
    list = EventList(operations)
    steps = Register.steps(operations)
    isPending = operations.map(\.isPending)
    completedCount = isPending.count { !$0 }
    placed = Bitset(capacity: operations.count)
  }

  mutating func run(within budget: Budget) -> Outcome {
    var entry = list.next[EventList.head]
    var step = 0
    while placedCompleted < completedCount {
      if budget.isExhausted(states: seen.count, step: step) { return .exhausted }
      step += 1
      if !list.isCall[entry] {
        guard let undone = backtrack() else { return .stuck(longest: longest) }
        entry = list.next[undone]
      } else if place(entry) {
        entry = list.next[EventList.head]
      } else {
        entry = list.next[entry]
      }
    }
    return .linearizable
  }

  /// Tries to make the call at `entry` take effect next; whether it did.
  private mutating func place(_ entry: Int) -> Bool {
    let operation = list.operation[entry]
    guard let after = Register.apply(steps[operation], to: state) else { return false }
    var extended = placed
    extended.insert(operation)
    guard seen.insert(Configuration(placed: extended, state: after)).inserted else { return false }
    choices.append((entry, state))
    placed = extended
    state = after
    list.lift(entry)
    if !isPending[operation] { placedCompleted += 1 }
    if choices.count > longest.count { longest = choices.map { list.operation[$0.call] } }
    return true
  }

  /// Undoes the latest choice; the call it had placed, or `nil` if there
  /// was none left to undo.
  private mutating func backtrack() -> Int? {
    guard let (call, stateBefore) = choices.popLast() else { return nil }
    let operation = list.operation[call]
    list.unlift(call)
    placed.remove(operation)
    state = stateBefore
    if !isPending[operation] { placedCompleted -= 1 }
    return call
  }
}
