import PropertyBased
import Testing

@testable import Chapter1WAL

@Suite struct CRC32CTests {
  @Test func standardCheckValue() {
    #expect(CRC32C.checksum(Bytes(utf8: "123456789")) == 0xE306_9283)
  }

  /// Vectors from RFC 3720 (iSCSI), appendix B.4.
  @Test func rfc3720Vectors() {
    #expect(CRC32C.checksum(Bytes(repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum(Bytes(repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    #expect(CRC32C.checksum(Bytes((0..<32).map { UInt8($0) })) == 0x46DD_794E)
    #expect(CRC32C.checksum(Bytes((0..<32).map { UInt8(31 - $0) })) == 0x113F_DB5C)
  }

  @Test func emptyInputIsZero() {
    #expect(CRC32C.checksum([]) == 0)
  }

  @Test func updateExtendsAChecksum() async {
    await propertyCheck(input: Gen<UInt8>.value().array(of: 0...200), Gen<UInt8>.value().array(of: 0...200)) {
      a, b in
      let joined = (a + b).withUnsafeBytes { CRC32C.update(0, $0) }
      let stepwise = b.withUnsafeBytes { CRC32C.update(CRC32C.checksum(a), $0) }
      #expect(joined == stepwise)
      #expect(joined == Self.bitwise(a + b))
    }
  }

  @Test func maskRoundTrips() async {
    await propertyCheck(input: Gen<UInt32>.value()) { crc in
      #expect(CRC32C.unmask(CRC32C.mask(crc)) == crc)
      #expect(CRC32C.mask(crc) != crc || crc == 0xFFFF_FFFF)
    }
  }

  /// The textbook one-bit-at-a-time CRC, to check the sliced tables against.
  static func bitwise(_ bytes: Bytes) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
  }
}

@Suite struct CodingTests {
  @Test func varintRoundTrips() async {
    await propertyCheck(input: Gen<UInt64>.value()) { value throws in
      var bytes = Bytes()
      bytes.appendVarint(value)
      #expect(bytes.count == varintLength(value))
      var reader = ByteReader(bytes)
      #expect(try reader.readVarint() == value)
      #expect(reader.isAtEnd)
    }
  }

  @Test func varintKnownEncodings() throws {
    var bytes = Bytes()
    bytes.appendVarint(300)
    #expect(bytes == [0xAC, 0x02])
    bytes = []
    bytes.appendVarint(UInt64.max)
    #expect(bytes.count == 10)
  }

  @Test func fixedRoundTrips() async {
    await propertyCheck(input: Gen<UInt32>.value(), Gen<UInt64>.value()) { a, b throws in
      var bytes = Bytes()
      bytes.appendFixed32(a)
      bytes.appendFixed64(b)
      #expect(bytes.count == 12)
      var reader = ByteReader(bytes)
      #expect(try reader.readFixed32() == a)
      #expect(try reader.readFixed64() == b)
    }
  }

  @Test func fixed32IsLittleEndian() {
    var bytes = Bytes()
    bytes.appendFixed32(0x0403_0201)
    #expect(bytes == [1, 2, 3, 4])
  }

  @Test func lengthPrefixedRoundTrips() async {
    await propertyCheck(input: Gen<UInt8>.value().array(of: 0...300)) { payload throws in
      var bytes = Bytes()
      bytes.appendLengthPrefixed(payload)
      var reader = ByteReader(bytes)
      #expect(try reader.readLengthPrefixed() == payload)
    }
  }

  @Test func malformedInputThrowsInsteadOfTrapping() {
    var overlong = ByteReader(Bytes(repeating: 0xFF, count: 11))
    #expect(throws: DecodingError.self) { try overlong.readVarint() }
    var truncated = ByteReader([0x80])
    #expect(throws: DecodingError.self) { try truncated.readVarint() }
    var lengthTooBig = ByteReader([0x05, 1, 2])
    #expect(throws: DecodingError.self) { try lengthTooBig.readLengthPrefixed() }
    var short = ByteReader([1, 2, 3])
    #expect(throws: DecodingError.self) { try short.readFixed32() }
  }

  /// Any byte string fed to the decoders either decodes or throws; none traps.
  @Test func decodersSurviveArbitraryBytes() async {
    await propertyCheck(count: 500, input: Gen<UInt8>.value().array(of: 0...64)) { bytes in
      var reader = ByteReader(bytes)
      _ = try? reader.readVarint()
      _ = try? reader.readLengthPrefixed()
      _ = try? WriteBatch.decode(bytes)
      _ = LogReader.classify(bytes, at: 0, maxRecordSize: 64)
    }
  }
}

@Suite struct WriteBatchTests {
  static let operations = Gen.oneOf(
    zip(Gen<UInt8>.value().array(of: 0...8), Gen<UInt8>.value().array(of: 0...16)).map {
      WriteBatch.Operation.put(key: $0, value: $1)
    },
    Gen<UInt8>.value().array(of: 0...8).map { WriteBatch.Operation.delete(key: $0) }
  )

  @Test func encodingRoundTrips() async {
    await propertyCheck(input: Self.operations.array(of: 0...10), Gen<UInt64>.value(in: 0...UInt64.max / 2)) {
      operations, sequence throws in
      let batch = WriteBatch(operations)
      let bytes = batch.encoded(sequence: sequence)
      #expect(bytes.count == batch.encodedSize)
      let decoded = try WriteBatch.decode(bytes)
      #expect(decoded.sequence == sequence)
      #expect(decoded.batch == batch)
    }
  }

  @Test func encodingIsDeterministic() {
    var batch = WriteBatch()
    batch.put(Bytes(utf8: "k"), Bytes(utf8: "v"))
    batch.delete(Bytes(utf8: "gone"))
    #expect(
      batch.encoded(sequence: 7).hexString
        == "0700000000000000" + "02000000" + "01016b0176" + "0004676f6e65")
  }

  @Test func emptyValueIsNotADelete() throws {
    var batch = WriteBatch()
    batch.put(Bytes(utf8: "k"), [])
    let decoded = try WriteBatch.decode(batch.encoded(sequence: 1)).batch
    #expect(decoded.operations == [.put(key: Bytes(utf8: "k"), value: [])])
  }

  @Test func rejectsTrailingBytesAndUnknownKinds() {
    var bytes = WriteBatch([.delete(key: [1])]).encoded(sequence: 1)
    #expect(throws: DecodingError.self) { try WriteBatch.decode(bytes + [0]) }
    bytes[12] = 9
    #expect(throws: DecodingError.self) { try WriteBatch.decode(bytes) }
  }

  @Test func hostileCountDoesNotAllocate() {
    var bytes = Bytes()
    bytes.appendFixed64(1)
    bytes.appendFixed32(UInt32.max)
    #expect(throws: DecodingError.self) { try WriteBatch.decode(bytes) }
  }
}
