import Chapter1WAL

// snippet: raft-client-command
/// A client's write as it travels in a log entry: who sent it, its number
/// in that client's sequence, and the batch itself.
///
/// A client numbers its writes 1, 2, 3… and retries a write with the same
/// number until it hears back. The state machine remembers, per client, the
/// highest number it has applied and skips any entry at or below it, so a
/// retry whose first attempt did commit is not applied twice (dissertation
/// §6.3). Encoding: `varint client, varint sequence, WriteBatch encoding`.
public struct ClientCommand: Equatable, Sendable {
  public var client: UInt64
  public var sequence: UInt64
  public var batch: WriteBatch

  public init(client: UInt64, sequence: UInt64, batch: WriteBatch) {
    self.client = client
    self.sequence = sequence
    self.batch = batch
  }

  public var encoded: Bytes {
    var out = Bytes()
    out.appendVarint(client)
    out.appendVarint(sequence)
    out.append(contentsOf: batch.encoded(sequence: 0))
    return out
  }

  public static func decode(_ bytes: Bytes) throws(DecodingError) -> ClientCommand {
    var reader = ByteReader(bytes)
    let client = try reader.readVarint()
    let sequence = try reader.readVarint()
    let (_, batch) = try WriteBatch.decode(try reader.readBytes(reader.remaining))
    return ClientCommand(client: client, sequence: sequence, batch: batch)
  }
}
// end snippet
