import Chapter1WAL
import Chapter2Memtable

extension Memtable {
  /// Traces each operation of `commit` as inserted, with how full the
  /// memtable now is against the size that triggers a flush.
  public func traceInserts(_ commit: CommitQueue.Commit, limit: Int, tracer: Tracer) {
    guard tracer.isEnabled else { return }
    for (index, operation) in commit.batch.operations.enumerated() {
      let kind: ValueKind = if case .put = operation { .value } else { .deletion }
      tracer(
        .memtable, "insert", "\(printable(operation.key)) #\(commit.firstSequence + SequenceNumber(index)) \(kind)",
        "\(plural(count, "entry", "entries")), \(formatBytes(memoryUsage)) of \(formatBytes(limit)) before a flush")
    }
  }
}
