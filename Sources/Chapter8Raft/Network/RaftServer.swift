import Chapter1WAL
import Chapter7Server
import NIOCore

/// One node of a real cluster on the network: a `RaftServerEngine` behind
/// chapter 7's `Server`, listening at the node's address in `members`.
///
/// Peers and clients share the one port: chapter 7's server takes every
/// connection, and the EXTENSION frames among its requests carry the
/// cluster's own (see `ClusterProtocol.swift`).
public final class RaftServer: Sendable {
  public let engine: RaftServerEngine
  public let server: Server

  /// Opens the node's directory and starts serving.
  ///
  /// - Parameter serverOptions: chapter 7's limits; its host and port are
  ///   replaced by the node's address in `options.members`.
  public static func start(
    _ options: RaftNodeOptions, serverOptions: ServerOptions = .init(), logging: ServerLogging = .quiet
  ) async throws -> RaftServer {
    let engine = try RaftServerEngine.open(options)
    var serverOptions = serverOptions
    let address = options.members.addresses[options.id]!
    serverOptions.host = address.host
    serverOptions.port = address.port
    do {
      let server = try await Server.start(engine: engine, options: serverOptions, logging: logging)
      return RaftServer(engine: engine, server: server)
    } catch {
      try? engine.close()
      throw error
    }
  }

  private init(engine: RaftServerEngine, server: Server) {
    self.engine = engine
    self.server = server
  }

  public var id: NodeID { engine.id }

  /// The port it listens on.
  public var port: Int { server.port }

  /// Stops as chapter 7's server stops (running requests finish, up to the
  /// grace period), then closes the node: its clock, its peers, its disk.
  public func shutdown() async { await server.shutdown() }
}
