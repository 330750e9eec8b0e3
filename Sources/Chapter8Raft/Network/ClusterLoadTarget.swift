import Chapter1WAL
import Chapter7Server
import NIOCore

/// A cluster as chapter 7's load generator sees it: each load connection
/// is a `ClusterClient` of its own (its own client id), following the
/// leader through failovers, so `beach load` can run while nodes are
/// killed.
///
/// A `ClusterClient` has one write outstanding at a time (exactly-once
/// needs it), so a connection's SETs queue behind each other: the
/// generator's corrected latencies show that queue, as they should.
public struct ClusterLoadTarget: LoadTarget {
  /// The nodes known at the start: every one, or a single seed whose id
  /// is not known yet (`ClusterLoadTarget.unknownID`).
  public let members: ClusterMembers
  public var options: ClusterClient.Options

  /// The id a seed node goes by until it says its own.
  public static let unknownID = NodeID.max

  public init(members: ClusterMembers, options: ClusterClient.Options = .init()) {
    self.members = members
    self.options = options
  }

  /// A target that knows one node, anyone: each connection asks it who it
  /// is, and learns the rest from redirects.
  public init(seed: ClusterMembers.Address, options: ClusterClient.Options = .init()) {
    self.init(members: ClusterMembers([Self.unknownID: seed]), options: options)
  }

  public var name: String { "raft" }
  public var address: String { members.addresses.values.map(\.description).sorted().joined(separator: ",") }

  public func connect(on loop: any EventLoop) async throws -> any LoadConnection {
    var known = members
    if let seed = known.addresses.removeValue(forKey: Self.unknownID) {
      let asking = ClusterClient(members: members, options: options)
      let status = try await asking.status(of: Self.unknownID)
      await asking.close()
      known.addresses[status.id] = seed
    }
    return ClusterLoadConnection(client: ClusterClient(members: known, options: options), loop: loop)
  }
}

/// One `ClusterClient` as a load connection: errors become outcomes.
final class ClusterLoadConnection: LoadConnection {
  let client: ClusterClient
  let loop: any EventLoop

  init(client: ClusterClient, loop: any EventLoop) {
    self.client = client
    self.loop = loop
  }

  func send(_ operation: LoadOperation) -> EventLoopFuture<LoadOutcome> {
    let promise = loop.makePromise(of: LoadOutcome.self)
    let client = self.client
    promise.completeWithTask {
      do throws(ClusterClientError) {
        switch operation {
        case .get(let key): return try await client.get(key) == nil ? .missing : .done
        case .set(let key, let value):
          try await client.put(key, value)
          return .done
        }
      } catch .gaveUp, .timeout {
        return .failed(.timeout)
      } catch .unreachable {
        return .failed(.closed)
      } catch {
        return .failed(.error)
      }
    }
    return promise.futureResult
  }

  func close() async { await client.close() }
}
