import Testing

@testable import Chapter1WAL

@Suite struct LogFormatTests {
  /// The example at the top of LogFormat.swift, byte for byte.
  @Test func workedExample() {
    var batch = WriteBatch()
    batch.put(Bytes(utf8: "k"), Bytes(utf8: "v"))
    let payload = batch.encoded(sequence: 1)
    #expect(payload.hexString == "0100000000000000" + "01000000" + "01" + "016b" + "0176")
    var record = Bytes()
    LogFormat.frame(payload, into: &record)
    #expect(record.count == 29)
    #expect(record.hexString == Self.workedExampleHex)
  }

  /// The 29 bytes the format documentation shows.
  static let workedExampleHex =
    "8ef11b30" + "11000000" + "64e30743" + "0100000000000000" + "01000000" + "01016b0176"

  @Test func readerFindsEveryRecordAndTheEnd() {
    let payloads: [Bytes] = [[1], [], Bytes(repeating: 7, count: 300)]
    var log = Bytes()
    for payload in payloads { LogFormat.frame(payload, into: &log) }
    var reader = LogReader(bytes: log)
    var found: [Bytes] = []
    while case .record(let record) = reader.next() { found.append(Array(log[record.payloadRange])) }
    #expect(found == payloads)
    #expect(reader.next() == .end)
  }

  @Test func cutInsideTheLastRecordIsATornTail() {
    var log = Bytes()
    LogFormat.frame([1, 2, 3], into: &log)
    let boundary = log.count
    LogFormat.frame(Bytes(repeating: 9, count: 20), into: &log)
    for cut in boundary + 1..<log.count {
      var reader = LogReader(bytes: Array(log[..<cut]))
      guard case .record = reader.next() else {
        Issue.record("first record lost at cut \(cut)")
        continue
      }
      guard case .tornTail(let offset, _) = reader.next() else {
        Issue.record("cut at \(cut) not seen as a torn tail")
        continue
      }
      #expect(offset == boundary)
    }
  }

  @Test func zeroFilledTailIsTorn() {
    var log = Bytes()
    LogFormat.frame([1], into: &log)
    let boundary = log.count
    log += Bytes(repeating: 0, count: 40)
    var reader = LogReader(bytes: log)
    _ = reader.next()
    #expect(reader.next() == .tornTail(offset: boundary, reason: "40 zero bytes where a record should start"))
  }

  @Test func damagedLengthIsCorruptionNotATornTail() {
    var log = Bytes()
    LogFormat.frame([1, 2, 3], into: &log)
    LogFormat.frame([4, 5, 6], into: &log)
    log[4] = 0xF0  // the first record now claims a huge length
    var reader = LogReader(bytes: log)
    guard case .corrupt(0, _, nil) = reader.next() else {
      Issue.record("a damaged length must be corruption at offset 0")
      return
    }
  }

  @Test func damagedPayloadIsCorruptionAndTheDumpCarriesOn() {
    var log = Bytes()
    LogFormat.frame(WriteBatch([.put(key: [0x61], value: [0x62])]).encoded(sequence: 1), into: &log)
    let second = log.count
    LogFormat.frame(WriteBatch([.delete(key: [0x61])]).encoded(sequence: 2), into: &log)
    log[second + 14] ^= 0x01
    let dump = LogDump.dump(log, name: "000001.log", decode: true)
    #expect(dump.isCorrupt)
    #expect(dump.goodRecords == 1)
    #expect(dump.lines.last == "1 good record, 1 corrupt: CORRUPT")
    #expect(dump.lines.contains { $0.contains("@    \(second)  CORRUPT: checksum mismatch") })
  }

  @Test func dumpDecodesOperations() {
    var log = Bytes()
    LogFormat.frame(
      WriteBatch([.put(key: Bytes(utf8: "a"), value: Bytes(utf8: "1")), .delete(key: Bytes(utf8: "b"))])
        .encoded(sequence: 5), into: &log)
    let dump = LogDump.dump(log, name: "000001.log", decode: true)
    #expect(
      dump.lines == [
        "000001.log: \(log.count) bytes",
        "  @     0  len    20  crc32c \(hex32(CRC32C.unmask(decodeFixed32(log, at: 0)))) ok  seq 5..6  2 ops",
        "      #5 PUT a = 1",
        "      #6 DEL b",
        "1 good record: ok",
      ])
  }

  @Test func logFileNames() {
    #expect(LogFormat.fileName(number: 1) == "000001.log")
    #expect(LogFormat.fileName(number: 1_234_567) == "1234567.log")
    #expect(LogFormat.number(fromFileName: "000042.log") == 42)
    #expect(LogFormat.number(fromFileName: "x.log") == nil)
    #expect(LogFormat.number(fromFileName: "000001.sst") == nil)
  }
}
