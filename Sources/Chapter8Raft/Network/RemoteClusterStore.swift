import Chapter1WAL
import Chapter7Server

/// A `ClusterClient` as chapter 1's `KeyValueStore`: the shell's data
/// commands run against a whole cluster through it, following its leader,
/// as chapter 7's `RemoteStore` runs them against one server.
///
/// Its calls block the calling thread until the cluster answers, so it is
/// for threads that may block: the shell's, a test's.
public final class RemoteClusterStore: KeyValueStore {
  public let client: ClusterClient

  /// The largest page a `scan` asks for at a time.
  public static let scanPage = 100

  public init(client: ClusterClient) { self.client = client }

  /// - Returns: the log index the write was applied at (the cluster's
  ///   sequence number: one per entry, not per operation).
  public func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    let client = self.client
    return try blockingRun { try await client.write(batch) }
  }

  public func get(_ key: Bytes) throws -> Bytes? {
    let client = self.client
    return try blockingRun { try await client.get(key) }
  }

  /// The whole range, a page at a time (each page confirmed by ReadIndex
  /// on its own: the pages together are not one snapshot).
  public func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] {
    let client = self.client
    var entries: [KeyValuePair] = []
    var start = from ?? []
    while true {
      let first = start
      let page = try blockingRun { try await client.scan(from: first, to: to, limit: Self.scanPage) }
      entries += page.entries
      guard let resume = page.resumeKey else { return entries }
      start = resume
    }
  }

  public func close() throws {
    let client = self.client
    try blockingRun { await client.close() }
  }
}
