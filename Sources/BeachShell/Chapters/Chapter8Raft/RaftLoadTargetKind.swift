import Chapter7Server
import Chapter8Raft

extension LoadTargetKind {
  /// A `beach serve --raft` cluster, through `ClusterLoadTarget`: HOST:PORT
  /// is any one node; its clients learn the leader (and, from redirects,
  /// the other nodes) as they go.
  static let raft = LoadTargetKind(name: "raft", summary: "a Raft cluster, any node of it") { host, port, options in
    var client = ClusterClient.Options()
    if let budget = options.budget { client.attemptTimeout = budget }
    return ClusterLoadTarget(seed: ClusterMembers.Address(host: host, port: port), options: client)
  }
}
