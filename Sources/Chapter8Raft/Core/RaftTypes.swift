import Chapter1WAL

/// The nouns of Raft: terms, indexes, entries, hard state, snapshots.
///
/// Everything here is a value. The core (`RaftNode`) reads and returns these;
/// the storage (`RaftStorage`) writes them down in chapter 1's record format;
/// the network carries them inside chapter 7's frames. Each type that crosses
/// a disk or a wire has one encoding, written here beside it, and its decoder
/// throws `DecodingError` on hostile bytes rather than trapping.

/// A node's name in its cluster: 1, 2, 3…; 0 means "nobody".
public typealias NodeID = UInt64

/// A Raft term: a number that only grows; each has at most one leader.
public typealias Term = UInt64

/// A position in the Raft log, counted from 1; 0 is "before the first entry".
public typealias LogIndex = UInt64

// snippet: raft-entry
/// One entry of the replicated log.
///
/// A `command` entry carries a client's request (a serialized `WriteBatch`
/// with the client's id and sequence number, see `ClientCommand`); a `noop`
/// is what a new leader appends at the start of its term, so that it has an
/// entry of its own term to commit (§5.4.2 and §8 of the paper).
public struct Entry: Equatable, Sendable {
  public enum Kind: UInt8, Sendable {
    case noop = 0
    case command = 1
  }

  public var term: Term
  public var index: LogIndex
  public var kind: Kind
  public var data: Bytes

  public init(term: Term, index: LogIndex, kind: Kind = .command, data: Bytes = []) {
    self.term = term
    self.index = index
    self.kind = kind
    self.data = data
  }
}
// end snippet

extension Entry: CustomStringConvertible {
  public var description: String { "\(index)@\(term)" + (kind == .noop ? " no-op" : "") }
}

// snippet: raft-hard-state
/// What a node must have on disk before it says anything that depends on it:
/// the term it has seen, whom it voted for in that term, and how far it knows
/// the log to be committed.
///
/// Term and vote are the two promises of an election; losing either in a
/// crash lets a node vote twice in one term. `commit` may be lost (it is
/// learned again from the leader) but is kept so that a restart can apply
/// what it already knew to be committed.
public struct HardState: Equatable, Sendable {
  public var term: Term
  public var vote: NodeID
  public var commit: LogIndex

  public init(term: Term = 0, vote: NodeID = 0, commit: LogIndex = 0) {
    self.term = term
    self.vote = vote
    self.commit = commit
  }
}
// end snippet

/// Where a snapshot ends and who was in the cluster then.
public struct SnapshotMetadata: Equatable, Sendable {
  /// The last log index the snapshot covers.
  public var index: LogIndex
  /// The term of the entry at `index`.
  public var term: Term
  /// The cluster's members.
  public var voters: [NodeID]

  public init(index: LogIndex = 0, term: Term = 0, voters: [NodeID] = []) {
    self.index = index
    self.term = term
    self.voters = voters
  }
}

/// A state machine's contents as of `metadata.index`, in the state
/// machine's own encoding (for this chapter's key-value store, see
/// `KVStateMachine.snapshot`).
public struct Snapshot: Equatable, Sendable {
  public var metadata: SnapshotMetadata
  public var data: Bytes

  public init(metadata: SnapshotMetadata = .init(), data: Bytes = []) {
    self.metadata = metadata
    self.data = data
  }

  public var isEmpty: Bool { metadata.index == 0 }
}

// MARK: Encodings

extension Entry {
  /// `varint term, varint index, kind byte, length-prefixed data`.
  public func encode(into out: inout Bytes) {
    out.appendVarint(term)
    out.appendVarint(index)
    out.append(kind.rawValue)
    out.appendLengthPrefixed(data)
  }

  public static func decode(from reader: inout ByteReader) throws(DecodingError) -> Entry {
    let term = try reader.readVarint()
    let index = try reader.readVarint()
    let offset = reader.offset
    guard let kind = Kind(rawValue: try reader.readByte()) else {
      throw DecodingError(offset: offset, "unknown entry kind")
    }
    return Entry(term: term, index: index, kind: kind, data: try reader.readLengthPrefixed())
  }
}

extension HardState {
  /// `varint term, varint vote, varint commit`.
  public func encode(into out: inout Bytes) {
    out.appendVarint(term)
    out.appendVarint(vote)
    out.appendVarint(commit)
  }

  public static func decode(from reader: inout ByteReader) throws(DecodingError) -> HardState {
    HardState(term: try reader.readVarint(), vote: try reader.readVarint(), commit: try reader.readVarint())
  }
}

extension SnapshotMetadata {
  /// `varint index, varint term, varint count, count × varint voter`.
  public func encode(into out: inout Bytes) {
    out.appendVarint(index)
    out.appendVarint(term)
    out.appendVarint(UInt64(voters.count))
    for voter in voters { out.appendVarint(voter) }
  }

  public static func decode(from reader: inout ByteReader) throws(DecodingError) -> SnapshotMetadata {
    let index = try reader.readVarint()
    let term = try reader.readVarint()
    let count = try reader.readVarint()
    // Each voter takes at least a byte: a count beyond the bytes left is a lie.
    guard count <= UInt64(reader.remaining) else {
      throw DecodingError(offset: reader.offset, "voter count \(count) exceeds the bytes left")
    }
    var voters: [NodeID] = []
    for _ in 0..<count { voters.append(try reader.readVarint()) }
    return SnapshotMetadata(index: index, term: term, voters: voters)
  }
}

extension Snapshot {
  /// The metadata, then the data length-prefixed.
  public func encode(into out: inout Bytes) {
    metadata.encode(into: &out)
    out.appendLengthPrefixed(data)
  }

  public static func decode(from reader: inout ByteReader) throws(DecodingError) -> Snapshot {
    Snapshot(metadata: try SnapshotMetadata.decode(from: &reader), data: try reader.readLengthPrefixed())
  }
}
