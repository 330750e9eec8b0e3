import Chapter1WAL

// snippet: raft-log
/// A node's copy of the replicated log, in memory: a snapshot's end, then
/// the entries after it.
///
/// `RaftStorage` keeps the same thing on disk; this copy is what the core
/// reasons with. Indexes are contiguous: `entries[i].index ==
/// snapshot.index + 1 + i`.
public struct RaftLog: Sendable {
  /// Where the entries begin: the last index and term a snapshot covers.
  public private(set) var snapshot: SnapshotMetadata
  /// The entries after the snapshot.
  public private(set) var entries: [Entry]

  public init(snapshot: SnapshotMetadata = .init(), entries: [Entry] = []) {
    self.snapshot = snapshot
    self.entries = entries
  }

  public var firstIndex: LogIndex { snapshot.index + 1 }
  public var lastIndex: LogIndex { snapshot.index + LogIndex(entries.count) }
  public var lastTerm: Term { entries.last?.term ?? snapshot.term }

  /// The term of the entry at `index`, or `nil` if the log does not hold it
  /// (compacted into the snapshot, or not there yet).
  public func term(at index: LogIndex) -> Term? {
    if index == snapshot.index { return snapshot.term }
    guard index > snapshot.index, index <= lastIndex else { return nil }
    return entries[Int(index - firstIndex)].term
  }

  /// Whether the log has an entry at `index` with `term`.
  public func matches(index: LogIndex, term: Term) -> Bool { self.term(at: index) == term }

  /// Up to `limit` entries from `index` on.
  public func entries(from index: LogIndex, limit: Int) -> [Entry] {
    guard index >= firstIndex, index <= lastIndex else { return [] }
    let start = Int(index - firstIndex)
    return Array(entries[start..<start + min(entries.count - start, limit)])
  }

  /// Whether a candidate whose last entry is `index`@`term` has a log at
  /// least as up to date as this one (§5.4.1: the later term wins; with
  /// equal terms, the longer log).
  public func isUpToDate(index: LogIndex, term: Term) -> Bool {
    term > lastTerm || (term == lastTerm && index >= lastIndex)
  }

  /// Appends `new` after the entry at `new.first.index - 1`, replacing any
  /// entries that conflict with it. Entries already present with the same
  /// term are kept (a delayed duplicate append must not cut the log).
  ///
  /// - Returns: the index of the first entry actually written, or `nil`
  ///   when the log already held all of `new`.
  @discardableResult
  public mutating func append(_ new: [Entry]) -> LogIndex? {
    for entry in new where entry.index >= firstIndex {
      if let existing = term(at: entry.index) {
        if existing == entry.term { continue }
        entries.removeSubrange(Int(entry.index - firstIndex)...)
      }
      let rest = new.drop { $0.index < entry.index }
      entries.append(contentsOf: rest)
      return entry.index
    }
    return nil
  }

  /// Drops the entries up to `index`, which a snapshot now covers.
  public mutating func compact(through metadata: SnapshotMetadata) {
    if matches(index: metadata.index, term: metadata.term) {
      entries.removeFirst(Int(metadata.index - snapshot.index))
    } else {
      entries = []
    }
    snapshot = metadata
  }

  /// The largest index at or below `index` whose term is at most `term`:
  /// where two logs that disagree at `index` may still agree (the fast
  /// backtracking of §5.3, as etcd's raft does it).
  public func lastIndex(atOrBelow index: LogIndex, withTermAtMost term: Term) -> LogIndex {
    var candidate = min(index, lastIndex)
    while candidate > snapshot.index, let found = self.term(at: candidate), found > term {
      candidate -= 1
    }
    return candidate
  }
}
// end snippet
