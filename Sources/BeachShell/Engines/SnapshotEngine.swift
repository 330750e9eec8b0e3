#if canImport(Chapter2Memtable)
  import Chapter1WAL
  import Chapter2Memtable

  /// An engine whose store has snapshots (chapter 2 on): the shell's four
  /// snapshot hooks, written once for every such engine.
  protocol SnapshotEngine: ShellEngine {
    /// The store, as a store with snapshots.
    var snapshotStore: any SnapshotStore { get }
    /// Its live snapshots, for error messages.
    var snapshotList: SnapshotList { get }
  }

  extension SnapshotEngine {
    func takeSnapshot() throws -> (id: Int, sequence: SequenceNumber) {
      let snapshot = snapshotStore.snapshot()
      return (snapshot.id, snapshot.sequence)
    }

    func releaseSnapshot(id: Int) throws -> (id: Int, sequence: SequenceNumber) {
      let snapshot = try live(id)
      snapshotStore.release(snapshot)
      return (snapshot.id, snapshot.sequence)
    }

    func get(_ key: Bytes, snapshot id: Int) throws -> Bytes? {
      try snapshotStore.get(key, at: live(id))
    }

    func scan(from: Bytes?, to: Bytes?, snapshot id: Int) throws -> [KeyValuePair] {
      try snapshotStore.scan(from: from, to: to, at: live(id))
    }

    /// The live snapshot with this id, or an error listing the live ones.
    private func live(_ id: Int) throws -> SnapshotList.Snapshot {
      guard let snapshot = snapshotStore.snapshot(id: id) else {
        let live = snapshotList.all.map { "@\($0.id)" }
        throw ShellError(
          "no live snapshot \(id)" + (live.isEmpty ? " (none is live)" : " (live: \(live.joined(separator: ", ")))"))
      }
      return snapshot
    }
  }

  /// `show memtable` from chapter 3 on: the active memtable's entries (the
  /// first 24), and the frozen one if a flush is under way.
  func memtableLines(active: Memtable, immutable: Memtable?, limit: Int) -> [String] {
    var lines = [
      "active memtable: \(plural(active.count, "entry", "entries")), \(formatBytes(active.memoryUsage)) "
        + "of \(formatBytes(limit)) before a flush"
    ]
    lines += active.entries(limit: 24).map {
      "  \($0.key)" + ($0.key.kind == .value ? " = " + printable($0.value) : "")
    }
    if active.count > 24 { lines.append("  … \(active.count - 24) more") }
    if let immutable {
      lines.append("immutable memtable: \(plural(immutable.count, "entry", "entries")), being flushed")
    }
    return lines
  }
#endif
