import Chapter1WAL
import Chapter7Server
import NIOCore
import NIOPosix

/// A client of a whole cluster: it knows every node's address, finds the
/// leader, follows redirects, and retries through failovers without
/// applying a write twice.
///
/// Each write carries the client's id and a sequence number (a
/// `ClientCommand`). A write is retried, to whichever node now seems to
/// lead, with the **same** number until some node says it is applied:
/// after a timeout or a lost connection the client cannot know whether the
/// first attempt committed, and the state machine's client table makes the
/// retry harmless if it did (dissertation §6.3). Because that table keeps
/// only each client's highest number, a client has one write outstanding
/// at a time: `write` waits for the one before it. (Run several clients,
/// each with its own id, for concurrent writes.)
///
/// Reads go to the leader, which answers them by ReadIndex, so a read sees
/// every write acknowledged before it began.
public actor ClusterClient {
  /// How patient the client is.
  public struct Options: Sendable {
    /// One attempt's wait for its reply, on the wire and on the server
    /// (sent as the request's budget).
    public var attemptTimeout: Duration = .seconds(1)
    /// How long one operation keeps trying before it gives up.
    public var giveUpAfter: Duration = .seconds(15)
    /// The pause before asking again when no leader is known.
    public var retryDelay: Duration = .milliseconds(20)

    public init() {}
  }

  /// What the client has been through, for a report.
  public struct Stats: Sendable, Equatable {
    /// Requests sent, first attempts and retries together.
    public var attempts = 0
    /// Redirects followed.
    public var redirects = 0
    /// Attempts that timed out or lost their connection.
    public var failures = 0
  }

  /// The nodes it knows: those it was given, and any a redirect named.
  public private(set) var members: ClusterMembers
  /// This client's id in the state machine's client table.
  public let id: UInt64
  public let options: Options
  public private(set) var stats = Stats()
  /// The node the client believes leads.
  public private(set) var leader: NodeID
  private var sequence: UInt64 = 0
  private var connections: [NodeID: Client] = [:]
  private var writing = false
  private var waitingWriters: [CheckedContinuation<Void, Never>] = []

  /// - Parameters:
  ///   - id: the client's id; a random one by default. Two clients must
  ///     never share one.
  ///   - startingAt: the node to ask first (the first member by default).
  public init(
    members: ClusterMembers, id: UInt64 = .random(in: 1...UInt64.max), options: Options = .init(),
    startingAt first: NodeID? = nil
  ) {
    self.members = members
    self.id = id
    self.options = options
    self.leader = first.flatMap { members.addresses[$0] == nil ? nil : $0 } ?? members.ids[0]
  }

  // MARK: Operations

  /// Writes `batch` through the leader, once.
  ///
  /// - Returns: the log index it was applied at.
  /// - Throws: `ClusterClientError.gaveUp` when no node acknowledged it
  ///   within `giveUpAfter` (it may still be applied), `.refused` when a
  ///   node refused it as malformed.
  @discardableResult
  public func write(_ batch: WriteBatch) async throws(ClusterClientError) -> LogIndex {
    await beginWrite()
    defer { endWrite() }
    sequence += 1
    let command = ClientCommand(client: id, sequence: sequence, batch: batch)
    let reply = try await perform(.write, command.encoded)
    guard case .written(let index) = reply else { throw .protocolError("a write was answered \(reply)") }
    return index
  }

  @discardableResult
  public func put(_ key: Bytes, _ value: Bytes) async throws(ClusterClientError) -> LogIndex {
    var batch = WriteBatch()
    batch.put(key, value)
    return try await write(batch)
  }

  @discardableResult
  public func delete(_ key: Bytes) async throws(ClusterClientError) -> LogIndex {
    var batch = WriteBatch()
    batch.delete(key)
    return try await write(batch)
  }

  /// A linearizable read of `key`.
  public func get(_ key: Bytes) async throws(ClusterClientError) -> Bytes? {
    let reply = try await perform(.read, key)
    guard case .value(let value) = reply else { throw .protocolError("a read was answered \(reply)") }
    return value
  }

  /// A linearizable page of keys from `start` up to `end`.
  public func scan(from start: Bytes = [], to end: Bytes? = nil, limit: Int = 100) async throws(ClusterClientError)
    -> ScanPage
  {
    let reply = try await perform(.scan, ClusterScan(start: start, end: end, limit: limit).encoded)
    guard case .page(let page) = reply else { throw .protocolError("a scan was answered \(reply)") }
    return page
  }

  /// What node `node` says of itself (no redirect: that node's own view).
  public func status(of node: NodeID) async throws(ClusterClientError) -> NodeStatus {
    let reply = try await attempt(.status, [], at: node)
    guard case .status(let status) = reply else { throw .protocolError("a status was answered \(reply)") }
    return status
  }

  /// Closes every connection.
  public func close() async {
    let open = connections.values
    connections = [:]
    for client in open { await client.close() }
  }

  // MARK: Finding the leader

  // snippet: cluster-client-perform
  /// Sends one request until a node answers it: to the node believed to
  /// lead, then wherever a redirect points, then round the others.
  private func perform(_ code: ClusterRequestCode, _ body: Bytes) async throws(ClusterClientError) -> ClusterReply {
    let clock = ContinuousClock()
    let giveUp = clock.now + options.giveUpAfter
    var target = leader
    var lastProblem = "no attempt was made"
    while clock.now < giveUp {
      do throws(ClusterClientError) {
        let reply = try await attempt(code, body, at: target)
        switch reply {
        case .redirect(let named, let address) where named != 0 && named != target && learn(named, at: address):
          stats.redirects += 1
          target = named
          continue
        case .redirect:
          lastProblem = "node \(target) knows no leader"
          target = next(after: target)
        case .retry(let reason):
          lastProblem = "node \(target): \(reason)"
        default:
          leader = target
          return reply
        }
      } catch .refused(let message) {
        throw .refused(message)
      } catch {
        // A timeout, a lost connection, a node that is down: the same
        // request, same sequence number, to the next node.
        stats.failures += 1
        lastProblem = "node \(target): \(error)"
        drop(target)
        target = next(after: target)
      }
      try? await Task.sleep(for: options.retryDelay)
    }
    throw .gaveUp(lastProblem)
  }
  // end snippet

  /// One request to one node, with a deadline.
  private func attempt(_ code: ClusterRequestCode, _ body: Bytes, at node: NodeID) async throws(ClusterClientError)
    -> ClusterReply
  {
    stats.attempts += 1
    let client = try await connection(to: node)
    let reply: Client.Reply
    do {
      reply = try await Self.withTimeout(
        options.attemptTimeout, client.send(.extension(code: code.rawValue, body: body)))
    } catch let error as ClusterClientError {
      throw error
    } catch {
      throw .unreachable("\(error)")
    }
    switch reply.status {
    case .ok:
      do {
        return try ClusterReply.decode(reply.payload)
      } catch {
        throw .protocolError("node \(node) sent a reply that does not decode: \(error)")
      }
    case .badRequest, .tooLarge:
      throw .refused(String(decoding: reply.payload, as: UTF8.self))
    default:
      throw .unreachable("\(reply.status): " + String(decoding: reply.payload, as: UTF8.self))
    }
  }

  private func connection(to node: NodeID) async throws(ClusterClientError) -> Client {
    if let client = connections[node], client.isOpen { return client }
    guard let address = members.addresses[node] else { throw .unreachable("node \(node) is not a member") }
    do {
      let client = try await Client.connect(host: address.host, port: address.port, budget: options.attemptTimeout)
      if let other = connections[node], other.isOpen {
        // Another operation connected meanwhile: keep one.
        await client.close()
        return other
      }
      connections[node] = client
      return client
    } catch {
      throw .unreachable("\(error)")
    }
  }

  /// Whether `node` is known, after learning its address from a redirect
  /// if it was not (a client given one node finds the others this way).
  private func learn(_ node: NodeID, at address: String) -> Bool {
    if members.addresses[node] != nil { return true }
    guard let parsed = ClusterMembers.Address(parsing: address) else { return false }
    members.addresses[node] = parsed
    return true
  }

  private func drop(_ node: NodeID) {
    guard let client = connections.removeValue(forKey: node) else { return }
    Task { await client.close() }
  }

  private func next(after node: NodeID) -> NodeID {
    let ids = members.ids
    return ids[((ids.firstIndex(of: node) ?? -1) + 1) % ids.count]
  }

  private func beginWrite() async {
    if writing {
      await withCheckedContinuation { waitingWriters.append($0) }
    }
    writing = true
  }

  private func endWrite() {
    if waitingWriters.isEmpty {
      writing = false
    } else {
      waitingWriters.removeFirst().resume()  // `writing` passes to it
    }
  }

  /// The future's value, or `.timeout` after `timeout`.
  static func withTimeout<Value: Sendable>(_ timeout: Duration, _ future: EventLoopFuture<Value>) async throws
    -> Value
  {
    let loop = future.eventLoop
    let promise = loop.makePromise(of: Value.self)
    let done = Locked(false)
    let finish: @Sendable (Result<Value, any Error>) -> Void = { result in
      guard
        done.withLock({ done in
          defer { done = true }
          return !done
        })
      else { return }
      promise.completeWith(result)
    }
    let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
    let timer = loop.scheduleTask(in: .nanoseconds(nanoseconds)) {
      finish(.failure(ClusterClientError.timeout("no reply within \(timeout)")))
    }
    future.whenComplete { result in
      timer.cancel()
      finish(result)
    }
    return try await promise.futureResult.get()
  }
}

/// Why a cluster operation did not succeed.
public enum ClusterClientError: Error, Equatable, CustomStringConvertible {
  /// No node acknowledged it in time. A write may still be applied.
  case gaveUp(String)
  /// A node refused it as malformed; retrying will not help.
  case refused(String)
  /// One attempt had no reply in time.
  case timeout(String)
  /// A node could not be reached, or dropped the connection.
  case unreachable(String)
  /// A node's reply did not make sense.
  case protocolError(String)

  public var description: String {
    switch self {
    case .gaveUp(let last): "no node acknowledged the request in time (last: \(last))"
    case .refused(let message): "refused: \(message)"
    case .timeout(let message): "timeout: \(message)"
    case .unreachable(let message): "unreachable: \(message)"
    case .protocolError(let message): "protocol error: \(message)"
    }
  }
}
