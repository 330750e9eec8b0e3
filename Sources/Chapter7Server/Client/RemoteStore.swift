import Chapter1WAL
import Dispatch
import NIOCore

/// A `Client` as chapter 1's `KeyValueStore`: the shell's data commands
/// (`put`, `get`, `delete`, `scan`, `batch`) run against a server through
/// it exactly as they run against a database in this process.
///
/// Its calls block the calling thread until the reply comes, so it is for
/// threads that may block: the shell's, a test's. It mirrors a tracer: when
/// `tracer`'s level changes, the next request first sends a TRACE, and the
/// server's events for each request are emitted into `tracer` before the
/// call returns, so they print under the command that caused them.
public final class RemoteStore: KeyValueStore {
  public let client: Client
  private let tracer: Tracer?
  private let sentLevel = Locked<Tracer.Level>(.off)
  private let onClose: @Sendable () -> Void

  /// The largest page a `scan` asks for at a time.
  public static let scanPage = 100

  public init(client: Client, tracer: Tracer? = nil, onClose: @escaping @Sendable () -> Void = {}) {
    self.client = client
    self.tracer = tracer
    self.onClose = onClose
  }

  /// Sends `request` and waits for its reply, first telling the server the
  /// tracer's level if it changed.
  public func call(_ request: Request, flags: UInt8 = 0, allowNotFound: Bool = false) throws(ClientError)
    -> Client.Reply
  {
    if let tracer {
      let level = tracer.level
      if sentLevel.withLock({ $0 }) != level {
        try wait(client.send(.trace(level))).check()
        sentLevel.withLock { $0 = level }
      }
    }
    let reply = try wait(client.send(request, flags: flags))
    if let tracer { for event in reply.events { tracer.emit(event) } }
    try reply.check(allowNotFound: allowNotFound)
    return reply
  }

  private func wait(_ future: EventLoopFuture<Client.Reply>) throws(ClientError) -> Client.Reply {
    do {
      return try future.wait()
    } catch let error as ClientError {
      throw error
    } catch {
      throw .connectionClosed
    }
  }

  public func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    // One operation travels as PUT or DELETE, so the server's trace names it.
    let request: Request
    switch batch.operations.first {
    case .put(let key, let value) where batch.count == 1: request = .put(key: key, value: value)
    case .delete(let key) where batch.count == 1: request = .delete(key: key)
    default: request = .batch(batch)
    }
    // `sync off` travels as the no-sync flag (a server started with sync
    // off never syncs).
    guard let sequence = try call(request, flags: options.sync ? 0 : Frame.noSync).payload.sequence else {
      throw ClientError.protocolError("a write's reply carries no sequence number")
    }
    return sequence
  }

  public func get(_ key: Bytes) throws -> Bytes? {
    let reply = try call(.get(key: key), allowNotFound: true)
    return reply.status == .notFound ? nil : reply.payload
  }

  /// The whole range, a page at a time: each SCAN reply is at most
  /// `scanPage` entries, and the next request starts at its resume key.
  public func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] {
    var entries: [KeyValuePair] = []
    var start = from ?? []
    while true {
      let page = try Client.page(try call(.scan(start: start, end: to, limit: Self.scanPage)))
      entries += page.entries
      guard let resume = page.resumeKey else { return entries }
      start = resume
    }
  }

  public func close() throws {
    _ = try? client.send(.ping([])).wait()  // lets replies in flight arrive first
    let client = self.client
    _ = try? blockingRun { await client.close() }
    onClose()
  }
}
