import Chapter1WAL

/// A store that can read the past: the capability chapter 2 adds.
///
/// The shell offers `snapshot`, `get K @ID`, `scan … @ID` and `release ID`
/// for engines that conform; the reference-model tests drive any engine
/// through it.
public protocol SnapshotStore: KeyValueStore {
  /// Takes a snapshot at the last published sequence number.
  func snapshot() -> SnapshotList.Snapshot
  /// Releases a snapshot; `false` if it was not live.
  @discardableResult func release(_ snapshot: SnapshotList.Snapshot) -> Bool
  /// The live snapshot with this id.
  func snapshot(id: Int) -> SnapshotList.Snapshot?
  /// The value of `key` as of `snapshot`.
  func get(_ key: Bytes, at snapshot: SnapshotList.Snapshot) throws -> Bytes?
  /// The live entries with `from <= key < to` as of `snapshot`, in key order.
  func scan(from: Bytes?, to: Bytes?, at snapshot: SnapshotList.Snapshot) throws -> [KeyValuePair]
}
