/// Fuzz target `log`: log records, `WriteBatch` payloads, varints and the
/// directory's `FORMAT` file (chapter 1).
///
/// Each input is tried four ways: as one batch payload, as a whole log file,
/// as payloads framed with valid checksums (so damage behind the checksum
/// is reached), and as a `FORMAT` file. Properties: a decoded batch
/// re-encodes to bytes that decode to the same batch (and to the input
/// itself when the input spelled every varint canonically); the log reader
/// always moves forward; recovery and `wal-dump` never trap.

@testable import Chapter1WAL

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = fuzzBytes(start, count)
  checkBatch(bytes)
  checkLog(bytes)
  checkLog(framedLog(lengthPrefixedPieces(bytes)))
  checkVarints(bytes)
  checkFormat(bytes)
  return 0
}

/// A batch that decodes re-encodes to a batch equal to it.
private func checkBatch(_ bytes: Bytes) {
  guard let (sequence, batch) = try? WriteBatch.decode(bytes) else { return }
  let encoded = batch.encoded(sequence: sequence)
  expect(encoded.count == batch.encodedSize, "encodedSize \(batch.encodedSize) but \(encoded.count) bytes")
  expect(encoded.count <= bytes.count, "re-encoding grew from \(bytes.count) to \(encoded.count) bytes")
  guard let (again, reread) = try? WriteBatch.decode(encoded) else {
    fatalError("property broken: a re-encoded batch does not decode")
  }
  expect(again == sequence && reread == batch, "a batch does not survive encode → decode")
  expect(reread.encoded(sequence: again) == encoded, "encoding is not stable")
}

/// Walks `bytes` as a log, decoding each record's payload as a batch, then
/// runs recovery and the dump over the same bytes.
private func checkLog(_ bytes: Bytes) {
  var reader = LogReader(bytes: bytes)
  walking: for _ in 0...bytes.count {
    let before = reader.offset
    switch reader.next() {
    case .record(let record):
      expect(record.offset == before && record.end > before && record.end <= bytes.count, "record \(record)")
      checkBatch(Array(bytes[record.payloadRange]))
    case .corrupt(_, _, let resume?):
      expect(resume > before && resume <= bytes.count, "corruption resumes at \(resume) from \(before)")
    case .end, .tornTail, .corrupt: break walking
    }
  }
  _ = LogDump.dump(bytes, name: "000001.log", decode: true)
  let fileSystem = memoryDirectory([("000001.log", bytes)])
  _ = try? LogRecovery.replay(
    log: "000001.log", in: "/db", fileSystem: fileSystem, after: nil, tracer: .disabled
  ) { _, _ in }
}

/// Varints read back as what they encode to.
private func checkVarints(_ bytes: Bytes) {
  var reader = ByteReader(bytes)
  while let value = try? reader.readVarint() {
    var encoded = Bytes()
    encoded.appendVarint(value)
    var again = ByteReader(encoded)
    expect((try? again.readVarint()) == value && again.isAtEnd, "varint \(value) does not round-trip")
  }
  var lengths = ByteReader(bytes)
  while (try? lengths.readLengthPrefixed()) != nil {}
}

/// A `FORMAT` that parses names a chapter that reads back the same when written.
private func checkFormat(_ bytes: Bytes) {
  let fileSystem = memoryDirectory([("FORMAT", bytes)])
  guard let chapter = try? DatabaseDirectory.readFormat(in: "/db", fileSystem: fileSystem) else { return }
  let written = memoryDirectory([("FORMAT", Bytes("beachdb chapter \(chapter)\n".utf8))])
  let reread = try? DatabaseDirectory.readFormat(in: "/db", fileSystem: written)
  expect(reread == chapter, "FORMAT chapter \(chapter) reads back as \(String(describing: reread))")
}
