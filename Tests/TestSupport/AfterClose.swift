import Chapter1WAL

/// What a closed store answers: every chapter's `write`, `get` and `scan`
/// (and, from chapter 2 on, reads at a snapshot) throw `CommitError.closed`
/// after `close`.
public enum AfterClose {
  /// The errors `write`, `get` and `scan` throw on `store`, in that order,
  /// then those of `reads` (`nil` where one did not throw, or threw
  /// something other than a `CommitError`).
  public static func errors(of store: any KeyValueStore, reads: [() throws -> Void] = []) -> [CommitError?] {
    let key = Bytes(utf8: "a")
    let operations: [() throws -> Void] =
      [{ _ = try store.put(key, Bytes(utf8: "1")) }, { _ = try store.get(key) }, { _ = try store.scan() }] + reads
    return operations.map(error)
  }

  /// The errors reading `key` and scanning everything at `snapshot` throw,
  /// with `get` and `scan` the store's reads at a snapshot.
  public static func errors<Snapshot>(
    of store: any KeyValueStore, at snapshot: Snapshot, get: @escaping (Bytes, Snapshot) throws -> Bytes?,
    scan: @escaping (Bytes?, Bytes?, Snapshot) throws -> [KeyValuePair]
  ) -> [CommitError?] {
    errors(
      of: store,
      reads: [
        { _ = try get(Bytes(utf8: "a"), snapshot) }, { _ = try scan(nil, nil, snapshot) },
      ])
  }

  /// The `CommitError` `body` throws, or `nil`.
  public static func error(_ body: () throws -> Void) -> CommitError? {
    do {
      try body()
      return nil
    } catch {
      return error as? CommitError
    }
  }
}
