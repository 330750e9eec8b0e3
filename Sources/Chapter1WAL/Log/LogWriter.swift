/// Appending records to a log file.
///
/// `LogWriter` frames payloads (see `LogFormat`), appends them to the file and
/// syncs it when asked. It is not thread-safe: the database's commit queue
/// makes sure only one thread (the group's leader) writes at a time.
public final class LogWriter {
  /// The file's name, for traces and errors.
  public let name: String
  /// The log number, from the file name.
  public let number: UInt64
  private let file: any WritableFile
  private let maxRecordSize: Int

  /// Bytes in the file, synced or not.
  public private(set) var size: Int
  /// Bytes known to be durable: the size at the last successful sync.
  public private(set) var syncedSize: Int
  /// Records appended through this writer, plus those found at open.
  public private(set) var records: Int

  /// Wraps a file open for appending whose first `existingRecords` records
  /// (all its bytes) are already durable.
  public init(file: any WritableFile, name: String, number: UInt64, existingRecords: Int = 0, maxRecordSize: Int) {
    self.file = file
    self.name = name
    self.number = number
    self.maxRecordSize = maxRecordSize
    self.size = file.size
    self.syncedSize = file.size
    self.records = existingRecords
  }

  // snippet: log-append
  /// Frames each payload as a record and appends them all in one write.
  ///
  /// - Returns: the offset of each record.
  /// - Throws: `LogWriter.Error.recordTooLarge` before writing anything if a
  ///   payload is over the limit; a `FileSystemError` if the write fails.
  public func append(_ payloads: [Bytes]) throws -> [Int] {
    var buffer = Bytes()
    buffer.reserveCapacity(payloads.reduce(0) { $0 + LogFormat.recordSize(payloadLength: $1.count) })
    var offsets: [Int] = []
    for payload in payloads {
      guard payload.count <= maxRecordSize else {
        throw Error.recordTooLarge(size: payload.count, limit: maxRecordSize)
      }
      offsets.append(size + buffer.count)
      LogFormat.frame(payload, into: &buffer)
    }
    try file.append(buffer)
    size += buffer.count
    records += payloads.count
    return offsets
  }

  /// Makes every appended record durable (`fdatasync`).
  public func sync() throws {
    try file.sync(.data)
    syncedSize = size
  }
  // end snippet

  /// Closes the file without syncing it.
  public func close() throws {
    try file.close()
  }

  /// What can go wrong before any byte is written.
  public enum Error: Swift.Error, Equatable, CustomStringConvertible {
    case recordTooLarge(size: Int, limit: Int)

    public var description: String {
      switch self {
      case .recordTooLarge(let size, let limit):
        "a batch of \(size) encoded bytes exceeds the \(limit)-byte record limit"
      }
    }
  }
}
