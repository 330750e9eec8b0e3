/// Recovering a database's logs at open: replay them in order, then open
/// the log that takes new writes.
///
/// Every chapter's `open` does this the same way, so it is written once.
/// The logs are replayed oldest first, each batch handed to the engine with
/// its first sequence number; each log must continue where the one before
/// left off. Then the last log is resumed for appending (recovery has just
/// cut any torn tail), or, if there was no log, a new one is created and
/// its name made durable. What differs between chapters is only where the
/// batches go (a dictionary, a memtable), which logs are still needed, and
/// which number a new log gets.
public enum LogSet {
  /// What recovering the logs found, and the log to append to.
  public struct Recovered {
    /// The names of the logs replayed, oldest first.
    public var logs: [String] = []
    /// Records (batches) replayed.
    public var records = 0
    /// Operations in them.
    public var operations = 0
    /// Bytes cut from torn tails.
    public var truncatedBytes = 0
    /// The sequence number of the last operation replayed, or the one
    /// recovery started after (0 if none) when there was none.
    public var lastSequence: SequenceNumber = 0
    /// The log to append to: the last one replayed, or a new one.
    public var writer: LogWriter
    /// The logs whose records the engine now holds in memory, oldest first,
    /// the writer's last: those replayed, or the new one.
    public var numbers: [UInt64]
  }

  /// Replays the logs `numbers` in `directory`, in order, calling `apply`
  /// for each batch, then opens the writer.
  ///
  /// - Parameters:
  ///   - after: the last sequence number already recovered, as for
  ///     `LogRecovery.replay`: 0 when the logs start the database, `nil`
  ///     when earlier logs were retired (their data is in tables).
  ///   - newLogNumber: the number for a new log, asked only if `numbers` is
  ///     empty.
  ///   - apply: receives each batch and its first sequence number, in order.
  /// - Throws: `LogCorruption` naming the file and offset if a log is
  ///   damaged anywhere but in its torn tail; a `FileSystemError` if a file
  ///   cannot be read or created.
  public static func recover(
    logs numbers: [UInt64], in directory: String, fileSystem: any FileSystem, after: SequenceNumber?,
    maxRecordSize: Int, tracer: Tracer, newLogNumber: () -> UInt64,
    apply: (WriteBatch, SequenceNumber) throws -> Void
  ) throws -> Recovered {
    var previous = after
    var lastLogRecords = 0
    var names: [String] = []
    var total = LogRecovery.Result()
    for number in numbers {
      let name = LogFormat.fileName(number: number)
      let replayed = try LogRecovery.replay(
        log: name, in: directory, fileSystem: fileSystem, after: previous, maxRecordSize: maxRecordSize,
        tracer: tracer, apply: apply)
      if replayed.records > 0 { previous = replayed.lastSequence }
      names.append(name)
      total.records += replayed.records
      total.operations += replayed.operations
      total.truncatedBytes += replayed.truncatedBytes
      lastLogRecords = replayed.records
    }
    let (writer, writerNumbers) = try openWriter(
      after: numbers, lastLogRecords: lastLogRecords, in: directory, fileSystem: fileSystem,
      maxRecordSize: maxRecordSize, tracer: tracer, newLogNumber: newLogNumber)
    return Recovered(
      logs: names, records: total.records, operations: total.operations, truncatedBytes: total.truncatedBytes,
      lastSequence: previous ?? 0, writer: writer, numbers: writerNumbers)
  }

  /// Resumes the last of `numbers` after its `lastLogRecords` records, or
  /// creates log `newLogNumber()` if there is none.
  private static func openWriter(
    after numbers: [UInt64], lastLogRecords: Int, in directory: String, fileSystem: any FileSystem,
    maxRecordSize: Int, tracer: Tracer, newLogNumber: () -> UInt64
  ) throws -> (LogWriter, [UInt64]) {
    if let last = numbers.last {
      let writer = try LogWriter.resume(
        number: last, records: lastLogRecords, in: directory, fileSystem: fileSystem, maxRecordSize: maxRecordSize)
      return (writer, numbers)
    }
    let number = newLogNumber()
    let writer = try LogWriter.create(
      number: number, in: directory, fileSystem: fileSystem, maxRecordSize: maxRecordSize, tracer: tracer)
    return (writer, [number])
  }
}
