import Chapter1WAL

/// What the memtable knows about a user key at a snapshot.
///
/// Three answers, not two: "deleted" is knowledge, "not found" is the lack
/// of it. From chapter 3 on, a read that gets `.notFound` goes on to older
/// data (the tables on disk), while `.deleted` stops it: the tombstone hides
/// whatever older value a table may still hold.
public enum LookupResult: Hashable, Sendable {
  /// The newest visible version is a value (possibly empty).
  case found(Bytes)
  /// The newest visible version is a tombstone written at this sequence.
  case deleted(at: SequenceNumber)
  /// No version of the key is visible at the snapshot.
  case notFound
}
