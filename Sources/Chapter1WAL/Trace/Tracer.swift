import Synchronization

/// Structured trace events: what the engine did, step by step.
///
/// Components report events such as "wal append seq 7 → 000001.log @ 512" to a
/// `Tracer`. The shell prints them under each command, tests assert on them,
/// and `trace explain` adds the one-line reason each step exists.
///
/// Two promises:
///
/// - **Cheap when off.** `emit` takes its event as an autoclosure, so with
///   tracing off the cost of a trace point is one load and one branch; no
///   string is built.
/// - **Deterministic.** Events carry no timestamps, no absolute paths and no
///   random names, so a session's trace is the same on every run and can be
///   checked against a golden copy.
public final class Tracer: Sendable {
  /// How much the tracer reports.
  public enum Level: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Nothing.
    case off = 0
    /// Every step.
    case steps = 1
    /// Every step and why it happens.
    case explain = 2

    public init?(name: String) {
      switch name {
      case "off": self = .off
      case "steps": self = .steps
      case "explain": self = .explain
      default: return nil
      }
    }

    public var description: String {
      switch self {
      case .off: "off"
      case .steps: "steps"
      case .explain: "explain"
      }
    }
  }

  private let rawLevel: Atomic<Int>
  private let sink: Locked<(@Sendable (TraceEvent) -> Void)?>

  /// A tracer that reports to `sink`, which is called under a lock, one event
  /// at a time, in the order the events happened.
  public init(level: Level = .steps, sink: (@Sendable (TraceEvent) -> Void)? = nil) {
    self.rawLevel = Atomic(level.rawValue)
    self.sink = Locked(sink)
  }

  /// A tracer that reports nothing.
  public static var disabled: Tracer { Tracer(level: .off) }

  /// The current level. Changing it takes effect at the next event.
  public var level: Level {
    get { Level(rawValue: rawLevel.load(ordering: .relaxed)) ?? .off }
    set { rawLevel.store(newValue.rawValue, ordering: .relaxed) }
  }

  /// Whether events are being reported at all.
  @inline(__always)
  public var isEnabled: Bool { rawLevel.load(ordering: .relaxed) != 0 }

  /// Replaces the sink (the shell points it at its output).
  public func setSink(_ newSink: (@Sendable (TraceEvent) -> Void)?) {
    sink.withLock { $0 = newSink }
  }

  /// Reports an event. The event is built only if tracing is on.
  @inline(__always)
  public func emit(_ event: @autoclosure () -> TraceEvent) {
    guard isEnabled else { return }
    deliver(event())
  }

  /// Reports an event from its parts, built only if tracing is on.
  @inline(__always)
  public func callAsFunction(
    _ component: TraceComponent,
    _ action: @autoclosure () -> String,
    _ subject: @autoclosure () -> String,
    _ details: @autoclosure () -> String = "",
    why: @autoclosure () -> String = ""
  ) {
    guard isEnabled else { return }
    deliver(TraceEvent(component: component, action: action(), subject: subject(), details: details(), why: why()))
  }

  private func deliver(_ event: TraceEvent) {
    sink.withLock { $0?(event) }
  }
}

/// The part of the system an event comes from. Later chapters add their own
/// (`memtable`, `sstable`, `raft`...) as static members in an extension.
public struct TraceComponent: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
  public var rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public init(stringLiteral value: String) { self.rawValue = value }

  /// The file system: syncs, renames, power cuts.
  public static let fs: TraceComponent = "fs"
  /// The write-ahead log: appends, syncs, recovery.
  public static let wal: TraceComponent = "wal"
  /// The database as a whole: open, apply, close.
  public static let db: TraceComponent = "db"
}

/// One step the engine took.
public struct TraceEvent: Sendable, Equatable, CustomStringConvertible {
  /// Which component acted: `wal`, `fs`, `db`, ...
  public var component: TraceComponent
  /// What it did, one word: `append`, `fsync`, `replay`, `truncate`.
  public var action: String
  /// What it acted on: a record, a file, a key.
  public var subject: String
  /// Figures: sizes, offsets, counts, checksums.
  public var details: String
  /// One line on why this step exists; shown by `trace explain`.
  public var why: String

  public init(component: TraceComponent, action: String, subject: String, details: String = "", why: String = "") {
    self.component = component
    self.action = action
    self.subject = subject
    self.details = details
    self.why = why
  }

  /// The event as one line, columns aligned: `  wal       append    seq 7 ...`.
  public var description: String { rendered(explain: false) }

  /// The event as the shell prints it; with `explain`, a second line gives
  /// the reason.
  public func rendered(explain: Bool) -> String {
    var line = "  " + component.rawValue.padding(9) + " " + action.padding(9) + " " + subject
    if !details.isEmpty { line += "  " + details }
    if explain && !why.isEmpty {
      line += "\n" + String(repeating: " ", count: 22) + "why: " + why
    }
    return line
  }
}

/// Collects events in memory; tests use it to assert on what the engine did.
public final class TraceRecorder: Sendable {
  private let storage = Locked<[TraceEvent]>([])

  public init() {}

  /// A tracer at `level` whose events land in this recorder.
  public func tracer(level: Tracer.Level = .steps) -> Tracer {
    Tracer(level: level) { [self] event in storage.withLock { $0.append(event) } }
  }

  /// Everything recorded so far.
  public var events: [TraceEvent] { storage.withLock { $0 } }

  /// Returns the events and forgets them.
  public func drain() -> [TraceEvent] {
    storage.withLock { events in
      defer { events.removeAll() }
      return events
    }
  }
}

extension String {
  /// Pads with spaces on the right to at least `width` characters.
  func padding(_ width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
