import Chapter1WAL

/// The replicated state machine: a key-value store that applies committed
/// log entries, one batch per entry, and remembers how far it got.
///
/// Restart safety rests on one rule: **the applied index is written in the
/// same batch as the data it produced.** A batch is atomic in every
/// chapter's engine (one log record), so after a crash the store holds
/// either the entry's writes and its index, or neither. On restart the node
/// re-applies the log from the stored index on: nothing is skipped, nothing
/// applied twice. The client table (the last sequence number applied per
/// client, for exactly-once retries) rides in the same batch for the same
/// reason. Writes need not be synced: the Raft log, which is synced, can
/// replay them.
///
/// Its own keys begin with `0xFF 0xFF`, a prefix clients may not write.
public final class KVStateMachine: @unchecked Sendable {
  /// The store it applies to: chapter 1's in the simulator, chapter 6's in
  /// `beach serve --raft`.
  public let store: any KeyValueStore
  /// The last index applied (0 for a new store).
  public private(set) var applied: LogIndex = 0
  /// The term of the entry at `applied`.
  public private(set) var appliedTerm: Term = 0
  private var clients: [UInt64: UInt64] = [:]

  /// The prefix of the state machine's own keys.
  public static let reservedPrefix: Bytes = [0xFF, 0xFF]
  static let appliedKey: Bytes = reservedPrefix + Bytes("raft/applied".utf8)
  static let clientPrefix: Bytes = reservedPrefix + Bytes("raft/client/".utf8)

  /// What applying one entry did.
  public enum Outcome: Equatable, Sendable {
    /// A no-op, or an entry already applied before a restart.
    case none
    /// A client's write, applied now.
    case applied(client: UInt64, sequence: UInt64)
    /// A retry of a write already applied: skipped.
    case duplicate(client: UInt64, sequence: UInt64)
  }

  public init(store: any KeyValueStore) throws {
    self.store = store
    if let record = try store.get(Self.appliedKey) {
      var reader = ByteReader(record)
      applied = try reader.readFixed64()
      appliedTerm = try reader.readFixed64()
    }
    for pair in try store.scan(from: Self.clientPrefix, to: Self.clientPrefix + [0xFF]) {
      var name = ByteReader(pair.key, offset: Self.clientPrefix.count)
      var reader = ByteReader(pair.value)
      clients[try name.readFixed64()] = try reader.readFixed64()
    }
  }

  /// The highest sequence number applied for `client`.
  public func lastSequence(of client: UInt64) -> UInt64 { clients[client] ?? 0 }

  // snippet: raft-apply
  /// Applies one committed entry, with the applied index in the same batch.
  ///
  /// - Throws: if the store fails, or the entry's command does not decode
  ///   (an entry is only ever written by this code, so that is damage).
  public func apply(_ entry: Entry) throws -> Outcome {
    guard entry.index > applied else { return .none }
    var batch = WriteBatch()
    var outcome = Outcome.none
    if entry.kind == .command {
      let command = try ClientCommand.decode(entry.data)
      if command.sequence <= lastSequence(of: command.client) {
        outcome = .duplicate(client: command.client, sequence: command.sequence)
      } else {
        batch = command.batch
        batch.put(Self.clientKey(command.client), Self.fixed64(command.sequence))
        clients[command.client] = command.sequence
        outcome = .applied(client: command.client, sequence: command.sequence)
      }
    }
    batch.put(Self.appliedKey, Self.fixed64(entry.index) + Self.fixed64(entry.term))
    try store.write(batch, options: WriteOptions(sync: false))
    applied = entry.index
    appliedTerm = entry.term
    return outcome
  }
  // end snippet

  /// A client's read.
  public func get(_ key: Bytes) throws -> Bytes? { try store.get(key) }

  // snippet: raft-snapshot
  /// The whole store (the state machine's own keys included) as of
  /// `applied`: `varint count`, then per pair a length-prefixed key and a
  /// length-prefixed value, in key order.
  public func snapshot() throws -> Bytes {
    let pairs = try store.scan()
    var out = Bytes()
    out.appendVarint(UInt64(pairs.count))
    for pair in pairs {
      out.appendLengthPrefixed(pair.key)
      out.appendLengthPrefixed(pair.value)
    }
    return out
  }

  /// Replaces the store's contents with a snapshot's, in one batch (so a
  /// crash leaves the old contents or the new, not a mixture), synced: the
  /// log entries it stands for are about to be dropped.
  public func restore(_ snapshot: Bytes) throws {
    var reader = ByteReader(snapshot)
    let count = try reader.readVarint()
    guard count <= UInt64(reader.remaining) else {
      throw DecodingError(offset: 0, "snapshot claims \(count) pairs in \(reader.remaining) bytes")
    }
    var incoming: [KeyValuePair] = []
    for _ in 0..<count {
      incoming.append(KeyValuePair(key: try reader.readLengthPrefixed(), value: try reader.readLengthPrefixed()))
    }
    var batch = WriteBatch()
    let keep = Set(incoming.map(\.key))
    for pair in try store.scan() where !keep.contains(pair.key) { batch.delete(pair.key) }
    for pair in incoming { batch.put(pair.key, pair.value) }
    try store.write(batch, options: WriteOptions(sync: true))
    let reloaded = try KVStateMachine(store: store)
    applied = reloaded.applied
    appliedTerm = reloaded.appliedTerm
    clients = reloaded.clients
  }
  // end snippet

  static func clientKey(_ client: UInt64) -> Bytes { clientPrefix + fixed64(client) }

  static func fixed64(_ value: UInt64) -> Bytes {
    var out = Bytes()
    out.appendFixed64(value)
    return out
  }

  /// Whether a client may write `key` (not the state machine's own keys).
  public static func isClientKey(_ key: Bytes) -> Bool { !key.starts(with: reservedPrefix) }
}
