import Chapter1WAL
import Chapter2Memtable

/// Rebuilding the memtable at open, for every engine with tables (chapter 3
/// on; chapter 4 uses it as it is).
public enum LogReplay {
  // snippet: log-replay
  /// Replays the logs recovery still needs, oldest first, into a new
  /// memtable, and opens the last one to append to (or a new one). Records
  /// at or below `inTables` are skipped: a log is retired only after its
  /// table is durable, but a crash can come in between, and then the log's
  /// records are in the table already.
  public static func memtable(
    from numbers: [UInt64], in directory: String, fileSystem: any FileSystem, seed: UInt64, maxRecordSize: Int,
    skippingThrough inTables: SequenceNumber, tracer: Tracer, newLogNumber: () -> UInt64
  ) throws -> (Memtable, LogSet.Recovered) {
    let memtable = Memtable(seed: seed)
    let logs = try LogSet.recover(
      logs: numbers, in: directory, fileSystem: fileSystem, after: nil, maxRecordSize: maxRecordSize,
      tracer: tracer, newLogNumber: newLogNumber
    ) { batch, first in
      guard first + SequenceNumber(batch.count) - 1 > inTables else { return }
      memtable.insert(batch, from: first)
    }
    return (memtable, logs)
  }
  // end snippet
}
