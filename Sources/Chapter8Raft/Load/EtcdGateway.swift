import Chapter1WAL

/// etcd v3's JSON gateway: its gRPC key-value API, as JSON over HTTP/1.1.
///
/// etcd 3.4 answers on its client port both in gRPC and, through a
/// grpc-gateway in the same process, in JSON. Two calls are all a load
/// needs:
///
///     POST /v3/kv/put    {"key":"a2V5","value":"dmFsdWU="}
///       200 {"header":{"cluster_id":"…","member_id":"…","revision":"2","raft_term":"2"}}
///     POST /v3/kv/range  {"key":"a2V5"}
///       200 {"header":{…},"kvs":[{"key":"a2V5","create_revision":"2",
///            "mod_revision":"2","version":"1","value":"dmFsdWU="}],"count":"1"}
///       200 {"header":{…}}                        (no such key)
///
/// Keys and values are bytes, so they travel in base64 (`Base64`); an empty
/// value is left out of a reply altogether. A range is linearizable unless
/// it says `"serializable":true`: a linearizable read goes through Raft's
/// read index (the leader confirms it still leads, with a heartbeat round,
/// and the member waits until it has applied that far), a serializable one
/// reads whatever the member it reaches has applied.
///
/// An error is a non-200 status with a body naming the gRPC status:
///
///     503 {"error":"etcdserver: request timed out","message":"…","code":14}
///
/// and a path the gateway does not know is a plain-text 404.
public enum EtcdGateway {
  /// One call.
  public enum Request: Sendable, Equatable {
    case put(key: Bytes, value: Bytes)
    /// A range of one key; `serializable` reads without going through Raft.
    case range(key: Bytes, serializable: Bool)

    /// Where it goes: `/v3/kv/put`, `/v3/kv/range`.
    public var path: String {
      switch self {
      case .put: "/v3/kv/put"
      case .range: "/v3/kv/range"
      }
    }

    /// Its JSON body: `{"key":"…","value":"…"}`, `{"key":"…"}` or
    /// `{"key":"…","serializable":true}`.
    public var body: Bytes {
      var body = Bytes(utf8: "{\"key\":\"")
      switch self {
      case .put(let key, let value):
        Base64.encode(key, into: &body)
        body += Bytes(utf8: "\",\"value\":\"")
        Base64.encode(value, into: &body)
        body += Bytes(utf8: "\"}")
      case .range(let key, let serializable):
        Base64.encode(key, into: &body)
        body += Bytes(utf8: serializable ? "\",\"serializable\":true}" : "\"}")
      }
      return body
    }
  }

  /// What a call came back with.
  public enum Reply: Sendable, Equatable {
    /// A put was committed.
    case stored
    /// A range's value; `nil` when there is no such key.
    case value(Bytes?)
    case failed(Failure)
  }

  /// An answer other than success.
  public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status (200 for a success whose body made no sense).
    public var status: Int
    /// The gRPC status code the gateway reported (`nil` when the body had
    /// none, as a plain-text 404 has none).
    public var code: Int?
    public var message: String

    public init(status: Int, code: Int?, message: String) {
      self.status = status
      self.code = code
      self.message = message
    }

    /// gRPC's `DEADLINE_EXCEEDED`.
    public static let deadlineExceeded = 4
    /// gRPC's `RESOURCE_EXHAUSTED`: etcd's "too many requests", when the
    /// applied index trails the committed one by too much.
    public static let resourceExhausted = 8
    /// gRPC's `UNAVAILABLE`: no leader, a leader change, a timeout inside
    /// etcd ("etcdserver: request timed out").
    public static let unavailable = 14

    /// etcd gave up waiting (for a commit, a leader, a read index).
    public var isTimeout: Bool { code == Failure.deadlineExceeded || message.contains("timed out") }
    /// etcd refused the request to protect itself.
    public var isBusy: Bool { code == Failure.resourceExhausted }

    public var description: String { "HTTP \(status)" + (code.map { " (code \($0))" } ?? "") + ": \(message)" }
  }

  /// Reads the reply to `request` from its HTTP status and body.
  public static func reply(to request: Request, status: Int, body: Bytes) -> Reply {
    guard status == 200 else { return .failed(failure(status: status, body: body)) }
    let json: JSONValue
    do {
      json = try JSONValue.parse(body)
    } catch {
      return .failed(Failure(status: status, code: nil, message: "\(error)"))
    }
    guard json["header"] != nil else {
      return .failed(Failure(status: status, code: nil, message: "a reply with no header: \(excerpt(body))"))
    }
    switch request {
    case .put: return .stored
    case .range:
      guard let kvs = json["kvs"] else { return .value(nil) }
      guard case .array(let pairs) = kvs, let pair = pairs.first, case .object = pair else {
        return .failed(Failure(status: status, code: nil, message: "kvs is not a list of pairs: \(excerpt(body))"))
      }
      guard let text = pair["value"]?.string ?? (pair["value"] == nil ? "" : nil),
        let value = Base64.decode(text.utf8)
      else {
        return .failed(Failure(status: status, code: nil, message: "a value not in base64: \(excerpt(body))"))
      }
      return .value(value)
    }
  }

  /// The failure a non-200 reply describes: its `message` (or `error`) and
  /// `code` when the body is the gateway's JSON, else the body's first
  /// line.
  static func failure(status: Int, body: Bytes) -> Failure {
    if let json = try? JSONValue.parse(body),
      let message = json["message"]?.string ?? json["error"]?.string
    {
      return Failure(status: status, code: json["code"]?.integer, message: message)
    }
    return Failure(status: status, code: nil, message: excerpt(body))
  }

  /// A body's first line, at most 200 bytes of it, for a message.
  static func excerpt(_ body: Bytes) -> String {
    let line = body.prefix { $0 != 0x0A && $0 != 0x0D }.prefix(200)
    return String(decoding: line, as: UTF8.self)
  }
}
