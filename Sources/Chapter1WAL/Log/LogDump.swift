/// `beach wal-dump`: a log file, record by record, for a human.
///
/// For every record it prints the offset, the payload length, whether the
/// checksums match, and (with `decode`) the batch inside. It goes on past a
/// damaged payload when the record's length can still be trusted, so one bad
/// record does not hide the rest, and ends with a summary line. The result
/// says whether the file was corrupt, so the command can exit non-zero.
public enum LogDump {
  /// The dump's lines and its verdict.
  public struct Result: Sendable, Equatable {
    public var lines: [String]
    /// Records whose checksums matched.
    public var goodRecords: Int
    /// Damaged records (torn tails are not counted as damage).
    public var corruptRecords: Int
    /// Whether the file ends in a torn record.
    public var tornTail: Bool
    /// Records whose checksums match but whose payload is not a write batch:
    /// the file is some other log (a manifest is one), not a write-ahead log.
    public var foreignRecords = 0

    /// Whether the file is not a sound write-ahead log: damaged, or not one.
    public var isCorrupt: Bool { corruptRecords > 0 || foreignRecords > 0 }
  }

  /// Dumps the log at `path`, naming it `name` in the output.
  public static func run(
    path: String, name: String? = nil, fileSystem: any FileSystem, decode: Bool,
    maxRecordSize: Int = LogFormat.defaultMaxRecordSize
  ) throws(FileSystemError) -> Result {
    let bytes = try fileSystem.readFile(path)
    return dump(bytes, name: name ?? splitPath(path).name, decode: decode, maxRecordSize: maxRecordSize)
  }

  /// Dumps a log held in memory.
  public static func dump(
    _ bytes: Bytes, name: String, decode: Bool, maxRecordSize: Int = LogFormat.defaultMaxRecordSize
  ) -> Result {
    var result = Result(lines: [], goodRecords: 0, corruptRecords: 0, tornTail: false)
    var reader = LogReader(bytes: bytes, maxRecordSize: maxRecordSize)
    result.lines.append("\(name): \(bytes.count) bytes")
    walking: while true {
      let offset = reader.offset
      switch reader.next() {
      case .record(let record):
        result.goodRecords += 1
        let payload = Array(bytes[record.payloadRange])
        var line = "  @\(pad(offset))  len \(pad(record.length, 5))  crc32c \(hex32(record.checksum)) ok"
        switch decodeBatch(payload) {
        case .success(let (sequence, batch)):
          line += "  seq \(sequence)" + (batch.count > 1 ? "..\(label(sequence, plus: batch.count - 1))" : "")
          line += "  \(batch.count) op" + (batch.count == 1 ? "" : "s")
          result.lines.append(line)
          if decode {
            for (index, operation) in batch.operations.enumerated() {
              let seq = label(sequence, plus: index)
              switch operation {
              case .put(let key, let value):
                result.lines.append("      #\(seq) PUT \(Format.printable(key)) = \(Format.printable(value))")
              case .delete(let key):
                result.lines.append("      #\(seq) DEL \(Format.printable(key))")
              }
            }
          }
        case .failure(let error):
          result.foreignRecords += 1
          result.lines.append(line + "  (payload is not a batch: \(error))")
        }
      case .end:
        break walking
      case .tornTail(let at, let reason):
        result.tornTail = true
        result.lines.append("  @\(pad(at))  torn tail: \(reason); recovery would cut the file here")
        break walking
      case .corrupt(let at, let reason, let resume):
        result.corruptRecords += 1
        result.lines.append("  @\(pad(at))  CORRUPT: \(reason)")
        if resume == nil {
          result.lines.append("  (the length cannot be trusted; the rest of the file is not read)")
          break walking
        }
      }
    }
    var summary = "\(result.goodRecords) good record" + (result.goodRecords == 1 ? "" : "s")
    if result.corruptRecords > 0 { summary += ", \(result.corruptRecords) corrupt" }
    if result.tornTail { summary += ", torn tail" }
    if result.foreignRecords > 0 {
      summary +=
        ", \(result.foreignRecords) without a write batch: NOT A WRITE-AHEAD LOG"
        + " (a manifest? `beach manifest-dump` reads those)"
    } else {
      summary += result.isCorrupt ? ": CORRUPT" : ": ok"
    }
    result.lines.append(summary)
    return result
  }

  /// `sequence + offset` as text. A damaged batch may start so near the top
  /// of the range that its later operations' numbers do not exist.
  private static func label(_ sequence: SequenceNumber, plus offset: Int) -> String {
    let (sum, overflow) = sequence.addingReportingOverflow(SequenceNumber(offset))
    return overflow ? "(past \(SequenceNumber.max))" : "\(sum)"
  }

  private static func pad(_ value: Int, _ width: Int = 6) -> String {
    let digits = String(value)
    return String(repeating: " ", count: max(0, width - digits.count)) + digits
  }

  private static func decodeBatch(_ payload: Bytes) -> Swift.Result<(SequenceNumber, WriteBatch), DecodingError> {
    do throws(DecodingError) {
      return .success(try WriteBatch.decode(payload))
    } catch {
      return .failure(error)
    }
  }
}
