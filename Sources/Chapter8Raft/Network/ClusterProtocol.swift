import Chapter1WAL
import Chapter7Server

// MARK: - The cluster's requests, inside chapter 7's frames
//
// A node listens on one port for everything: its peers' Raft messages and
// its clients' requests. Both travel as chapter 7's EXTENSION frames (kind
// 0x40), whose payload is a code byte and then the code's own bytes:
//
//     code  name     body                              reply payload (status ok)
//     1     MESSAGE  a Raft `Message` (`Message.encoded`)   empty
//     2     WRITE    a `ClientCommand` (client id, sequence  a `ClusterReply`
//                    number, write batch: its `encoded`)
//     3     READ     the key                            a `ClusterReply`
//     4     SCAN     varint limit, length-prefixed      a `ClusterReply`
//                    start, then u8 1 and a length-
//                    prefixed end, or u8 0 (no end)
//     5     STATUS   empty                              a `ClusterReply`
//
// A peer's MESSAGE is answered at once (`ok`, or `bad request` for bytes
// that are not a message for this node): Raft itself retries, so a message
// needs no acknowledgement of its own. A client's request is answered when
// it is done, or with a redirect to the leader. Chapter 7's own GET, PUT,
// DELETE, BATCH and SCAN still work against a node (so `beach connect
// HOST:PORT` does): the node runs them through Raft as well, under a
// client id of its own, and a follower refuses them with a message naming
// the leader.

/// The EXTENSION codes of a Raft node.
public enum ClusterRequestCode: UInt8, Sendable, CaseIterable {
  case message = 1
  case write = 2
  case read = 3
  case scan = 4
  case status = 5
}

/// A node's answer to a client's WRITE, READ, SCAN or STATUS.
public enum ClusterReply: Equatable, Sendable {
  /// The write is applied at `index` (now, or earlier: a retry).
  case written(index: LogIndex)
  /// A linearizable read's answer (`nil`: no such key).
  case value(Bytes?)
  /// A linearizable scan's page.
  case page(ScanPage)
  /// This node is not the leader: ask `leader` at `address` (0 and "" when
  /// no leader is known, as during an election). Nothing was done.
  case redirect(leader: NodeID, address: String)
  /// The leader cannot take it just now (it has not committed an entry of
  /// its term yet): retry shortly. Nothing was done.
  case retry(String)
  /// A node's view of the cluster.
  case status(NodeStatus)

  /// `u8 tag, then: varint index | u8 found + length-prefixed value |
  /// a SCAN page (chapter 7's encoding), length-prefixed | varint leader +
  /// length-prefixed address | length-prefixed message | a status`.
  public var encoded: Bytes {
    var out = Bytes()
    switch self {
    case .written(let index):
      out.append(1)
      out.appendVarint(index)
    case .value(let value):
      out.append(2)
      if let value {
        out.append(1)
        out.appendLengthPrefixed(value)
      } else {
        out.append(0)
      }
    case .page(let page):
      out.append(3)
      out.appendLengthPrefixed(page.encoded)
    case .redirect(let leader, let address):
      out.append(4)
      out.appendVarint(leader)
      out.appendLengthPrefixed(Bytes(address.utf8))
    case .retry(let reason):
      out.append(5)
      out.appendLengthPrefixed(Bytes(reason.utf8))
    case .status(let status):
      out.append(6)
      status.encode(into: &out)
    }
    return out
  }

  public static func decode(_ bytes: Bytes) throws(DecodingError) -> ClusterReply {
    var reader = ByteReader(bytes)
    let reply: ClusterReply
    switch try reader.readByte() {
    case 1: reply = .written(index: try reader.readVarint())
    case 2:
      switch try reader.readByte() {
      case 0: reply = .value(nil)
      case 1: reply = .value(try reader.readLengthPrefixed())
      default: throw DecodingError(offset: 1, "bad found flag")
      }
    case 3:
      guard let page = ScanPage(decoding: try reader.readLengthPrefixed()) else {
        throw DecodingError(offset: 1, "not a scan page")
      }
      reply = .page(page)
    case 4:
      reply = .redirect(
        leader: try reader.readVarint(), address: String(decoding: try reader.readLengthPrefixed(), as: UTF8.self))
    case 5: reply = .retry(String(decoding: try reader.readLengthPrefixed(), as: UTF8.self))
    case 6: reply = .status(try NodeStatus.decode(from: &reader))
    default: throw DecodingError(offset: 0, "unknown cluster reply")
    }
    guard reader.isAtEnd else { throw DecodingError(offset: reader.offset, "bytes after the reply") }
    return reply
  }
}

/// What a node says of itself: who it is, what it does, whom it follows,
/// how far its log and state machine have got.
public struct NodeStatus: Equatable, Sendable, CustomStringConvertible {
  public var id: NodeID
  public var role: Role
  public var term: Term
  public var leader: NodeID
  public var commit: LogIndex
  public var applied: LogIndex
  /// The first index still in the log (entries before it are in the snapshot).
  public var firstIndex: LogIndex
  public var lastIndex: LogIndex

  public init(
    id: NodeID, role: Role, term: Term, leader: NodeID, commit: LogIndex, applied: LogIndex, firstIndex: LogIndex,
    lastIndex: LogIndex
  ) {
    self.id = id
    self.role = role
    self.term = term
    self.leader = leader
    self.commit = commit
    self.applied = applied
    self.firstIndex = firstIndex
    self.lastIndex = lastIndex
  }

  public var description: String {
    "node \(id): \(role), term \(term), leader \(leader == 0 ? "unknown" : "\(leader)"), "
      + "commit \(commit), applied \(applied), log \(firstIndex)...\(lastIndex)"
  }

  func encode(into out: inout Bytes) {
    out.appendVarint(id)
    out.appendLengthPrefixed(Bytes(role.rawValue.utf8))
    for field in [term, leader, commit, applied, firstIndex, lastIndex] { out.appendVarint(field) }
  }

  static func decode(from reader: inout ByteReader) throws(DecodingError) -> NodeStatus {
    let id = try reader.readVarint()
    let offset = reader.offset
    guard let role = Role(rawValue: String(decoding: try reader.readLengthPrefixed(), as: UTF8.self)) else {
      throw DecodingError(offset: offset, "unknown role")
    }
    return NodeStatus(
      id: id, role: role, term: try reader.readVarint(), leader: try reader.readVarint(),
      commit: try reader.readVarint(), applied: try reader.readVarint(), firstIndex: try reader.readVarint(),
      lastIndex: try reader.readVarint())
  }
}

/// A SCAN through the cluster: where it starts and stops, and how many
/// entries a page may hold.
public struct ClusterScan: Equatable, Sendable {
  public var start: Bytes
  public var end: Bytes?
  public var limit: Int

  public init(start: Bytes, end: Bytes?, limit: Int) {
    self.start = start
    self.end = end
    self.limit = limit
  }

  public var encoded: Bytes {
    var out = Bytes()
    out.appendVarint(UInt64(limit))
    out.appendLengthPrefixed(start)
    if let end {
      out.append(1)
      out.appendLengthPrefixed(end)
    } else {
      out.append(0)
    }
    return out
  }

  public static func decode(_ bytes: Bytes) throws(DecodingError) -> ClusterScan {
    var reader = ByteReader(bytes)
    let limit = try reader.readVarint()
    guard (1...UInt64(Request.maximumScanLimit)).contains(limit) else {
      throw DecodingError(offset: 0, "a scan's limit is 1 to \(Request.maximumScanLimit), not \(limit)")
    }
    let start = try reader.readLengthPrefixed()
    var end: Bytes?
    switch try reader.readByte() {
    case 0: break
    case 1: end = try reader.readLengthPrefixed()
    default: throw DecodingError(offset: reader.offset - 1, "bad end flag")
    }
    guard reader.isAtEnd else { throw DecodingError(offset: reader.offset, "bytes after the scan") }
    return ClusterScan(start: start, end: end, limit: Int(limit))
  }
}

/// Where each node of a cluster listens, by id: `1=127.0.0.1:7001,2=…`.
public struct ClusterMembers: Equatable, Sendable, CustomStringConvertible {
  /// One node's address.
  public struct Address: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
      self.host = host
      self.port = port
    }

    /// `HOST:PORT`, or `nil`.
    public init?(parsing text: some StringProtocol) {
      guard let colon = text.lastIndex(of: ":"), colon > text.startIndex,
        let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
      else { return nil }
      self.init(host: String(text[..<colon]), port: port)
    }

    public var description: String { "\(host):\(port)" }
  }

  public var addresses: [NodeID: Address]

  public init(_ addresses: [NodeID: Address]) { self.addresses = addresses }

  /// Parses `ID=HOST:PORT` pairs separated by commas.
  ///
  /// - Throws: a message naming the part that is wrong.
  public init(parsing text: String) throws(ClusterConfigurationError) {
    var addresses: [NodeID: Address] = [:]
    for part in text.split(separator: ",") {
      let pieces = part.split(separator: "=", maxSplits: 1)
      guard pieces.count == 2, let id = NodeID(pieces[0]), id > 0, let address = Address(parsing: pieces[1]) else {
        throw ClusterConfigurationError("'\(part)' is not ID=HOST:PORT with an ID from 1 and a port 1 to 65535")
      }
      guard addresses[id] == nil else { throw ClusterConfigurationError("node \(id) is named twice") }
      addresses[id] = address
    }
    guard !addresses.isEmpty else { throw ClusterConfigurationError("no node given") }
    self.addresses = addresses
  }

  /// The voters, in order.
  public var ids: [NodeID] { addresses.keys.sorted() }

  public var description: String { ids.map { "\($0)=\(addresses[$0]!)" }.joined(separator: ",") }
}

/// A cluster's description is wrong: the message says where.
public struct ClusterConfigurationError: Error, Equatable, CustomStringConvertible {
  public var description: String
  public init(_ description: String) { self.description = description }
}
