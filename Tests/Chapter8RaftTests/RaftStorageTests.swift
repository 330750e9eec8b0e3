import Chapter1WAL
import Testing

@testable import Chapter8Raft

/// A node's directory in every test.
private let directory = "/node"
private let logPath = "/node/raft.log"

/// A power-cut file system over memory, with nothing in it.
private func makeFileSystem() -> PowerCutFileSystem {
  PowerCutFileSystem(wrapping: MemoryFileSystem())
}

/// Entries at the indexes of `range`, all of `term`, each with a little data.
private func makeEntries(_ range: ClosedRange<LogIndex>, term: Term) -> [Entry] {
  range.map { Entry(term: term, index: $0, data: Bytes(utf8: "e\($0)")) }
}

private func open(_ fileSystem: any FileSystem, maxRecordSize: Int = LogFormat.defaultMaxRecordSize) throws
  -> RaftStorage
{
  try RaftStorage.open(fileSystem: fileSystem, directory: directory, maxRecordSize: maxRecordSize)
}

/// Up to `count` random bytes.
private func randomBytes(upTo count: Int, using random: inout SeededGenerator) -> Bytes {
  (0..<Int.random(in: 0...count, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
}

/// What a node's storage holds, kept by the tests independently of
/// `RaftStorage`, so that the two can be compared.
private struct ModelState: Equatable, CustomStringConvertible {
  var hardState = HardState()
  var snapshot = Snapshot()
  var entries: [Entry] = []

  var lastIndex: LogIndex { entries.last?.index ?? snapshot.metadata.index }
  var lastTerm: Term { entries.last?.term ?? snapshot.metadata.term }

  func term(at index: LogIndex) -> Term? {
    if index == snapshot.metadata.index { return snapshot.metadata.term }
    return entries.first { $0.index == index }?.term
  }

  /// Raft's append: everything from the first new index on is replaced.
  mutating func append(_ new: [Entry]) {
    entries.removeAll { $0.index >= new[0].index }
    entries += new
  }

  /// Raft's snapshot rule: keep what follows a matching last entry, else
  /// nothing.
  mutating func install(_ new: Snapshot) {
    let matches = entries.contains { $0.index == new.metadata.index && $0.term == new.metadata.term }
    entries = matches ? entries.filter { $0.index > new.metadata.index } : []
    snapshot = new
  }

  /// What `storage` holds now, snapshot read back from its file.
  static func read(_ storage: RaftStorage) throws -> ModelState {
    ModelState(
      hardState: storage.hardState, snapshot: try storage.loadSnapshot() ?? Snapshot(), entries: storage.entries)
  }

  var description: String {
    "hs \(hardState.term)/\(hardState.vote)/\(hardState.commit), snap \(snapshot.metadata.index)@"
      + "\(snapshot.metadata.term), log [\(entries.map(\.description).joined(separator: " "))]"
  }
}

@Suite("Raft storage")
struct RaftStorageTests {
  @Test("entries and the hard state come back after a power cut")
  func roundTrip() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    #expect(storage.recovery.createdLog)
    try storage.append(makeEntries(1...3, term: 1))
    try storage.setHardState(HardState(term: 1, vote: 2, commit: 2))
    try storage.append([Entry(term: 2, index: 4, kind: .noop)])
    try storage.sync()
    #expect(storage.stats.recordsWritten == 3)
    #expect(storage.stats.syncs == 1)
    try fileSystem.crash()

    let reopened = try open(fileSystem)
    #expect(reopened.entries == makeEntries(1...3, term: 1) + [Entry(term: 2, index: 4, kind: .noop)])
    #expect(reopened.hardState == HardState(term: 1, vote: 2, commit: 2))
    #expect(reopened.firstIndex == 1)
    #expect(reopened.lastIndex == 4)
    #expect(reopened.term(at: 0) == 0)
    #expect(reopened.term(at: 4) == 2)
    #expect(reopened.term(at: 5) == nil)
    #expect(reopened.recovery.records == 3)
    #expect(reopened.recovery.truncatedBytes == 0)
    #expect(!reopened.recovery.createdLog)
    #expect(try reopened.loadSnapshot() == nil)
  }

  @Test("an append that overwrites a suffix keeps the cut across a reopen")
  func conflictTruncation() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...5, term: 1))
    try storage.sync()
    try storage.append(makeEntries(3...4, term: 2))
    #expect(storage.entries == makeEntries(1...2, term: 1) + makeEntries(3...4, term: 2))
    try storage.sync()
    try fileSystem.crash()

    let reopened = try open(fileSystem)
    #expect(reopened.entries == makeEntries(1...2, term: 1) + makeEntries(3...4, term: 2))
    #expect(reopened.lastIndex == 4)
    #expect(reopened.term(at: 3) == 2)
    try reopened.append(makeEntries(5...5, term: 2))
    try reopened.sync()
    try fileSystem.crash()
    #expect(try open(fileSystem).entries == makeEntries(1...2, term: 1) + makeEntries(3...5, term: 2))
  }

  @Test("a power cut keeps exactly what was synced")
  func unsyncedWritesAreLost() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...3, term: 1))
    try storage.setHardState(HardState(term: 1, vote: 1))
    try storage.sync()
    try storage.append(makeEntries(4...6, term: 1))
    try storage.setHardState(HardState(term: 2, vote: 3))
    #expect(storage.hasUnsyncedWrites)
    let report = try fileSystem.crash(.dropUnsynced)
    #expect(!report.losses.isEmpty)

    let reopened = try open(fileSystem)
    #expect(reopened.entries == makeEntries(1...3, term: 1))
    #expect(reopened.hardState == HardState(term: 1, vote: 1))
  }

  @Test("unsynced writes the page cache happened to keep are all replayed")
  func keptUnsyncedWritesAreReplayed() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...3, term: 1))
    try storage.sync()
    try storage.append(makeEntries(2...4, term: 2))
    try storage.setHardState(HardState(term: 2, vote: 3))
    try fileSystem.crash(.keepAllUnsynced)

    let reopened = try open(fileSystem)
    #expect(reopened.entries == makeEntries(1...1, term: 1) + makeEntries(2...4, term: 2))
    #expect(reopened.hardState == HardState(term: 2, vote: 3))
  }

  /// The torn append is two entries in one 25-byte record; every cut point
  /// in it, header or payload, is a torn tail.
  @Test("a torn write is cut off and recovery keeps the synced prefix", arguments: [1, 11, 12, 20, 24])
  func tornTail(keeping bytes: Int) throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...2, term: 1))
    try storage.sync()
    let syncedSize = storage.stats.bytesWritten
    fileSystem.tearNextWrite(keeping: bytes)
    let error = #expect(throws: RaftStorageError.self) { try storage.append(makeEntries(3...4, term: 1)) }
    #expect(error?.kind == .io)
    #expect(error?.underlying?.code == .poweredOff)
    // Half a record may end the file now: nothing more may follow it.
    let refused = #expect(throws: RaftStorageError.self) { try storage.setHardState(HardState(term: 9)) }
    #expect(refused?.kind == .failedEarlier)
    try fileSystem.crash(.keepAllUnsynced)
    #expect(try fileSystem.fileSize(logPath) == syncedSize + bytes)

    let reopened = try open(fileSystem)
    #expect(reopened.entries == makeEntries(1...2, term: 1))
    #expect(reopened.recovery.truncatedBytes == bytes)
    #expect(reopened.recovery.tornTailOffset == syncedSize)
    #expect(try fileSystem.fileSize(logPath) == syncedSize)
    // The cut was synced: what is appended after it survives the next cut.
    try reopened.append(makeEntries(3...3, term: 1))
    try reopened.sync()
    try fileSystem.crash()
    #expect(try open(fileSystem).entries == makeEntries(1...3, term: 1))
  }

  /// Bytes at these offsets of a record: the checksum, the length, the
  /// length check, the type byte, an entry.
  @Test("a flipped bit in a synced record is corruption, named by file and offset", arguments: [0, 5, 9, 12, 16])
  func flippedBit(byteInRecord: Int) throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...2, term: 1))
    let damaged = storage.stats.bytesWritten
    try storage.append(makeEntries(3...4, term: 1))
    try storage.setHardState(HardState(term: 1, vote: 1, commit: 4))
    try storage.sync()
    try storage.close()

    fileSystem.flipBitOnRead(path: logPath, offset: damaged + byteInRecord, bit: 2)
    let error = #expect(throws: RaftStorageError.self) { try open(fileSystem) }
    #expect(error?.kind == .corruption)
    #expect(error?.file == RaftStorage.logName)
    #expect(error?.offset == damaged)
    #expect(error?.description.contains("raft.log at offset \(damaged)") == true)
  }

  @Test("damage to the last record is corruption too, not a torn tail")
  func flippedBitInLastRecord() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...2, term: 1))
    let last = storage.stats.bytesWritten
    try storage.setHardState(HardState(term: 1, vote: 1))
    try storage.sync()
    let size = storage.stats.bytesWritten
    fileSystem.flipBitOnRead(path: logPath, offset: size - 1, bit: 0)
    let error = #expect(throws: RaftStorageError.self) { try open(fileSystem) }
    #expect(error?.kind == .corruption)
    #expect(error?.offset == last)
    #expect(try fileSystem.fileSize(logPath) == size, "a damaged record must not be cut off")
  }

  @Test("a damaged snapshot file is corruption naming the snapshot")
  func damagedSnapshot() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...4, term: 1))
    try storage.saveSnapshot(Snapshot(metadata: SnapshotMetadata(index: 2, term: 1, voters: [1]), data: [7, 7]))
    fileSystem.flipBitOnRead(path: "/node/raft.snapshot", offset: 14, bit: 1)
    let error = #expect(throws: RaftStorageError.self) { try open(fileSystem) }
    #expect(error?.kind == .corruption)
    #expect(error?.file == RaftStorage.snapshotName)
    #expect(error?.offset == 0)
  }

  @Test("a snapshot compacts the log, and both survive a power cut")
  func snapshotCompacts() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...5, term: 1))
    try storage.append(makeEntries(6...10, term: 2))
    try storage.setHardState(HardState(term: 2, vote: 1, commit: 9))
    try storage.sync()
    let sizeBefore = try fileSystem.fileSize(logPath)

    let snapshot = Snapshot(metadata: SnapshotMetadata(index: 7, term: 2, voters: [1, 2, 3]), data: Bytes(utf8: "kv"))
    try storage.saveSnapshot(snapshot)
    #expect(storage.entries == makeEntries(8...10, term: 2))
    #expect(storage.snapshotMetadata == snapshot.metadata)
    #expect(storage.firstIndex == 8)
    #expect(storage.lastIndex == 10)
    #expect(storage.term(at: 7) == 2)
    #expect(storage.term(at: 6) == nil)
    #expect(storage.stats.logRewrites == 1)
    #expect(storage.stats.snapshotsSaved == 1)
    #expect(try fileSystem.fileSize(logPath) < sizeBefore)
    #expect(try storage.loadSnapshot() == snapshot)
    #expect(fileSystem.unsyncedFiles(in: directory).isEmpty, "a saved snapshot leaves nothing to lose")
    try fileSystem.crash()

    let reopened = try open(fileSystem)
    #expect(reopened.entries == makeEntries(8...10, term: 2))
    #expect(reopened.snapshotMetadata == snapshot.metadata)
    #expect(reopened.hardState == HardState(term: 2, vote: 1, commit: 9))
    #expect(try reopened.loadSnapshot() == snapshot)
    #expect(!reopened.recovery.finishedCompaction)
    #expect(reopened.recovery.records == 3, "log start, hard state, entries")

    try reopened.append(makeEntries(11...11, term: 3))
    let second = Snapshot(metadata: SnapshotMetadata(index: 9, term: 2, voters: [1, 2, 3]), data: [1])
    try reopened.saveSnapshot(second)
    try fileSystem.crash()
    let again = try open(fileSystem)
    #expect(again.entries == makeEntries(10...10, term: 2) + makeEntries(11...11, term: 3))
    #expect(try again.loadSnapshot() == second)
  }

  @Test("a snapshot past the log or disagreeing with it (InstallSnapshot) empties the log")
  func installSnapshotDropsEverything() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...5, term: 1))
    try storage.sync()
    let beyond = Snapshot(metadata: SnapshotMetadata(index: 9, term: 3, voters: [1, 2]), data: [9])
    try storage.saveSnapshot(beyond)
    #expect(storage.entries.isEmpty)
    #expect(storage.lastIndex == 9)
    #expect(storage.firstIndex == 10)
    #expect(storage.term(at: 9) == 3)
    try storage.append(makeEntries(10...10, term: 3))
    try storage.sync()
    try fileSystem.crash()

    let reopened = try open(fileSystem)
    #expect(reopened.entries == makeEntries(10...10, term: 3))
    #expect(reopened.snapshotMetadata == beyond.metadata)

    // Inside the log, but the entry at its index has another term.
    try reopened.append(makeEntries(11...14, term: 3))
    let disagreeing = Snapshot(metadata: SnapshotMetadata(index: 12, term: 4, voters: [1, 2]), data: [12])
    try reopened.saveSnapshot(disagreeing)
    #expect(reopened.entries.isEmpty)
    #expect(reopened.lastIndex == 12)
    try fileSystem.crash()
    let again = try open(fileSystem)
    #expect(again.entries.isEmpty)
    #expect(again.lastIndex == 12)
    #expect(try again.loadSnapshot() == disagreeing)
  }

  @Test("calls that break the preconditions throw and write nothing")
  func misuse() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...4, term: 1))
    try storage.saveSnapshot(Snapshot(metadata: SnapshotMetadata(index: 2, term: 1)))
    let records = storage.stats.recordsWritten

    let calls: [(String, () throws -> Void)] = [
      ("gap", { try storage.append(makeEntries(6...6, term: 1)) }),
      ("not contiguous", { try storage.append([Entry(term: 1, index: 5), Entry(term: 1, index: 7)]) }),
      ("descending", { try storage.append([Entry(term: 1, index: 5), Entry(term: 1, index: 4)]) }),
      ("at the snapshot", { try storage.append(makeEntries(2...3, term: 2)) }),
      ("before the snapshot", { try storage.append(makeEntries(1...1, term: 2)) }),
      ("stale snapshot", { try storage.saveSnapshot(Snapshot(metadata: SnapshotMetadata(index: 2, term: 1))) }),
    ]
    for (name, call) in calls {
      let error = #expect(throws: RaftStorageError.self, "\(name)") { try call() }
      #expect(error?.kind == .misuse, "\(name)")
    }
    try storage.append([])
    #expect(storage.stats.recordsWritten == records)
    // Misuse does not break the storage.
    try storage.append(makeEntries(3...5, term: 2))
    try storage.sync()
    try fileSystem.crash()
    #expect(try open(fileSystem).entries == makeEntries(3...5, term: 2))
  }

  @Test("an entry too large for a record is refused, a large append is split over records")
  func largeAppends() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem, maxRecordSize: 40)
    let big = (LogIndex(1)...20).map { Entry(term: 1, index: $0, data: Bytes(repeating: UInt8($0), count: 9)) }
    try storage.append(big)
    #expect(storage.stats.recordsWritten > 1)
    let overwrite = (LogIndex(5)...15).map { Entry(term: 2, index: $0, data: Bytes(repeating: 0xEE, count: 9)) }
    try storage.append(overwrite)
    let error = #expect(throws: RaftStorageError.self) {
      try storage.append([Entry(term: 2, index: 16, data: Bytes(repeating: 1, count: 50))])
    }
    #expect(error?.kind == .misuse)
    try storage.sync()
    try fileSystem.crash()
    #expect(try open(fileSystem, maxRecordSize: 40).entries == Array(big[0..<4]) + overwrite)
  }

  @Test("a failed sync refuses every later write until a reopen")
  func failedSyncIsFatal() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...2, term: 1))
    fileSystem.failSync(number: 1)
    let error = #expect(throws: RaftStorageError.self) { try storage.sync() }
    #expect(error?.kind == .io)
    #expect(error?.file == RaftStorage.logName)
    let refused = #expect(throws: RaftStorageError.self) { try storage.append(makeEntries(3...3, term: 1)) }
    #expect(refused?.kind == .failedEarlier)
    try fileSystem.crash()
    #expect(try open(fileSystem).entries.isEmpty)
  }

  @Test("leftover temporary files are removed, a foreign file is left alone")
  func leftovers() throws {
    let fileSystem = makeFileSystem()
    let storage = try open(fileSystem)
    try storage.append(makeEntries(1...2, term: 1))
    try storage.sync()
    try storage.close()
    try fileSystem.writeFile("/node/raft.log.tmp", [1, 2, 3], sync: true)
    try fileSystem.writeFile("/node/raft.snapshot.tmp", [4, 5], sync: true)
    try fileSystem.writeFile("/node/NOTES", Bytes(utf8: "mine"), sync: true)
    try fileSystem.syncDirectory(directory)

    let reopened = try open(fileSystem)
    #expect(
      reopened.recovery.removedTemporaryFiles == [RaftStorage.logTemporaryName, RaftStorage.snapshotTemporaryName])
    #expect(reopened.entries == makeEntries(1...2, term: 1))
    try fileSystem.crash()
    #expect(try fileSystem.listDirectory(directory) == ["NOTES", "raft.log"])
    #expect(try fileSystem.readFile("/node/NOTES") == Bytes(utf8: "mine"))
  }

  /// Every operation `saveSnapshot` makes, cut in turn, in every crash
  /// mode: the state afterwards is the one before the call or the one after.
  @Test("a power cut at any point of saveSnapshot leaves the old state or the new")
  func snapshotCrashPoints() throws {
    let snapshot = Snapshot(metadata: SnapshotMetadata(index: 5, term: 1, voters: [1, 2, 3]), data: [5, 5])
    /// A storage with a synced log and two unsynced entries.
    func prepare(_ fileSystem: PowerCutFileSystem) throws -> RaftStorage {
      let storage = try open(fileSystem)
      try storage.append(makeEntries(1...6, term: 1))
      try storage.setHardState(HardState(term: 1, vote: 1, commit: 5))
      try storage.sync()
      try storage.append(makeEntries(7...8, term: 1))
      return storage
    }
    let dryRun = makeFileSystem()
    let storage = try prepare(dryRun)
    let start = dryRun.operationCount
    try storage.saveSnapshot(snapshot)
    let operations = dryRun.operationCount - start

    let hardState = HardState(term: 1, vote: 1, commit: 5)
    let allowed = [
      ModelState(hardState: hardState, entries: makeEntries(1...6, term: 1)),
      ModelState(hardState: hardState, entries: makeEntries(1...8, term: 1)),
      ModelState(hardState: hardState, snapshot: snapshot, entries: makeEntries(6...8, term: 1)),
    ]
    var finishedCompactions = 0
    for point in 1...operations {
      for mode in [CrashMode.dropUnsynced, .keepAllUnsynced, .random(seed: UInt64(point))] {
        let fileSystem = makeFileSystem()
        let storage = try prepare(fileSystem)
        fileSystem.schedulePowerCut(afterOperations: point)
        do { try storage.saveSnapshot(snapshot) } catch {}
        try fileSystem.crash(mode)
        let recovered = try open(fileSystem)
        let state = try ModelState.read(recovered)
        #expect(allowed.contains(state), "cut after operation \(point) of \(operations), \(mode): \(state)")
        if recovered.recovery.finishedCompaction { finishedCompactions += 1 }
        // What recovery wrote is durable in turn.
        try fileSystem.crash(mode)
        #expect(try ModelState.read(open(fileSystem)) == state, "second recovery, point \(point), \(mode)")
      }
    }
    #expect(finishedCompactions > 0, "some cut must fall between the snapshot's rename and the log's")
  }

  /// Random appends (with conflicts), hard states, syncs and snapshots; the
  /// power goes at a random operation, sometimes again during recovery. The
  /// state recovered must be one the storage was in at some moment between
  /// its last successful sync (or snapshot) and the cut.
  @Test("random workloads recover to a state between the last sync and the power cut")
  func randomizedCrashLoop() throws {
    var random = SeededGenerator(seed: 0x0052_4146_5453)
    let modes: (inout SeededGenerator) -> CrashMode = { random in
      switch Int.random(in: 0..<3, using: &random) {
      case 0: .dropUnsynced
      case 1: .keepAllUnsynced
      default: .random(seed: random.next())
      }
    }
    for iteration in 0..<300 {
      let fileSystem = makeFileSystem()
      var storage = try open(fileSystem)
      var current = ModelState()
      var candidates = [current]
      for round in 0..<3 {
        fileSystem.schedulePowerCut(afterOperations: Int.random(in: 1...40, using: &random))
        operations: for _ in 0..<25 {
          var next = current
          var syncs = false
          do {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
              let lowest = max(current.snapshot.metadata.index + 1, current.lastIndex > 2 ? current.lastIndex - 2 : 1)
              let first = LogIndex.random(in: lowest...(current.lastIndex + 1), using: &random)
              let term = max(current.hardState.term, current.lastTerm) + LogIndex.random(in: 0...1, using: &random)
              let new = (0..<LogIndex.random(in: 1...4, using: &random)).map { offset in
                Entry(
                  term: term, index: first + offset, kind: Bool.random(using: &random) ? .command : .noop,
                  data: randomBytes(upTo: 6, using: &random))
              }
              next.append(new)
              try storage.append(new)
            case 5, 6:
              next.hardState = HardState(
                term: current.hardState.term + Term.random(in: 0...1, using: &random),
                vote: NodeID.random(in: 0...3, using: &random),
                commit: LogIndex.random(in: 0...current.lastIndex, using: &random))
              try storage.setHardState(next.hardState)
            case 7, 8:
              syncs = true
              try storage.sync()
            default:
              syncs = true
              let index = LogIndex.random(
                in: (current.snapshot.metadata.index + 1)...(current.lastIndex + 2), using: &random)
              let matching = current.term(at: index) ?? current.lastTerm + 1
              let term = Int.random(in: 0..<5, using: &random) == 0 ? matching + 1 : matching
              let snapshot = Snapshot(
                metadata: SnapshotMetadata(index: index, term: term, voters: [1, 2, 3]),
                data: Bytes(utf8: "state \(iteration).\(round).\(index)"))
              next.install(snapshot)
              try storage.saveSnapshot(snapshot)
            }
          } catch {
            // The call may have taken effect before the power went.
            candidates.append(next)
            break operations
          }
          current = next
          candidates = syncs ? [next] : candidates + [next]
          #expect(storage.entries == current.entries && storage.hardState == current.hardState)
        }

        try fileSystem.crash(modes(&random))
        do {
          if Bool.random(using: &random) {
            // The power fails again while recovery repairs.
            fileSystem.schedulePowerCut(afterOperations: Int.random(in: 1...4, using: &random))
            if let reopened = try? open(fileSystem) {
              storage = reopened
            } else {
              try fileSystem.crash(modes(&random))
              storage = try open(fileSystem)
            }
          } else {
            storage = try open(fileSystem)
          }
          let recovered = try ModelState.read(storage)
          guard candidates.contains(recovered) else {
            let expected = candidates.map(\.description).joined(separator: "\n")
            Issue.record("iteration \(iteration), round \(round): recovered \(recovered); expected one of\n\(expected)")
            return
          }
          current = recovered
          candidates = [recovered]
        } catch {
          Issue.record("iteration \(iteration), round \(round): \(error)")
          return
        }
      }
    }
  }
}
