/// Fuzz target `frame`: the server's wire format (chapter 7), compiled in
/// from `Sources/Chapter7Server/Protocol/Frame.swift`.
///
/// The input is a byte stream, decoded as frames one after another, both
/// all at once and fed in small chunks as a socket would deliver it. Every
/// frame's payload is then decoded as each request kind and as a reply (a
/// SCAN page, a trace event, a sequence number). Properties: decoding
/// agrees with the format as Frame.swift's header spells it (which error,
/// and when); a decoded frame re-encodes to exactly its bytes; any prefix
/// of a frame is "not yet", never an error; a length over the maximum is
/// refused from the 4-byte length field alone; chunked and whole decoding
/// give the same frames; a request re-encodes to a payload that decodes to
/// the same request; reply payloads re-encode to themselves.

import Chapter1WAL

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = fuzzBytes(start, count)
  let whole = decodeStream(bytes)
  expect(decodeInChunks(bytes) == whole, "chunked decoding differs from decoding the whole stream")
  for frame in whole.frames { checkPayload(frame) }
  return 0
}

/// How a stream of frames ends: cleanly, partway through a frame (the
/// bytes left over), or at a frame that is not one.
private enum Ending: Equatable {
  case partial(leftover: Int)
  case error(Frame.DecodingError)
}

private struct Stream: Equatable {
  var frames: [Frame] = []
  var ending = Ending.partial(leftover: 0)
}

/// What decoding the front of `bytes` must give, by the format's own
/// rules: the length is checked first (4 bytes suffice), then nothing is
/// decided until the whole frame is there, then version, kind, status and
/// flags in that order.
private enum Expected: Equatable {
  case partial
  case error(Frame.DecodingError)
  case frame(size: Int)
}

private func expected(_ bytes: ArraySlice<UInt8>, maximumSize: Int) -> Expected {
  guard bytes.count >= 4 else { return .partial }
  let b = Array(bytes.prefix(Frame.headerSize))
  let length = Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3])
  if length < 12 { return .error(.tooShort(claimed: length)) }
  if length + 4 > maximumSize { return .error(.tooLarge(claimed: length + 4, maximum: maximumSize)) }
  guard bytes.count >= length + 4 else { return .partial }
  if b[4] != 1 { return .error(.unknownVersion(b[4])) }
  if Frame.Kind(rawValue: b[5]) == nil { return .error(.unknownKind(b[5])) }
  if Frame.Status(rawValue: b[6]) == nil { return .error(.unknownStatus(b[6])) }
  if b[7] & ~Frame.noSync != 0 { return .error(.unknownFlags(b[7])) }
  return .frame(size: length + 4)
}

/// Decodes the front of `bytes`, checking the result against `expected`
/// and a decoded frame against its bytes.
private func decodeChecked(_ bytes: ArraySlice<UInt8>, maximumSize: Int = Frame.defaultMaximumSize) -> (
  outcome: Expected, frame: Frame?
) {
  let want = expected(bytes, maximumSize: maximumSize)
  var got = Expected.partial
  var decoded: Frame?
  do {
    if let (frame, size) = try Frame.decode(bytes, maximumSize: maximumSize) {
      expect(frame.encoded == Array(bytes.prefix(size)), "frame \(frame) does not re-encode to its \(size) bytes")
      got = .frame(size: size)
      decoded = frame
    }
  } catch {
    _ = error.description
    got = .error(error)
  }
  expect(got == want, "decoding gave \(got), the format says \(want)")
  // The announced size depends on the length field alone.
  if bytes.count >= 4 {
    let fromHead = Result { () throws(Frame.DecodingError) in
      try Frame.announcedSize(bytes.prefix(4), maximumSize: maximumSize)
    }
    let fromAll = Result { () throws(Frame.DecodingError) in try Frame.announcedSize(bytes, maximumSize: maximumSize) }
    expect(fromHead == fromAll, "the announced size depends on more than the length field")
  }
  return (got, decoded)
}

/// The frames of `bytes`, one after another, until the stream ends or a
/// frame is refused.
private func decodeStream(_ bytes: Bytes) -> Stream {
  var stream = Stream()
  var offset = 0
  while true {
    let rest = bytes[offset...]
    switch decodeChecked(rest) {
    case (.partial, _):
      stream.ending = .partial(leftover: rest.count)
      return stream
    case (.error(let error), _):
      stream.ending = .error(error)
      return stream
    case (.frame(let size), let frame?):
      checkFraming(rest.prefix(size), frame, followedBy: rest.dropFirst(size))
      stream.frames.append(frame)
      offset += size
    case (.frame, nil):
      fatalError("unreachable: decodeChecked gave a size without a frame")
    }
  }
}

/// The same stream arriving a few bytes at a time: after each chunk, every
/// whole frame in hand is decoded, as the server's and client's readers do.
private func decodeInChunks(_ bytes: Bytes) -> Stream {
  let chunkSizes = [1, 7, 3, 16, 2, 5]
  var stream = Stream()
  var buffer = Bytes()
  var consumed = 0
  var offset = 0
  var chunk = 0
  repeat {
    let end = min(bytes.count, offset + chunkSizes[chunk % chunkSizes.count])
    buffer.append(contentsOf: bytes[offset..<end])
    offset = end
    chunk += 1
    while true {
      do {
        guard let (frame, size) = try Frame.decode(buffer[consumed...]) else { break }
        stream.frames.append(frame)
        consumed += size
      } catch {
        stream.ending = .error(error)
        return stream
      }
    }
  } while offset < bytes.count
  stream.ending = .partial(leftover: buffer.count - consumed)
  return stream
}

/// One frame's bytes (`whole`), as the stream held it: every prefix is
/// "not yet"; what follows does not change it; a maximum of exactly its
/// size takes it, one byte less refuses it from the length field alone.
private func checkFraming(_ whole: ArraySlice<UInt8>, _ frame: Frame, followedBy rest: ArraySlice<UInt8>) {
  let size = whole.count
  expect(size >= Frame.headerSize && size == Frame.headerSize + frame.payload.count, "frame size \(size)")
  for cut in Set([0, 1, 3, 4, 5, Frame.headerSize - 1, Frame.headerSize, size / 2, size - 1]) where cut < size {
    expect(decodeChecked(whole.prefix(cut)).outcome == .partial, "a \(cut)-byte prefix of a \(size)-byte frame is not partial")
  }
  let joined = Array(whole) + Array(rest.prefix(32))
  expect((try? Frame.decode(joined[...]))?.frame == frame, "the bytes after a frame change it")
  expect(decodeChecked(whole, maximumSize: size).outcome == .frame(size: size), "a maximum of its own size refuses a frame")
  do {
    _ = try Frame.announcedSize(whole.prefix(4), maximumSize: size - 1)
    fatalError("property broken: a \(size)-byte frame passes a maximum of \(size - 1)")
  } catch {
    expect(error == .tooLarge(claimed: size, maximum: size - 1), "over the maximum: \(error)")
  }
}

/// The frame's payload as every request kind (with its flags and with
/// none) and as each kind of reply.
private func checkPayload(_ frame: Frame) {
  for kind in Frame.Kind.allCases {
    for flags in Set([0, frame.flags]) {
      checkRequest(
        Frame(
          kind: kind, status: frame.status, flags: flags, requestID: frame.requestID,
          budgetMilliseconds: frame.budgetMilliseconds, payload: frame.payload))
    }
  }
  checkReply(frame.payload)
}

/// A request that decodes is of the frame's kind, keeps the no-sync flag to
/// writes, and re-encodes to a frame that decodes to the same request (for
/// all but BATCH, whose sequence and varints may be spelled differently,
/// to the very same payload).
private func checkRequest(_ frame: Frame) {
  let request: Request
  do {
    request = try Request(frame)
  } catch {
    _ = error.description
    return
  }
  expect(frame.kind.isRequest, "a \(frame.kind) frame decodes as a request")
  expect(request.kind == frame.kind, "a \(frame.kind) frame decodes as \(request.kind)")
  expect(frame.flags == 0 || request.isWrite, "a \(frame.kind) with flags \(frame.flags) is accepted")
  if case .batch(let batch) = request {
    expect(!batch.isEmpty, "an empty BATCH is accepted")
  } else {
    expect(request.payload == frame.payload, "\(frame.kind) payload does not re-encode to itself")
  }
  if case .scan(_, _, let limit) = request {
    expect((1...Request.maximumScanLimit).contains(limit), "SCAN limit \(limit) is accepted")
  }
  let again = request.frame(id: frame.requestID, budgetMilliseconds: frame.budgetMilliseconds, flags: frame.flags)
  let encoded = again.encoded
  guard let (reread, size) = try? Frame.decode(encoded[...]) else {
    fatalError("property broken: a re-encoded \(frame.kind) request is not a frame")
  }
  expect(reread == again && size == encoded.count, "a re-encoded \(frame.kind) frame decodes differently")
  expect((try? Request(reread)) == request, "a re-encoded \(frame.kind) request decodes differently")
}

/// Reply payloads: a SCAN page and a sequence number re-encode to
/// themselves; a trace event does when its fields are UTF-8, and always
/// decodes back to itself once re-encoded.
private func checkReply(_ payload: Bytes) {
  _ = String(decoding: payload, as: UTF8.self)  // a message, on any status but ok
  if let page = ScanPage(decoding: payload) {
    expect(page.encoded == payload, "a SCAN page does not re-encode to itself")
  }
  if let sequence = payload.sequence {
    expect(Bytes.sequence(sequence) == payload, "sequence \(sequence) does not re-encode to itself")
  } else {
    expect(payload.count != 8, "an 8-byte payload is not a sequence number")
  }
  if let event = TraceEvent(decoding: payload) {
    let encoded = event.encoded
    expect(TraceEvent(decoding: encoded) == event, "a re-encoded trace event decodes differently")
    var reader = PayloadReader(payload)
    let utf8 = (0..<5).allSatisfy { _ in reader.string().map { String(validating: $0, as: UTF8.self) != nil } ?? false }
    expect(!utf8 || encoded == payload, "a UTF-8 trace event does not re-encode to itself")
  }
}
