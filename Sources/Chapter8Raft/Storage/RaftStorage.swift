import Chapter1WAL

/// # A Raft node's state on disk
///
/// One node keeps everything Raft asks it to remember in one directory,
/// through the `FileSystem` seam of chapter 1:
///
/// | file | what it holds |
/// |---|---|
/// | `raft.log` | records in chapter 1's format (`LogFormat`): log entries, hard states, truncations |
/// | `raft.snapshot` | the last snapshot: one chapter-1 record whose payload is a `Snapshot` encoding |
/// | `raft.log.tmp` | a rewritten log before its rename over `raft.log` (removed at open) |
/// | `raft.snapshot.tmp` | a new snapshot before its rename over `raft.snapshot` (removed at open) |
///
/// Any other file in the directory is not ours and is left alone.
///
/// ## The records of `raft.log`
///
/// Every record's payload starts with a type byte:
///
/// | type | record | rest of the payload | written by |
/// |---|---|---|---|
/// | 1 | entries | one or more `Entry` encodings back to back; the first follows the log's last index, the rest follow each other | `append` |
/// | 2 | hard state | one `HardState` encoding (the newest one wins) | `setHardState`, every rewrite |
/// | 3 | truncate | varint `from`, then zero or more `Entry` encodings starting at index `from`: the entries from `from` on are discarded and these take their place | `append` that overwrites a suffix |
/// | 4 | log start | varint index, varint term: the log continues after this entry, the last one a snapshot covers | the first record of a rewritten log, nowhere else |
///
/// A log without a log-start record starts after index 0. The truncation and
/// the entries that replace it share one record on purpose: a power cut
/// between two records could otherwise leave a log that was cut but never
/// refilled, a state no caller ever saw. (An append too large for one record
/// is split; a power cut may then keep a prefix of its entries, which is a
/// shorter log Raft accepts, since unsynced entries were never acknowledged.)
///
/// ## Recovery
///
/// `open` removes leftover temporary files, reads and checks the snapshot,
/// then replays the log's records in order. A torn tail (the machine lost
/// power while writing it; `LogReader` tells) held nothing synced, so it is
/// cut off with `truncateFile` and reported in `recovery`. Any other damage is
/// bytes that were once durable: open refuses with a `RaftStorageError` that
/// names the file and the offset, rather than silently forget entries or a
/// vote.
///
/// ## Snapshots and compaction
///
/// `saveSnapshot` writes `raft.snapshot.tmp`, syncs it, renames it over
/// `raft.snapshot` and syncs the directory; then it rewrites the log the
/// same way (`raft.log.tmp` with a log-start record, the hard state and the
/// entries after the snapshot; sync, rename, directory sync). A crash between
/// the two leaves the new snapshot beside the old log, whose log-start record
/// (or its absence) shows it starts before the snapshot: recovery then drops
/// the entries the snapshot covers, by the same rule, and finishes the
/// rewrite. Either way the state after a crash is the old one or the new one.
///
/// ## Use
///
/// One node's driver uses a `RaftStorage` from one thread at a time: nothing
/// in it is locked. It is `@unchecked Sendable` so that a driver may hand it
/// to the thread or task that runs the node; it must not be used from two at
/// once. The contract with the caller is Raft's: persist (`append`,
/// `setHardState`), `sync`, and only then send the messages that depend on
/// it. Writes go to the file at once, but only `sync` makes them durable.
public final class RaftStorage: @unchecked Sendable {
  /// The log file's name.
  public static let logName = "raft.log"
  /// The name a rewritten log has until it is renamed over `raft.log`.
  public static let logTemporaryName = "raft.log.tmp"
  /// The snapshot file's name.
  public static let snapshotName = "raft.snapshot"
  /// The name a new snapshot has until it is renamed over `raft.snapshot`.
  public static let snapshotTemporaryName = "raft.snapshot.tmp"

  /// The file system the state lives on.
  public let fileSystem: any FileSystem
  /// The node's directory.
  public let directory: String
  /// The largest payload a log record may carry (`LogFormat`'s limit).
  public let maxRecordSize: Int

  /// The last hard state set (zero if none ever was).
  public private(set) var hardState: HardState
  /// Where the last saved snapshot ends; index 0 if there is none.
  public private(set) var snapshotMetadata: SnapshotMetadata
  /// The log entries after the snapshot: `entries[i].index ==
  /// snapshotMetadata.index + 1 + i`.
  public private(set) var entries: [Entry]
  /// What `open` found and repaired.
  public private(set) var recovery: RecoveryReport
  /// Counts of what this object has written since it was opened (recovery's
  /// own writes included).
  public private(set) var stats: Stats

  private let files: RaftFiles
  /// The log, open for appending.
  private var log: any WritableFile
  /// Whether records were appended since the last sync.
  private var unsynced = false
  /// The first I/O failure of a write. After it the file may end in half a
  /// record, and appending after that would bury the damage in the middle of
  /// the log, where recovery must call it corruption: so every later write
  /// is refused, and the way on is to reopen (which cuts the torn tail).
  private var failure: RaftStorageError?
  /// Whether `close` was called.
  private var closed = false

  /// Sizes and counts of what was written.
  public struct Stats: Sendable, Equatable {
    /// Log and snapshot records written.
    public var recordsWritten = 0
    /// Bytes written to the log and snapshot files, framing included.
    public var bytesWritten = 0
    /// File syncs (`fdatasync`).
    public var syncs = 0
    /// Directory syncs, which make renames and new names durable.
    public var directorySyncs = 0
    /// Snapshots saved.
    public var snapshotsSaved = 0
    /// Times the log was rewritten (one per snapshot, and one when recovery
    /// finishes a compaction a crash interrupted).
    public var logRewrites = 0

    public init() {}

    /// Counts a log rewrite: its records and bytes, a file sync and a
    /// directory sync.
    mutating func countRewrite(records: Int, bytes: Int) {
      recordsWritten += records
      bytesWritten += bytes
      syncs += 1
      directorySyncs += 1
      logRewrites += 1
    }
  }

  private init(
    files: RaftFiles, maxRecordSize: Int, log: any WritableFile, state: RecoveredState, recovery: RecoveryReport,
    stats: Stats
  ) {
    self.files = files
    self.fileSystem = files.fileSystem
    self.directory = files.directory
    self.maxRecordSize = maxRecordSize
    self.log = log
    self.hardState = state.hardState
    self.snapshotMetadata = state.snapshot
    self.entries = state.entries
    self.recovery = recovery
    self.stats = stats
  }

  // MARK: Reading

  /// The index of the first entry the log can hold: the one after the snapshot.
  public var firstIndex: LogIndex { snapshotMetadata.index + 1 }

  /// The index of the last entry, or the snapshot's index if the log is empty.
  public var lastIndex: LogIndex { snapshotMetadata.index + LogIndex(entries.count) }

  /// The term of the last entry, or the snapshot's term if the log is empty.
  public var lastTerm: Term { entries.last?.term ?? snapshotMetadata.term }

  /// Whether anything was written since the last sync.
  public var hasUnsyncedWrites: Bool { unsynced }

  /// The term of the entry at `index`: the snapshot's term at its index,
  /// `nil` for an index compacted away or beyond the log.
  public func term(at index: LogIndex) -> Term? {
    if index == snapshotMetadata.index { return snapshotMetadata.term }
    guard index > snapshotMetadata.index, index <= lastIndex else { return nil }
    return entries[Int(index - firstIndex)].term
  }

  /// The last saved snapshot, read whole from `raft.snapshot` and checked,
  /// or `nil` if none was ever saved.
  ///
  /// - Throws: `RaftStorageError` if the file is damaged, or no longer the
  ///   snapshot this storage last saved or recovered.
  public func loadSnapshot() throws(RaftStorageError) -> Snapshot? {
    guard snapshotMetadata.index > 0 else { return nil }
    guard let snapshot = try files.readSnapshot() else {
      throw RaftStorageError(
        .corruption, file: Self.snapshotName,
        "missing, but the log was compacted up to index \(snapshotMetadata.index)")
    }
    guard snapshot.metadata == snapshotMetadata else {
      throw RaftStorageError(
        .corruption, file: Self.snapshotName,
        "holds the snapshot at index \(snapshot.metadata.index) term \(snapshot.metadata.term), "
          + "expected index \(snapshotMetadata.index) term \(snapshotMetadata.term)")
    }
    return snapshot
  }

  // MARK: Writing

  /// Appends entries to the log, first discarding the stored suffix from
  /// `newEntries.first.index` on if that index is already in the log (Raft's
  /// truncation of a conflicting suffix). Not durable until `sync`.
  ///
  /// - Throws: `RaftStorageError` with kind `.misuse`, before writing
  ///   anything, if the entries' indexes are not contiguous, if the first is
  ///   at or before the snapshot or would leave a gap after `lastIndex`, or
  ///   if an entry is too large for a record; `.io` if the write fails.
  public func append(_ newEntries: [Entry]) throws(RaftStorageError) {
    try checkUsable()
    guard let first = newEntries.first else { return }
    for (position, entry) in newEntries.enumerated() where entry.index &- first.index != UInt64(position) {
      throw RaftStorageError(
        .misuse,
        "append: entry \(position) of the batch has index \(entry.index), expected \(first.index &+ UInt64(position))"
          + " (indexes must be contiguous)")
    }
    guard first.index > snapshotMetadata.index else {
      throw RaftStorageError(
        .misuse,
        "append: entry \(first.index) is at or before the snapshot's index \(snapshotMetadata.index); "
          + "compacted entries cannot be replaced")
    }
    guard first.index - 1 <= lastIndex else {
      throw RaftStorageError(
        .misuse, "append: entry \(first.index) would leave a gap after the last index \(lastIndex)")
    }
    let truncating = first.index <= lastIndex
    let payloads = try RecordPayload.entries(
      newEntries, truncatingFrom: truncating ? first.index : nil, maxRecordSize: maxRecordSize)
    do {
      try writeToLog(payloads)
    } catch {
      failure = error
      throw error
    }
    if truncating { entries.removeLast(Int(lastIndex - first.index + 1)) }
    entries.append(contentsOf: newEntries)
  }

  /// Records a new hard state. Not durable until `sync`. Setting the hard
  /// state it already has writes nothing.
  public func setHardState(_ state: HardState) throws(RaftStorageError) {
    try checkUsable()
    guard state != hardState else { return }
    do {
      try writeToLog([RecordPayload.hardState(state)])
    } catch {
      failure = error
      throw error
    }
    hardState = state
  }

  /// Makes every `append` and `setHardState` before it durable (`fdatasync`
  /// on the log). With nothing written since the last sync it does nothing.
  public func sync() throws(RaftStorageError) {
    try checkUsable()
    do {
      try syncLog()
    } catch {
      failure = error
      throw error
    }
  }

  /// Saves a snapshot durably, then compacts the log: the entries up to the
  /// snapshot's index go. If the log has the snapshot's last entry (same
  /// index and term), the entries after it stay; otherwise the log is
  /// emptied (a leader's InstallSnapshot replaces a log that disagrees or is
  /// too short). Everything appended before it is durable when it returns.
  ///
  /// - Throws: `RaftStorageError` with kind `.misuse` if the snapshot is not
  ///   newer than the current one; `.io` if a write fails (the state on disk
  ///   is then the old one or the new one, as a reopen shows).
  public func saveSnapshot(_ snapshot: Snapshot) throws(RaftStorageError) {
    try checkUsable()
    let metadata = snapshot.metadata
    guard metadata.index > snapshotMetadata.index else {
      throw RaftStorageError(
        .misuse,
        "saveSnapshot: the snapshot ends at index \(metadata.index), not after the current one's \(snapshotMetadata.index)"
      )
    }
    let remaining = compacted(entries, after: snapshotMetadata.index, by: metadata)
    do {
      // The log must be durable as it stands first: a crash after the
      // snapshot's rename leaves the old log beside the new snapshot, and
      // recovery must compact the same entries this call does.
      try syncLog()
      let written = try files.writeSnapshot(snapshot)
      stats.recordsWritten += 1
      stats.bytesWritten += written
      stats.syncs += 1
      stats.directorySyncs += 1
      stats.snapshotsSaved += 1
      let newLog = try rewriteLog(start: metadata, hardState: hardState, entries: remaining)
      try? log.close()
      log = newLog
    } catch {
      failure = error
      throw error
    }
    snapshotMetadata = metadata
    entries = remaining
  }

  /// Closes the log file without syncing it. The object must not be used
  /// afterwards.
  public func close() throws(RaftStorageError) {
    guard !closed else { return }
    closed = true
    try files.io("closing", Self.logName) { () throws(FileSystemError) in try log.close() }
  }

  private func checkUsable() throws(RaftStorageError) {
    if closed { throw RaftStorageError(.misuse, file: Self.logName, "the storage is closed") }
    guard let failure else { return }
    throw RaftStorageError(
      .failedEarlier, file: failure.file, "refused: an earlier write failed (\(failure)); reopen to recover")
  }

  private func writeToLog(_ payloads: [Bytes]) throws(RaftStorageError) {
    var buffer = Bytes()
    for payload in payloads { LogFormat.frame(payload, into: &buffer) }
    let offset = log.size
    // One write for all the records of a call, so that only a torn write,
    // never an interleaving, can split them.
    try files.io("appending \(payloads.count) record(s) at offset \(offset) to", Self.logName) {
      () throws(FileSystemError) in try log.append(buffer)
    }
    unsynced = true
    stats.recordsWritten += payloads.count
    stats.bytesWritten += buffer.count
  }

  private func syncLog() throws(RaftStorageError) {
    guard unsynced else { return }
    try files.io("syncing", Self.logName) { () throws(FileSystemError) in try log.sync(.data) }
    unsynced = false
    stats.syncs += 1
  }

  private func rewriteLog(
    start: SnapshotMetadata, hardState: HardState, entries: [Entry]
  ) throws(RaftStorageError) -> any WritableFile {
    let rewrite = try files.rewriteLog(
      start: start, hardState: hardState, entries: entries, maxRecordSize: maxRecordSize)
    stats.countRewrite(records: rewrite.records, bytes: rewrite.bytes)
    unsynced = false
    return rewrite.file
  }

  // MARK: Opening

  /// Opens (creating if need be) the Raft storage in `directory` and
  /// recovers its state: see the file's comment for what recovery does.
  ///
  /// - Parameter maxRecordSize: the largest record payload written or
  ///   accepted; larger appends are split over several records.
  /// - Throws: `RaftStorageError` with kind `.corruption`, naming the file
  ///   and offset, if durable bytes are damaged or the files disagree;
  ///   `.io` if the file system fails.
  public static func open(
    fileSystem: any FileSystem, directory: String, maxRecordSize: Int = LogFormat.defaultMaxRecordSize
  ) throws(RaftStorageError) -> RaftStorage {
    let files = RaftFiles(fileSystem: fileSystem, directory: directory)
    var report = RecoveryReport()
    var stats = Stats()
    try files.io("creating the directory", directory) { () throws(FileSystemError) in
      try fileSystem.prepareDatabaseDirectory(directory, create: true)
    }
    let names = try files.io("listing", directory) { () throws(FileSystemError) in
      try fileSystem.listDirectory(directory)
    }

    // A temporary file is a write that a crash cut short before its rename:
    // the file it was to replace is still the one that counts.
    for name in [logTemporaryName, snapshotTemporaryName] where names.contains(name) {
      try files.io("removing the leftover", name) { () throws(FileSystemError) in
        try fileSystem.removeFile(files.path(name))
      }
      report.removedTemporaryFiles.append(name)
    }
    if !report.removedTemporaryFiles.isEmpty {
      try files.syncDirectory()
      stats.directorySyncs += 1
    }

    let snapshot = try files.readSnapshot()
    guard names.contains(logName) else {
      // The log is created before any snapshot can be saved, and only ever
      // replaced by a rename: a snapshot without a log is a log lost.
      if snapshot != nil {
        throw RaftStorageError(.corruption, file: logName, "missing, but \(snapshotName) exists")
      }
      let log = try files.io("creating", logName) { () throws(FileSystemError) in
        try fileSystem.openWritable(files.path(logName), mode: .createNew)
      }
      try files.syncDirectory()
      stats.directorySyncs += 1
      report.createdLog = true
      return RaftStorage(
        files: files, maxRecordSize: maxRecordSize, log: log, state: RecoveredState(), recovery: report, stats: stats)
    }

    var replay = try files.replayLog(maxRecordSize: maxRecordSize, report: &report)
    let metadata = snapshot?.metadata ?? SnapshotMetadata()
    guard replay.start.index <= metadata.index else {
      throw RaftStorageError(
        .corruption, file: logName, offset: 0,
        "the log starts after index \(replay.start.index), but "
          + (snapshot == nil ? "there is no snapshot" : "\(snapshotName) ends at index \(metadata.index)"))
    }
    if replay.start.index == metadata.index {
      guard replay.start.term == metadata.term else {
        throw RaftStorageError(
          .corruption, file: logName, offset: 0,
          "the log starts after index \(replay.start.index) term \(replay.start.term), "
            + "but \(snapshotName) ends there at term \(metadata.term)")
      }
      let log = try files.io("opening", logName) { () throws(FileSystemError) in
        try fileSystem.openWritable(files.path(logName), mode: .append)
      }
      if report.tornTailOffset != nil {
        // Make the cut durable before anything is appended after it.
        try files.io("syncing the cut of", logName) { () throws(FileSystemError) in try log.sync(.data) }
        stats.syncs += 1
      }
      let state = RecoveredState(hardState: replay.hardState, snapshot: metadata, entries: replay.entries)
      return RaftStorage(
        files: files, maxRecordSize: maxRecordSize, log: log, state: state, recovery: report, stats: stats)
    }

    // The snapshot was saved but the log not yet rewritten: finish the job.
    replay.entries = compacted(replay.entries, after: replay.start.index, by: metadata)
    let rewrite = try files.rewriteLog(
      start: metadata, hardState: replay.hardState, entries: replay.entries, maxRecordSize: maxRecordSize)
    stats.countRewrite(records: rewrite.records, bytes: rewrite.bytes)
    report.finishedCompaction = true
    let state = RecoveredState(hardState: replay.hardState, snapshot: metadata, entries: replay.entries)
    return RaftStorage(
      files: files, maxRecordSize: maxRecordSize, log: rewrite.file, state: state, recovery: report, stats: stats)
  }
}

extension RaftStorage {
  /// What `RaftStorage.open` found and repaired.
  public struct RecoveryReport: Sendable, Equatable, CustomStringConvertible {
    /// Log records replayed.
    public var records = 0
    /// Bytes cut from a torn tail of the log (0 if none).
    public var truncatedBytes = 0
    /// Where the torn tail started, if there was one.
    public var tornTailOffset: Int?
    /// Why `LogReader` called it torn.
    public var tornTailReason = ""
    /// Temporary files a crash had left, now removed.
    public var removedTemporaryFiles: [String] = []
    /// Whether there was no log and an empty one was created.
    public var createdLog = false
    /// Whether a snapshot had been saved but its log compaction not done, and
    /// recovery did it.
    public var finishedCompaction = false

    public init() {}

    public var description: String {
      var parts = ["\(records) record(s) replayed"]
      if createdLog { parts.append("new log created") }
      if let offset = tornTailOffset {
        parts.append("torn tail at offset \(offset) cut (\(truncatedBytes) bytes: \(tornTailReason))")
      }
      if !removedTemporaryFiles.isEmpty {
        parts.append("removed \(removedTemporaryFiles.joined(separator: ", "))")
      }
      if finishedCompaction { parts.append("finished an interrupted log compaction") }
      return parts.joined(separator: "; ")
    }
  }
}

/// A Raft storage operation that failed: what, and where (file and offset
/// when there is one).
public struct RaftStorageError: Error, Equatable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// Bytes that were once durable are damaged, or the files disagree.
    case corruption
    /// The call broke its preconditions; nothing was written.
    case misuse
    /// The file system failed; `underlying` says how.
    case io
    /// An earlier write failed, so the storage refuses to write more.
    case failedEarlier
  }

  public var kind: Kind
  /// The file's name within the node's directory, if one is concerned.
  public var file: String?
  /// The offset in `file` of the damaged record, for corruption.
  public var offset: Int?
  /// What went wrong.
  public var message: String
  /// The file system's own error, for `.io`.
  public var underlying: FileSystemError?

  public init(
    _ kind: Kind, file: String? = nil, offset: Int? = nil, _ message: String, underlying: FileSystemError? = nil
  ) {
    self.kind = kind
    self.file = file
    self.offset = offset
    self.message = message
    self.underlying = underlying
  }

  public var description: String {
    var place = ""
    if let file { place = " " + file }
    if let offset { place += " at offset \(offset)" }
    switch kind {
    case .corruption:
      return "raft storage corruption in" + (place.isEmpty ? " the node's files" : place) + ": " + message
    case .misuse, .io, .failedEarlier: return "raft storage" + place + ": " + message
    }
  }
}

// MARK: - Record payloads

/// The record types of `raft.log` (see the table at the top of the file).
private enum RecordType: UInt8 {
  case entries = 1
  case hardState = 2
  case truncate = 3
  case logStart = 4
}

/// Building record payloads.
private enum RecordPayload {
  static func hardState(_ state: HardState) -> Bytes {
    var payload: Bytes = [RecordType.hardState.rawValue]
    state.encode(into: &payload)
    return payload
  }

  static func logStart(_ metadata: SnapshotMetadata) -> Bytes {
    var payload: Bytes = [RecordType.logStart.rawValue]
    payload.appendVarint(metadata.index)
    payload.appendVarint(metadata.term)
    return payload
  }

  /// The payloads that write `entries`, the first one a truncate record if
  /// `truncatingFrom` is given; a new payload starts whenever the next entry
  /// would take one over `maxRecordSize`.
  static func entries(
    _ entries: [Entry], truncatingFrom: LogIndex?, maxRecordSize: Int
  ) throws(RaftStorageError) -> [Bytes] {
    var payloads: [Bytes] = []
    var current: Bytes = [RecordType.entries.rawValue]
    if let from = truncatingFrom {
      current = [RecordType.truncate.rawValue]
      current.appendVarint(from)
    }
    var encoded = Bytes()
    for entry in entries {
      encoded.removeAll(keepingCapacity: true)
      entry.encode(into: &encoded)
      guard 1 + encoded.count <= maxRecordSize else {
        throw RaftStorageError(
          .misuse,
          "append: entry \(entry) encodes to \(encoded.count) bytes, over the \(maxRecordSize)-byte record limit")
      }
      // Close the record when the entry would not fit, unless it is an
      // entries record still empty (the guard above says the entry fits one).
      if current.count + encoded.count > maxRecordSize && current.count > 1 {
        payloads.append(current)
        current = [RecordType.entries.rawValue]
      }
      current.append(contentsOf: encoded)
    }
    payloads.append(current)
    return payloads
  }
}

/// The entries of a log starting after `start` that remain once a snapshot
/// ending at `snapshot` is taken: those after the snapshot's last entry if
/// the log holds that entry with the same term, none otherwise.
private func compacted(_ entries: [Entry], after start: LogIndex, by snapshot: SnapshotMetadata) -> [Entry] {
  guard snapshot.index > start else { return entries }
  let position = snapshot.index - start - 1
  guard position < LogIndex(entries.count), entries[Int(position)].term == snapshot.term else { return [] }
  return Array(entries[Int(position + 1)...])
}

/// The state `open` hands to a new `RaftStorage`.
private struct RecoveredState {
  var hardState = HardState()
  var snapshot = SnapshotMetadata()
  var entries: [Entry] = []
}

/// What replaying `raft.log` gave.
private struct Replay {
  /// The log's start (index and term; voters unknown).
  var start = SnapshotMetadata()
  var hardState = HardState()
  /// The entries after `start`, contiguous.
  var entries: [Entry] = []

  var lastIndex: LogIndex { start.index + LogIndex(entries.count) }
}

// MARK: - The files

/// The directory and the file operations on it, with every file-system
/// error turned into a `RaftStorageError` that names the file.
private struct RaftFiles {
  let fileSystem: any FileSystem
  let directory: String

  /// A snapshot may be far larger than a log record; the 32-bit length field
  /// is its only limit.
  static let maxSnapshotRecordSize = Int(UInt32.max)

  func path(_ name: String) -> String { joinPath(directory, name) }

  /// Runs a file-system call, turning its error into an `.io` error that
  /// says what was being done to which file.
  func io<Result>(
    _ doing: String, _ name: String, _ body: () throws(FileSystemError) -> Result
  ) throws(RaftStorageError) -> Result {
    do {
      return try body()
    } catch {
      throw RaftStorageError(.io, file: name, "\(doing) \(name) failed: \(error)", underlying: error)
    }
  }

  func syncDirectory() throws(RaftStorageError) {
    try io("syncing the directory", directory) { () throws(FileSystemError) in
      try fileSystem.syncDirectory(directory)
    }
  }

  // MARK: Snapshot file

  /// Reads and checks `raft.snapshot`, or returns `nil` if there is none.
  func readSnapshot() throws(RaftStorageError) -> Snapshot? {
    let name = RaftStorage.snapshotName
    guard fileSystem.fileExists(path(name)) else { return nil }
    let bytes = try io("reading", name) { () throws(FileSystemError) in try fileSystem.readFile(path(name)) }
    var reader = LogReader(bytes: bytes, maxRecordSize: Self.maxSnapshotRecordSize)
    let record: LogRecord
    switch reader.next() {
    case .record(let found): record = found
    case .end:
      throw RaftStorageError(.corruption, file: name, offset: 0, "the snapshot file is empty")
    case .tornTail(let offset, let reason):
      // Synced before its rename, so no power cut can have torn it.
      throw RaftStorageError(.corruption, file: name, offset: offset, "the snapshot record is cut short: \(reason)")
    case .corrupt(let offset, let reason, _):
      throw RaftStorageError(.corruption, file: name, offset: offset, reason)
    }
    guard reader.next() == .end else {
      throw RaftStorageError(
        .corruption, file: name, offset: record.end, "\(bytes.count - record.end) bytes after the snapshot record")
    }
    var payload = ByteReader(Array(bytes[record.payloadRange]))
    do {
      let snapshot = try Snapshot.decode(from: &payload)
      guard payload.isAtEnd else {
        throw DecodingError(offset: payload.offset, "\(payload.remaining) bytes after the snapshot")
      }
      return snapshot
    } catch {
      throw RaftStorageError(
        .corruption, file: name, offset: record.offset, "the record is not a valid snapshot: \(error) of the payload")
    }
  }

  /// Writes `raft.snapshot` durably: temporary file, sync, rename,
  /// directory sync. Returns the bytes written.
  func writeSnapshot(_ snapshot: Snapshot) throws(RaftStorageError) -> Int {
    var payload = Bytes()
    snapshot.encode(into: &payload)
    guard payload.count <= Self.maxSnapshotRecordSize else {
      throw RaftStorageError(
        .misuse, file: RaftStorage.snapshotName,
        "saveSnapshot: the snapshot encodes to \(payload.count) bytes, more than one record can hold")
    }
    var record = Bytes()
    LogFormat.frame(payload, into: &record)
    let temporary = RaftStorage.snapshotTemporaryName
    try writeSynced(record, to: temporary)
    try io("renaming \(temporary) over", RaftStorage.snapshotName) { () throws(FileSystemError) in
      try fileSystem.rename(path(temporary), to: path(RaftStorage.snapshotName))
    }
    try syncDirectory()
    return record.count
  }

  /// Writes `bytes` as the whole content of `name` and syncs it.
  private func writeSynced(_ bytes: Bytes, to name: String) throws(RaftStorageError) {
    // `.truncate`, not `.createNew`: a leftover from a crash is garbage.
    let file = try io("creating", name) { () throws(FileSystemError) in
      try fileSystem.openWritable(path(name), mode: .truncate)
    }
    defer { try? file.close() }
    try io("writing", name) { () throws(FileSystemError) in try file.append(bytes) }
    try io("syncing", name) { () throws(FileSystemError) in try file.sync(.data) }
  }

  // MARK: Log file

  /// Replaces `raft.log` with a log that starts after `start` and holds
  /// `hardState` and `entries`: temporary file, sync, rename, directory
  /// sync. Returns the new log open for appending.
  func rewriteLog(
    start: SnapshotMetadata, hardState: HardState, entries: [Entry], maxRecordSize: Int
  ) throws(RaftStorageError) -> (file: any WritableFile, records: Int, bytes: Int) {
    var payloads = [RecordPayload.logStart(start), RecordPayload.hardState(hardState)]
    if !entries.isEmpty {
      payloads += try RecordPayload.entries(entries, truncatingFrom: nil, maxRecordSize: maxRecordSize)
    }
    var buffer = Bytes()
    for payload in payloads { LogFormat.frame(payload, into: &buffer) }
    let temporary = RaftStorage.logTemporaryName
    try writeSynced(buffer, to: temporary)
    try io("renaming \(temporary) over", RaftStorage.logName) { () throws(FileSystemError) in
      try fileSystem.rename(path(temporary), to: path(RaftStorage.logName))
    }
    // Until this sync the old log may come back in a power cut, and with it
    // would go anything appended to the new one, synced or not.
    try syncDirectory()
    let file = try io("opening", RaftStorage.logName) { () throws(FileSystemError) in
      try fileSystem.openWritable(path(RaftStorage.logName), mode: .append)
    }
    return (file, payloads.count, buffer.count)
  }

  /// Reads `raft.log` record by record and rebuilds the state it holds; cuts
  /// a torn tail off the file (the caller syncs the cut).
  func replayLog(maxRecordSize: Int, report: inout RaftStorage.RecoveryReport) throws(RaftStorageError) -> Replay {
    let name = RaftStorage.logName
    let bytes = try io("reading", name) { () throws(FileSystemError) in try fileSystem.readFile(path(name)) }
    var reader = LogReader(bytes: bytes, maxRecordSize: maxRecordSize)
    var replay = Replay()
    while true {
      switch reader.next() {
      case .record(let record):
        try apply(Array(bytes[record.payloadRange]), at: record.offset, isFirst: report.records == 0, to: &replay)
        report.records += 1
      case .end:
        return replay
      case .tornTail(let offset, let reason):
        try io("cutting the torn tail of", name) { () throws(FileSystemError) in
          try fileSystem.truncateFile(path(name), to: offset)
        }
        report.truncatedBytes = bytes.count - offset
        report.tornTailOffset = offset
        report.tornTailReason = reason
        return replay
      case .corrupt(let offset, let reason, _):
        throw RaftStorageError(.corruption, file: name, offset: offset, reason)
      }
    }
  }

  /// Applies one record's payload to the replayed state, checking that it
  /// is a record a writer makes.
  private func apply(
    _ payload: Bytes, at offset: Int, isFirst: Bool, to replay: inout Replay
  ) throws(RaftStorageError) {
    func corrupt(_ reason: String) -> RaftStorageError {
      RaftStorageError(.corruption, file: RaftStorage.logName, offset: offset, reason)
    }
    var reader = ByteReader(payload)
    do {
      let typeByte = try reader.readByte()
      guard let type = RecordType(rawValue: typeByte) else { throw corrupt("unknown record type \(typeByte)") }
      switch type {
      case .hardState:
        replay.hardState = try HardState.decode(from: &reader)
        guard reader.isAtEnd else { throw corrupt("\(reader.remaining) bytes after the hard state") }
      case .logStart:
        guard isFirst else { throw corrupt("a log-start record after the first record") }
        replay.start = SnapshotMetadata(index: try reader.readVarint(), term: try reader.readVarint())
        guard reader.isAtEnd else { throw corrupt("\(reader.remaining) bytes after the log start") }
      case .entries:
        guard !reader.isAtEnd else { throw corrupt("an entries record with no entries") }
        try appendEntries(from: &reader, to: &replay, corrupt: corrupt)
      case .truncate:
        let from = try reader.readVarint()
        guard from > replay.start.index, from - 1 <= replay.lastIndex else {
          throw corrupt(
            "truncation from index \(from) outside the log, which holds \(replay.start.index + 1)...\(replay.lastIndex)"
          )
        }
        replay.entries.removeLast(Int(replay.lastIndex - (from - 1)))
        try appendEntries(from: &reader, to: &replay, corrupt: corrupt)
      }
    } catch let error as DecodingError {
      throw corrupt("undecodable payload: \(error) of the payload")
    } catch let error as RaftStorageError {
      throw error
    } catch {
      throw corrupt("\(error)")
    }
  }

  /// Decodes entries to the end of the payload, each right after the last.
  private func appendEntries(
    from reader: inout ByteReader, to replay: inout Replay, corrupt: (String) -> RaftStorageError
  ) throws {
    while !reader.isAtEnd {
      let entry = try Entry.decode(from: &reader)
      guard entry.index == replay.lastIndex + 1 else {
        throw corrupt("entry \(entry) does not follow the log's last index \(replay.lastIndex)")
      }
      replay.entries.append(entry)
    }
  }
}
