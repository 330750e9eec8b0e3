import Chapter1WAL

/// One simulated machine: a disk that survives power cuts as a real one
/// would, and, while it is up, a `RaftPeer` on it.
final class SimulatedNode {
  let config: RaftConfig
  let snapshotEvery: Int
  let disk: PowerCutFileSystem
  private(set) var peer: RaftPeer?
  /// Writes proposed here, by client: answered when applied.
  var waitingWrites: [WriteID: UInt64] = [:]
  /// Reads started here, by context: the client to answer.
  var waitingReads: [UInt64: (client: UInt64, operation: Int)] = [:]
  private var applied: [(index: LogIndex, term: Term)] = []

  var id: NodeID { config.id }

  let tracer: Tracer

  init(config: RaftConfig, snapshotEvery: Int, tracer: Tracer) {
    self.config = config
    self.tracer = tracer
    self.snapshotEvery = snapshotEvery
    self.disk = PowerCutFileSystem(wrapping: MemoryFileSystem())
  }

  /// Boots the node from whatever its disk holds.
  func start() throws {
    guard peer == nil else { return }
    let disk = disk
    peer = try RaftPeer.open(
      config: config, fileSystem: disk, directory: "/node", snapshotEvery: snapshotEvery, tracer: tracer
    ) {
      directory in try Database.open(directory: directory, fileSystem: disk)
    }
    peer?.onApply = { [unowned self] entry in applied.append((entry.index, entry.term)) }
  }

  /// Cuts the power: everything not synced is gone, and so is the process.
  ///
  /// - Returns: a short account of what the cut lost ("" if nothing).
  func crash() throws -> String {
    // No close: the process is gone, and the power cut releases its lock.
    peer = nil
    waitingWrites = [:]
    waitingReads = [:]
    let report = try disk.crash()
    let files = Set(report.losses.map(\.name))
    return files.isEmpty ? "" : Format.plural(files.count, "file") + " cut short"
  }

  /// Stops the node cleanly (its store closed, nothing lost), to boot it
  /// again with `start()`.
  func stop() throws {
    try peer?.machine.store.close()
    try peer?.storage.close()
    peer = nil
    waitingWrites = [:]
    waitingReads = [:]
  }

  /// Passes a reply to the client that asked this node, if one did.
  func answer(_ reply: RaftPeer.Reply, simulation: Simulation) {
    switch reply {
    case .written(let client, let sequence, _):
      guard waitingWrites.removeValue(forKey: WriteID(client: client, sequence: sequence)) != nil else { return }
      simulation.respond(to: client, .written(sequence: sequence))
    case .read(let context, let key, let value):
      guard let waiting = waitingReads.removeValue(forKey: context) else { return }
      simulation.respond(to: waiting.client, .read(operation: waiting.operation, key: key, value: value))
    }
  }

  /// The entries applied since the last call, for the safety check.
  func drainApplied() -> [(index: LogIndex, term: Term)] {
    defer { applied = [] }
    return applied
  }
}

struct WriteID: Hashable {
  var client: UInt64
  var sequence: UInt64
}

/// A client's request as it travels to a node.
enum ClientRequest {
  case put(ClientCommand)
  /// `operation` names the client's operation in the history, so that a
  /// late answer to an earlier get is not taken for this one's.
  case get(client: UInt64, key: Bytes, operation: Int)

  var client: UInt64 {
    switch self {
    case .put(let command): command.client
    case .get(let client, _, _): client
    }
  }
}

/// A node's answer to a client.
enum ClientResponse {
  case redirect(NodeID)
  case written(sequence: UInt64)
  case read(operation: Int, key: Bytes, value: Bytes?)
}

/// One client: a single operation at a time, retried until answered.
final class SimulatedClient {
  let id: UInt64
  let nodes: Int
  var sequence: UInt64 = 0
  var target: NodeID = 1
  var attempt = 0
  private(set) var current: ClientRequest?
  private(set) var historyID: Int?

  init(id: UInt64, nodes: Int) {
    self.id = id
    self.nodes = nodes
    self.target = NodeID((Int(id) - 1) % nodes + 1)
  }

  func begin(_ request: ClientRequest, historyID: Int) {
    current = request
    self.historyID = historyID
  }

  func finish() {
    current = nil
    historyID = nil
  }

  func nextTarget() -> NodeID { NodeID(Int(target) % nodes + 1) }
}
