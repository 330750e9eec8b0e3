import Chapter1WAL
import Chapter7Server
import NIOCore
import NIOPosix

/// A node's way to its peers: one chapter 7 `Client` connection to each,
/// opened when first needed and opened again after it breaks.
///
/// Sending never waits and never fails. A message to a peer whose
/// connection is down (or still being made) is dropped, as a lossy network
/// would drop it: Raft already copes (a heartbeat or an append is resent
/// on the next tick, an election times out and starts again), so the
/// transport need not queue, retry or acknowledge anything. What it must
/// not do is try to connect on every message to a peer that is down (a
/// leader heartbeats every few ticks): after a failed attempt it waits
/// `reconnectDelay` before the next.
///
/// Messages to one peer go down one TCP connection, so they arrive in the
/// order they were sent, or not at all; Raft does not need even that, but
/// it makes a trace easier to read.
///
/// Touched only on its node's driver loop (the connections' own I/O runs
/// on `group`), hence `@unchecked Sendable`.
final class RaftTransport: @unchecked Sendable {
  let id: NodeID
  let members: ClusterMembers
  private let loop: any EventLoop
  private let group: any EventLoopGroup
  private let maximumFrameSize: Int
  /// How long after a failed connection attempt to wait before the next.
  let reconnectDelay: TimeAmount
  private var links: [NodeID: Link] = [:]
  private var closed = false
  /// Messages dropped because their peer's connection was down.
  private(set) var dropped = 0

  private enum Link {
    case down(retryAt: NIODeadline)
    case connecting
    case up(Client)
  }

  init(
    id: NodeID, members: ClusterMembers, loop: any EventLoop, group: any EventLoopGroup,
    maximumFrameSize: Int = Frame.defaultMaximumSize, reconnectDelay: TimeAmount = .milliseconds(50)
  ) {
    self.id = id
    self.members = members
    self.loop = loop
    self.group = group
    self.maximumFrameSize = maximumFrameSize
    self.reconnectDelay = reconnectDelay
  }

  /// Sends `message` to `message.to`, or drops it if that peer cannot be
  /// reached just now.
  ///
  /// REQUIRES: called on the driver loop, after the state the message
  /// depends on is on disk (the `Ready` contract).
  func send(_ message: Message) {
    loop.preconditionInEventLoop()
    guard !closed, message.to != id, let address = members.addresses[message.to] else { return }
    switch links[message.to] ?? .down(retryAt: .now()) {
    case .up(let client) where client.isOpen:
      // The reply (ok, or bad request) says nothing Raft needs.
      _ = client.send(.extension(code: ClusterRequestCode.message.rawValue, body: message.encoded))
    case .up:
      links[message.to] = .down(retryAt: .now())
      dropped += 1
      connect(to: message.to, at: address)
    case .down(let retryAt):
      dropped += 1
      if NIODeadline.now() >= retryAt { connect(to: message.to, at: address) }
    case .connecting:
      dropped += 1
    }
  }

  private func connect(to peer: NodeID, at address: ClusterMembers.Address) {
    links[peer] = .connecting
    let (group, maximumFrameSize) = (self.group, self.maximumFrameSize)
    Task {
      let client = try? await Client.connect(
        host: address.host, port: address.port, maximumFrameSize: maximumFrameSize, group: group)
      loop.execute { [self] in
        guard !closed else {
          if let client { Task { await client.close() } }
          return
        }
        links[peer] = client.map { .up($0) } ?? .down(retryAt: .now() + reconnectDelay)
      }
    }
  }

  /// Closes every connection; later messages are dropped.
  ///
  /// REQUIRES: called on the driver loop.
  func close() -> [Client] {
    loop.preconditionInEventLoop()
    closed = true
    let clients = links.values.compactMap { link -> Client? in
      if case .up(let client) = link { return client }
      return nil
    }
    links = [:]
    return clients
  }
}
