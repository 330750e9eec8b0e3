import Chapter1WAL
import Testing

@testable import Chapter8Raft

@Suite("Raft encodings")
struct EncodingTests {
  @Test("a message with entries and a snapshot comes back as it went")
  func messageRoundTrip() throws {
    var message = Message(kind: .append, from: 1, to: 2, term: 3)
    message.logTerm = 2
    message.index = 7
    message.commit = 6
    message.entries = [Entry(term: 3, index: 8, kind: .noop), Entry(term: 3, index: 9, data: [1, 2, 3])]
    message.snapshot = Snapshot(metadata: SnapshotMetadata(index: 5, term: 2, voters: [1, 2, 3]), data: [9])
    #expect(try Message.decode(message.encoded) == message)
  }

  @Test("every truncation of a message is an error, never a trap")
  func truncations() throws {
    var message = Message(kind: .append, from: 1, to: 2, term: 3)
    message.entries = [Entry(term: 3, index: 8, data: [1, 2, 3])]
    let bytes = message.encoded
    for cut in 0..<bytes.count {
      #expect(throws: DecodingError.self) { try Message.decode(Array(bytes[..<cut])) }
    }
  }

  @Test("a count of entries larger than the bytes is refused")
  func lyingCount() throws {
    var bytes: Bytes = [Message.Kind.append.rawValue]
    for _ in 0..<6 { bytes.appendVarint(1) }
    bytes.append(0)
    for _ in 0..<3 { bytes.appendVarint(0) }
    bytes.appendVarint(1 << 40)
    #expect(throws: DecodingError.self) { try Message.decode(bytes) }
  }
}
