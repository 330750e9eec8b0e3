import Chapter1WAL
import Testing

@testable import Chapter7Server

/// The wire format: the worked example at the top of Frame.swift, round
/// trips of every request, and every way bytes fail to be a frame.
@Suite struct FrameTests {
  func hex(_ text: String) -> Bytes { Bytes(hex: text.filter { !$0.isWhitespace })! }

  @Test func theWorkedExampleIsTheBytesOnTheWire() throws {
    let put = Request.put(key: Bytes(utf8: "k"), value: Bytes(utf8: "v1")).frame(id: 7, budgetMilliseconds: 250)
    let expected = hex("00 00 00 13 01 02 00 00 00 00 00 07 00 00 00 fa 00 00 00 01 6b 76 31")
    #expect(put.encoded == expected)
    let (decoded, size) = try #require(try Frame.decode(expected[...]))
    #expect(size == expected.count)
    #expect(try Request(decoded) == .put(key: Bytes(utf8: "k"), value: Bytes(utf8: "v1")))
    #expect(decoded.budgetMilliseconds == 250)

    let reply = Frame(kind: .reply, status: .ok, requestID: 7, payload: .sequence(5))
    #expect(reply.encoded == hex("00 00 00 14 01 81 00 00 00 00 00 07 00 00 00 00 00 00 00 00 00 00 00 05"))
    #expect(reply.payload.sequence == 5)
  }

  @Test func everyRequestSurvivesTheWire() throws {
    var batch = WriteBatch()
    batch.put(Bytes(utf8: "a"), Bytes(utf8: "1"))
    batch.delete(Bytes(utf8: "b"))
    let requests: [Request] = [
      .get(key: Bytes(utf8: "key")), .get(key: []), .put(key: [], value: []),
      .put(key: Bytes(utf8: "key"), value: Bytes(repeating: 0xff, count: 1000)),
      .delete(key: Bytes(utf8: "gone")), .batch(batch),
      .scan(start: Bytes(utf8: "a"), end: nil, limit: 100),
      .scan(start: [], end: Bytes(utf8: "z"), limit: Request.maximumScanLimit),
      .ping(Bytes(utf8: "hello")), .stats, .trace(.off), .trace(.steps), .trace(.explain),
      .extension(code: 7, body: []), .extension(code: 0xff, body: Bytes(utf8: "a later layer")),
    ]
    for (index, request) in requests.enumerated() {
      let bytes = request.frame(id: UInt32(index), budgetMilliseconds: UInt32(index * 10)).encoded
      let (frame, size) = try #require(try Frame.decode(bytes[...]))
      #expect(size == bytes.count)
      #expect(frame.requestID == UInt32(index))
      #expect(try Request(frame) == request)
    }
  }

  @Test func aPartialFrameIsNotYetAFrame() throws {
    let bytes = Request.get(key: Bytes(utf8: "key")).frame(id: 1).encoded
    for cut in 0..<bytes.count {
      #expect(try Frame.decode(bytes[..<cut]) == nil, "cut at \(cut)")
    }
    // Two frames back to back decode one at a time.
    let two = bytes + Request.stats.frame(id: 2).encoded
    let (first, size) = try #require(try Frame.decode(two[...]))
    #expect(first.requestID == 1)
    let (second, _) = try #require(try Frame.decode(two[size...]))
    #expect(second.kind == .stats)
  }

  @Test func theLengthIsCheckedBeforeAnythingIsAllocated() throws {
    // 0xffffffff announced in four bytes: refused from those four alone.
    #expect(throws: Frame.DecodingError.tooLarge(claimed: 0xffff_ffff + 4, maximum: Frame.defaultMaximumSize)) {
      _ = try Frame.announcedSize(hex("ff ff ff ff"))
    }
    #expect(throws: Frame.DecodingError.tooLarge(claimed: 1025, maximum: 1024)) {
      _ = try Frame.decode(hex("00 00 03 fd")[...], maximumSize: 1024)
    }
    #expect(try Frame.announcedSize(hex("00 00 03 fc"), maximumSize: 1024) == 1024)
    #expect(throws: Frame.DecodingError.tooShort(claimed: 11)) { _ = try Frame.announcedSize(hex("00 00 00 0b")) }
    #expect(try Frame.announcedSize(hex("00 00 00")) == nil)
  }

  @Test func aBadHeaderIsNamed() throws {
    let good = Request.stats.frame(id: 1).encoded
    func with(_ offset: Int, _ byte: UInt8) -> ArraySlice<UInt8> {
      var bytes = good
      bytes[offset] = byte
      return bytes[...]
    }
    #expect(throws: Frame.DecodingError.unknownVersion(2)) { _ = try Frame.decode(with(4, 2)) }
    #expect(throws: Frame.DecodingError.unknownKind(0x09)) { _ = try Frame.decode(with(5, 0x09)) }
    #expect(throws: Frame.DecodingError.unknownStatus(200)) { _ = try Frame.decode(with(6, 200)) }
    #expect(throws: Frame.DecodingError.unknownFlags(2)) { _ = try Frame.decode(with(7, 2)) }
    #expect(throws: Frame.DecodingError.unknownFlags(0x81)) { _ = try Frame.decode(with(7, 0x81)) }
  }

  @Test func aMalformedPayloadIsABadRequestNotABrokenConnection() throws {
    func malformed(_ kind: Frame.Kind, _ payload: Bytes) -> Bool {
      (try? Request(Frame(kind: kind, requestID: 1, payload: payload))) == nil
    }
    #expect(malformed(.put, hex("00 00 00 09 6b")))  // key length past the end
    #expect(malformed(.batch, hex("00 01 02")))  // not a write batch
    #expect(malformed(.batch, WriteBatch().encoded(sequence: 0)))  // empty
    #expect(malformed(.scan, hex("00 00 00 0a 00 00 00 00")))  // no end flag
    #expect(malformed(.scan, hex("00 00 00 00 00 00 00 00 00")))  // limit 0
    #expect(malformed(.scan, hex("00 00 00 0a 00 00 00 00 00 ee")))  // trailing byte
    #expect(malformed(.scan, hex("00 00 00 0a 00 00 00 00 02")))  // end flag 2
    #expect(malformed(.stats, [1]))
    #expect(malformed(.trace, [3]))
    #expect(malformed(.trace, []))
    #expect(malformed(.reply, []))
    #expect(malformed(.traceEvent, []))
    // The no-sync flag belongs to writes only.
    #expect((try? Request(Frame(kind: .stats, flags: Frame.noSync, requestID: 1))) == nil)
    #expect((try? Request(Frame(kind: .put, flags: Frame.noSync, requestID: 1, payload: [0, 0, 0, 0]))) != nil)
  }

  @Test func scanPagesAndTraceEventsRoundTrip() throws {
    let page = ScanPage(
      entries: [
        KeyValuePair(key: Bytes(utf8: "a"), value: Bytes(utf8: "1")),
        KeyValuePair(key: Bytes(utf8: "b"), value: []),
      ], resumeKey: Bytes(utf8: "c"))
    #expect(ScanPage(decoding: page.encoded) == page)
    let last = ScanPage(entries: [], resumeKey: nil)
    #expect(ScanPage(decoding: last.encoded) == last)
    #expect(ScanPage(decoding: hex("ff ff ff ff")) == nil)  // a count the bytes cannot hold
    #expect(ScanPage(decoding: page.encoded + [0]) == nil)
    for cut in 0..<page.encoded.count { #expect(ScanPage(decoding: Array(page.encoded[..<cut])) == nil) }

    let event = TraceEvent(component: .server, action: "recv", subject: "PUT", details: "id 7", why: "")
    #expect(TraceEvent(decoding: event.encoded) == event)
    #expect(TraceEvent(decoding: Array(event.encoded.dropLast())) == nil)
  }

  @Test(arguments: 0..<200) func randomBytesNeverTrap(seed: Int) throws {
    var rng = SeededGenerator(seed: UInt64(seed))
    let length = Int.random(in: 0..<64, using: &rng)
    var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
    if bytes.count >= 4 && Bool.random(using: &rng) {  // a plausible length, so the header is read
      let size = UInt32(bytes.count - 4)
      bytes[0..<4] = [UInt8(size >> 24), UInt8(size >> 16 & 0xff), UInt8(size >> 8 & 0xff), UInt8(size & 0xff)][...]
    }
    if let (frame, _) = try? Frame.decode(bytes[...]) { _ = try? Request(frame) }
    _ = ScanPage(decoding: bytes)
    _ = TraceEvent(decoding: bytes)
  }
}
