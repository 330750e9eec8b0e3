import Chapter1WAL

// snippet: raft-message
/// A message between two nodes of one cluster.
///
/// One struct for every kind, as etcd's raft has it: the fields a kind does
/// not use stay zero. Names follow the paper where it has them:
///
/// | kind | carries |
/// |---|---|
/// | `preVote`, `vote` | `index`/`logTerm`: the candidate's last entry |
/// | `preVoteResponse`, `voteResponse` | `reject` |
/// | `append` | `index`/`logTerm`: the entry before `entries`; `commit` |
/// | `appendResponse` | `index`: the follower's last matching index, or on `reject` the index it refused, with `hintIndex`/`hintTerm` for fast backtracking |
/// | `heartbeat` | `commit` (no further than the follower is known to match); `context`: a ReadIndex round |
/// | `heartbeatResponse` | `context` echoed |
/// | `snapshot` | `snapshot`: InstallSnapshot, whole |
///
/// A pre-vote carries the term the candidate *would* have (`term + 1`)
/// without anyone changing theirs (dissertation §9.6).
public struct Message: Equatable, Sendable {
  public enum Kind: UInt8, Sendable, CaseIterable {
    case preVote = 1
    case preVoteResponse = 2
    case vote = 3
    case voteResponse = 4
    case append = 5
    case appendResponse = 6
    case heartbeat = 7
    case heartbeatResponse = 8
    case snapshot = 9
  }

  public var kind: Kind
  public var from: NodeID
  public var to: NodeID
  public var term: Term
  public var logTerm: Term = 0
  public var index: LogIndex = 0
  public var entries: [Entry] = []
  public var commit: LogIndex = 0
  public var reject = false
  public var hintIndex: LogIndex = 0
  public var hintTerm: Term = 0
  public var context: UInt64 = 0
  public var snapshot: Snapshot? = nil

  public init(kind: Kind, from: NodeID, to: NodeID, term: Term) {
    self.kind = kind
    self.from = from
    self.to = to
    self.term = term
  }
}
// end snippet

extension Message.Kind: CustomStringConvertible {
  public var description: String {
    switch self {
    case .preVote: "pre-vote"
    case .preVoteResponse: "pre-vote reply"
    case .vote: "vote request"
    case .voteResponse: "vote reply"
    case .append: "append"
    case .appendResponse: "append reply"
    case .heartbeat: "heartbeat"
    case .heartbeatResponse: "heartbeat reply"
    case .snapshot: "snapshot"
    }
  }

  /// Whether this kind answers a request (a response's term never starts
  /// an election on its own).
  public var isResponse: Bool {
    switch self {
    case .preVoteResponse, .voteResponse, .appendResponse, .heartbeatResponse: true
    default: false
    }
  }
}

extension Message: CustomStringConvertible {
  /// One line for traces and the simulator's log: `2→1 append t3 i4@3 +2 c4`.
  public var description: String {
    var text = "\(from)→\(to) \(kind) t\(term)"
    switch kind {
    case .preVote, .vote: text += " last \(index)@\(logTerm)"
    case .preVoteResponse, .voteResponse: text += reject ? " rejected" : " granted"
    case .append:
      text += " after \(index)@\(logTerm)"
      if !entries.isEmpty { text += " +\(entries.count)" }
      text += " commit \(commit)"
    case .appendResponse: text += reject ? " rejected \(index) hint \(hintIndex)@\(hintTerm)" : " match \(index)"
    case .heartbeat: text += " commit \(commit)" + (context == 0 ? "" : " read \(context)")
    case .heartbeatResponse: text += context == 0 ? "" : " read \(context)"
    case .snapshot: text += " up to \(snapshot?.metadata.index ?? 0)@\(snapshot?.metadata.term ?? 0)"
    }
    return text
  }
}

// MARK: Encoding

extension Message {
  /// The largest number of entries one decoded message may claim.
  public static let maxEntries = 1 << 16

  /// `kind byte, varints from, to, term, logTerm, index, commit, reject
  /// byte, varints hintIndex, hintTerm, context, varint entry count,
  /// entries, snapshot flag byte, snapshot`.
  public func encode(into out: inout Bytes) {
    out.append(kind.rawValue)
    for field in [from, to, term, logTerm, index, commit] { out.appendVarint(field) }
    out.append(reject ? 1 : 0)
    for field in [hintIndex, hintTerm, context] { out.appendVarint(field) }
    out.appendVarint(UInt64(entries.count))
    for entry in entries { entry.encode(into: &out) }
    if let snapshot {
      out.append(1)
      snapshot.encode(into: &out)
    } else {
      out.append(0)
    }
  }

  public var encoded: Bytes {
    var out = Bytes()
    encode(into: &out)
    return out
  }

  public static func decode(_ bytes: Bytes) throws(DecodingError) -> Message {
    var reader = ByteReader(bytes)
    guard let kind = Kind(rawValue: try reader.readByte()) else {
      throw DecodingError(offset: 0, "unknown message kind")
    }
    var message = Message(kind: kind, from: try reader.readVarint(), to: try reader.readVarint(), term: 0)
    message.term = try reader.readVarint()
    message.logTerm = try reader.readVarint()
    message.index = try reader.readVarint()
    message.commit = try reader.readVarint()
    message.reject = try reader.readByte() != 0
    message.hintIndex = try reader.readVarint()
    message.hintTerm = try reader.readVarint()
    message.context = try reader.readVarint()
    let count = try reader.readVarint()
    // An entry takes at least four bytes: a count beyond that is a lie.
    guard count <= UInt64(maxEntries), count <= UInt64(reader.remaining / 4) else {
      throw DecodingError(offset: reader.offset, "entry count \(count) is more than the message can hold")
    }
    for _ in 0..<count { message.entries.append(try Entry.decode(from: &reader)) }
    switch try reader.readByte() {
    case 0: break
    case 1: message.snapshot = try Snapshot.decode(from: &reader)
    default: throw DecodingError(offset: reader.offset - 1, "bad snapshot flag")
    }
    guard reader.isAtEnd else {
      throw DecodingError(offset: reader.offset, "\(reader.remaining) bytes after the message")
    }
    return message
  }
}
