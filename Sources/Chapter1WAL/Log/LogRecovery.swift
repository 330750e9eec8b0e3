/// Replaying one log file at open: the recovery rules, applied.
///
/// Every engine in the book recovers the same way: read the log, hand each
/// good record's batch to the engine in order, cut off a torn tail (and sync
/// the cut), and refuse to go on at corruption, naming file and offset. This
/// is that procedure, written once; chapter 1 replays into a dictionary,
/// later chapters into a memtable.
public enum LogRecovery {
  /// What replaying one log found.
  public struct Result: Sendable, Equatable {
    /// Records (batches) replayed.
    public var records = 0
    /// Operations in them.
    public var operations = 0
    /// The sequence number of the last operation replayed, or the one
    /// recovery started from if there was none.
    public var lastSequence: SequenceNumber = 0
    /// Bytes cut from a torn tail.
    public var truncatedBytes = 0
  }

  // snippet: recovery-replay
  /// Replays the log `name` in `directory`, calling `apply` for each batch.
  ///
  /// - Parameters:
  ///   - after: the last sequence number already recovered; the log's first
  ///     batch must start right after it. `nil` when the logs before this one
  ///     were retired (from chapter 3 on, once their data is in tables): the
  ///     first batch may then start anywhere, and the rest must follow it.
  ///   - apply: receives each batch and its first sequence number, in order.
  /// - Throws: `LogCorruption` naming the file and offset if a record is
  ///   damaged anywhere but in a torn tail, or if batches skip or repeat
  ///   sequence numbers.
  public static func replay(
    log name: String, in directory: String, fileSystem: any FileSystem, after: SequenceNumber?,
    maxRecordSize: Int = LogFormat.defaultMaxRecordSize, tracer: Tracer,
    apply: (WriteBatch, SequenceNumber) throws -> Void
  ) throws -> Result {
    var result = Result(lastSequence: after ?? 0)
    var expected = after.map { $0 + 1 }
    result.truncatedBytes = try readRecords(
      of: name, in: directory, fileSystem: fileSystem, maxRecordSize: maxRecordSize, component: .wal, tracer: tracer
    ) { payload, record in
      let (sequence, batch): (SequenceNumber, WriteBatch)
      do {
        (sequence, batch) = try WriteBatch.decode(payload)
      } catch {
        throw LogCorruption(file: name, offset: record.offset, reason: "payload is not a valid batch: \(error)")
      }
      guard batch.count > 0, sequence > 0, sequence <= SequenceNumber.max - SequenceNumber(batch.count) else {
        throw LogCorruption(
          file: name, offset: record.offset,
          reason: "batch of \(batch.count) operations at sequence \(sequence) is not a batch a writer makes")
      }
      guard sequence == expected ?? sequence else {
        throw LogCorruption(
          file: name, offset: record.offset,
          reason: "batch starts at sequence \(sequence), expected \(expected ?? sequence)")
      }
      try apply(batch, sequence)
      result.lastSequence = sequence + SequenceNumber(batch.count) - 1
      expected = result.lastSequence + 1
      result.operations += batch.count
      result.records += 1
    }
    tracer(
      .wal, "replay", name,
      result.records == 0
        ? "no records"
        : "\(Format.plural(result.records, "record")), seq \(result.lastSequence - SequenceNumber(result.operations) + 1)"
          + "..\(result.lastSequence)",
      why: "every record in the log is a batch that may have been acknowledged; all are reapplied in order")
    return result
  }
  // end snippet

  // snippet: recovery-read-records
  /// Reads every good record of the log file `name`, in order, handing each
  /// payload to `each`; cuts off a torn tail (and syncs the cut); throws
  /// `LogCorruption` at damage anywhere else. Any file in the log record
  /// format is read this way: the write-ahead log here, and from chapter 4
  /// on the manifest, whose trace `component` it is.
  ///
  /// - Returns: the number of bytes cut from a torn tail (0 if none).
  public static func readRecords(
    of name: String, in directory: String, fileSystem: any FileSystem, maxRecordSize: Int,
    component: TraceComponent, tracer: Tracer, each: (Bytes, LogRecord) throws -> Void
  ) throws -> Int {
    let path = joinPath(directory, name)
    var reader = LogReader(bytes: try fileSystem.readFile(path), maxRecordSize: maxRecordSize)
    while true {
      switch reader.next() {
      case .record(let record):
        try each(Array(reader.bytes[record.payloadRange]), record)
      case .end:
        return 0
      case .tornTail(let offset, let reason):
        let truncated = reader.bytes.count - offset
        try fileSystem.truncateFile(path, to: offset)
        let file = try fileSystem.openWritable(path, mode: .append)
        defer { try? file.close() }
        try file.sync(.data)
        tracer(
          component, "truncate", "\(name) @ \(offset)", "torn tail: \(reason); dropped \(truncated) B",
          why: "a record cut short by a crash was never acknowledged, so it is safe to drop")
        return truncated
      case .corrupt(let offset, let reason, _):
        throw LogCorruption(file: name, offset: offset, reason: reason)
      }
    }
  }
  // end snippet
}
