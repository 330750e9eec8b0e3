import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Foundation

/// Chapter 4's engine: chapter 3's log, memtables and tables, with a
/// manifest that says which tables are live.
///
/// Chapter 3 learned its tables from the directory listing, which cannot
/// tell a finished table from one a crash interrupted, nor say anything
/// about a table beyond its name. Here every change to the set of tables is
/// a `VersionEdit`, durable in the manifest before it takes effect, and the
/// set itself is a `Version`: immutable, so a reader that starts on one
/// keeps seeing exactly those tables until it is done.
///
/// A flush now goes:
///
/// 1. write the table under its final name, `fsync` it, `fsync` the
///    directory (no temporary name: until the manifest names it, a table is
///    not part of the database, and recovery removes it as an orphan);
/// 2. append the edit (add the table to level 0; logs before the active
///    memtable's are no longer needed) to the manifest and sync it: this is
///    the moment the flush happens;
/// 3. make the new version current;
/// 4. retire the logs the edit says are no longer needed.
public final class Database: SnapshotStore, @unchecked Sendable {
  /// Settings fixed at open.
  public struct Options: Sendable {
    public var maxRecordSize = LogFormat.defaultMaxRecordSize
    public var createIfMissing = true
    public var maxGroupBytes = 1 << 20
    public var skipListSeed = SkipList.defaultSeed
    /// A memtable using more arena bytes than this is frozen and flushed.
    public var memtableSize = 4 << 20
    /// How tables are built.
    public var table = TableOptions()
    /// When the manifest is rewritten.
    public var versions = VersionSet.Options()
    /// Flush on a background thread (`true`), or inline in the write that
    /// fills the memtable (`false`: deterministic, for the shell's notebooks).
    public var backgroundFlush = true
    /// A deliberate bug, for the crash test that must catch it: record a
    /// table in the manifest without first making it durable.
    var recordBeforeTableIsDurable = false

    public init() {}
  }

  public let directory: String
  public let options: Options
  public let snapshots = SnapshotList()
  /// The versions, the manifest and the file counter.
  public let versions: VersionSet
  private let fileSystem: any FileSystem
  private let tracer: Tracer
  private let commits: CommitQueue

  /// Chapter 3's active and frozen memtables and flush loop, with this
  /// chapter's flush; its lock also guards the two variables below.
  private let writeBuffer: Memtables
  private var isClosed = false
  private var nextIteratorID = 1

  private init(
    directory: String, fileSystem: any FileSystem, options: Options, tracer: Tracer, versions: VersionSet,
    active: Memtable, activeLog: LogWriter, activeLogNumbers: [UInt64], sequence: SequenceNumber
  ) {
    self.directory = directory
    self.fileSystem = fileSystem
    self.options = options
    self.tracer = tracer
    self.versions = versions
    self.writeBuffer = Memtables(
      directory: directory, fileSystem: fileSystem,
      settings: .init(
        memtableSize: options.memtableSize, maxRecordSize: options.maxRecordSize, skipListSeed: options.skipListSeed,
        backgroundFlush: options.backgroundFlush),
      tracer: tracer, active: active, activeLog: activeLog, activeLogNumbers: activeLogNumbers,
      newFileNumber: { versions.newFileNumber() })
    self.commits = CommitQueue(
      lastSequence: sequence, maxGroupBytes: options.maxGroupBytes, maxRecordSize: options.maxRecordSize)
    writeBuffer.flusher = { [unowned self] frozen in try flush(frozen) }
  }

  // MARK: Opening and recovery

  // snippet: open-manifest
  /// Opens the database: `CURRENT` → manifest → tables → the logs the
  /// manifest says are still needed. Files no version names are removed,
  /// each with the reason.
  public static func open(
    directory: String, fileSystem: any FileSystem, options: Options = .init(), tracer: Tracer = .disabled
  ) throws -> Database {
    try fileSystem.prepareDatabaseDirectory(directory, create: options.createIfMissing)
    let names = try fileSystem.listDirectory(directory)
    let tableNumbers = names.compactMap(TableFileNames.tableNumber)
    let logNumbers = names.compactMap(LogFormat.number(fromFileName:)).sorted()
    func remove(_ name: String, _ reason: String, why: String) throws {
      try fileSystem.removeFile(joinPath(directory, name))
      tracer(.manifest, "remove", name, reason, why: why)
    }

    let recovered: VersionSet.Recovered
    if let current = try Current.read(in: directory, fileSystem: fileSystem) {
      recovered = try VersionSet.recover(
        manifest: current, directory: directory, fileSystem: fileSystem, options: options.versions, tracer: tracer)
      for name in names where ManifestFileNames.manifestNumber(name) != nil && name != current {
        try remove(name, "CURRENT names \(current)", why: "a manifest rewrite was cut short, or finished")
      }
    } else {
      guard tableNumbers.isEmpty && logNumbers.isEmpty else {
        throw ManifestError.noCurrent(tables: tableNumbers.count, logs: logNumbers.count)
      }
      for name in names where ManifestFileNames.manifestNumber(name) != nil {
        try remove(name, "no CURRENT names it", why: "creating the database was cut short before CURRENT")
      }
      recovered = try VersionSet.create(
        directory: directory, fileSystem: fileSystem, options: options.versions, tracer: tracer)
    }
    if names.contains(ManifestFileNames.currentTemporary) {
      try remove(
        ManifestFileNames.currentTemporary, "never renamed", why: "a switch of CURRENT was cut short; CURRENT stands")
    }
    let versions = recovered.versionSet
    let live = Set(versions.current.tables.map(\.number))
    for number in tableNumbers where !live.contains(number) {
      try remove(
        TableFileNames.table(number), "orphan: no manifest edit names it",
        why: "a crash came after the table was written and before its edit was durable; its log still holds it")
    }
    for name in names where TableFileNames.isTemporary(name) {
      try remove(name, "never published", why: "an unfinished table")
    }
    for number in tableNumbers + logNumbers { versions.markFileNumberUsed(number) }

    let memtable = Memtable(seed: options.skipListSeed)
    var sequence = recovered.lastSequence
    var previous: SequenceNumber?
    var lastLogRecords = 0
    var needed: [UInt64] = []
    for number in logNumbers {
      guard number >= recovered.logNumber else {
        try remove(
          LogFormat.fileName(number: number), "obsolete: the manifest starts recovery at log \(recovered.logNumber)",
          why: "its records are all in tables; a crash came before the log was retired")
        continue
      }
      let replayed = try LogRecovery.replay(
        log: LogFormat.fileName(number: number), in: directory, fileSystem: fileSystem, after: previous,
        maxRecordSize: options.maxRecordSize, tracer: tracer
      ) { batch, first in memtable.insert(batch, from: first) }
      if replayed.records > 0 { previous = replayed.lastSequence }
      sequence = max(sequence, replayed.lastSequence)
      lastLogRecords = replayed.records
      needed.append(number)
    }
    // end snippet

    let log: LogWriter
    if let last = needed.last {
      log = try LogWriter.resume(
        number: last, records: lastLogRecords, in: directory, fileSystem: fileSystem,
        maxRecordSize: options.maxRecordSize)
    } else {
      let number = versions.newFileNumber()
      log = try LogWriter.create(
        number: number, in: directory, fileSystem: fileSystem, maxRecordSize: options.maxRecordSize, tracer: tracer)
      needed = [number]
    }
    let tableCount = versions.current.tables.count
    tracer(
      .db, "open", "\(plural(tableCount, "table")), \(plural(memtable.count, "entry", "entries")) in memory",
      "last seq \(sequence), appending to \(log.name)",
      why: "the manifest names the tables; the logs it still needs replay what was not flushed")
    return Database(
      directory: directory, fileSystem: fileSystem, options: options, tracer: tracer, versions: versions,
      active: memtable, activeLog: log, activeLogNumbers: needed, sequence: sequence)
  }

  // MARK: Writing

  public func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    try commits.commit(batch, sync: options.sync, persist: writeBuffer.persist, apply: writeBuffer.apply)
  }

  // snippet: flush-with-manifest
  /// The flush itself, called by chapter 3's flush loop (`Memtables`) with
  /// a frozen memtable: write the table, durably; record it in the
  /// manifest, which makes it current; and, once the frozen memtable is
  /// dropped, retire the logs the edit says are no longer needed.
  private func flush(_ frozen: Memtables.Frozen) throws -> (publish: () -> Void, afterwards: () throws -> Void) {
    let table = try writeTable(frozen.memtable)
    var edit = VersionEdit()
    edit.added = [(0, table.metadata)]
    edit.logNumber = frozen.successorLog
    edit.lastSequence = table.reader.properties.largestSequence
    try versions.apply(edit, added: [table])
    return ({}, { try self.retireLogs(frozen.logNumbers, recoveryStartsAt: frozen.successorLog) })
  }
  // end snippet

  /// Writes a table from `entries` under a fresh number, makes it durable
  /// (file and name), and opens it.
  private func writeTable(_ memtable: Memtable) throws -> TableFile {
    var entries = memtable.list.makeIterator()
    entries.seekToFirst()
    return try writeTable { builder in
      while entries.isValid {
        try builder.add(entries.key, value: entries.value)
        entries.next()
      }
    }
  }

  // snippet: write-table-durably
  private func writeTable(_ fill: (TableBuilder) throws -> Void) throws -> TableFile {
    let number = versions.newFileNumber()
    let name = TableFileNames.table(number)
    let file = try fileSystem.openWritable(joinPath(directory, name), mode: .createNew)
    defer { try? file.close() }
    let builder = TableBuilder(file: file, name: name, options: options.table, tracer: tracer)
    try fill(builder)
    let properties = try builder.finish()
    if !options.recordBeforeTableIsDurable {
      try file.sync(.full)
      try fileSystem.syncDirectory(directory)
      tracer(
        .fs, "fsync", name, "\(file.size) B and its name durable (file, then directory)",
        why: "the manifest is about to name this table; it must be on disk before any edit points at it")
    }
    let reader = try TableReader.open(
      path: joinPath(directory, name), name: name, fileSystem: fileSystem, tracer: tracer)
    let metadata = TableMetadata(
      number: number, fileSize: UInt64(file.size), entryCount: UInt64(properties.entryCount),
      smallest: properties.smallestKey, largest: properties.largestKey)
    return TableFile(metadata: metadata, reader: reader)
  }
  // end snippet

  /// The edit is durable, so the logs before `first` can go.
  private func retireLogs(_ numbers: [UInt64], recoveryStartsAt first: UInt64) throws {
    for number in numbers where number < first {
      let name = LogFormat.fileName(number: number)
      try fileSystem.removeFile(joinPath(directory, name))
      tracer(
        .wal, "retire", name, "the manifest now starts recovery at log \(first)",
        why: "its records are in a table the manifest names; had it gone before the edit was durable, a crash "
          + "could lose writes")
    }
  }

  /// Freezes the active memtable (if it holds anything) and flushes it now,
  /// in the commit queue's order, so no leader is writing meanwhile.
  public func flush() throws {
    try commits.barrier { try writeBuffer.flushNow() }
  }

  // snippet: merge-tables
  /// Merges every table into one, on level 1, keeping every version of
  /// every key (no snapshot loses anything), and records the change as one
  /// edit: delete the inputs, add the output. The inputs leave the disk
  /// when no pinned version needs them.
  ///
  /// This is the smallest possible compaction, here to show a version
  /// dropping tables; chapter 6 does it incrementally, in the background,
  /// and drops what no snapshot can see. Writers wait while it runs.
  ///
  /// - Returns: the new table, or `nil` if there was nothing to merge.
  @discardableResult
  public func mergeTables() throws -> TableMetadata? {
    try commits.barrier {
      try writeBuffer.waitForFlush()
      let version = versions.current
      let inputs = version.levels.enumerated().flatMap { level, tables in tables.map { (level, $0) } }
      guard inputs.count > 1 || version.levels[0].count == 1 else {
        tracer(.manifest, "merge", "nothing to merge", plural(inputs.count, "table"))
        return nil
      }
      do {
        let output = try writeTable { builder in
          var merged = MergingIterator(inputs.map { $0.1.reader.makeIterator() })
          try merged.seekToFirst()
          while merged.isValid {
            try builder.add(merged.key, value: merged.value)
            try merged.next()
          }
        }
        tracer(
          .manifest, "merge", inputs.map(\.1.name).joined(separator: " ") + " → \(output.name)",
          "\(plural(Int(output.metadata.entryCount), "entry", "entries")) on level 1")
        var edit = VersionEdit()
        edit.deleted = inputs.map { ($0.0, $0.1.number) }
        edit.added = [(1, output.metadata)]
        try versions.apply(edit, added: [output], why: "merged into \(output.name)")
        return output.metadata
      } catch {
        writeBuffer.fail(error, "merge")
        throw error
      }
    }
  }
  // end snippet

  // MARK: Reading

  // snippet: read-sources
  /// The memtables and the pinned current version an iterator reads. Both
  /// are taken under the lock a flush takes to drop the frozen memtable,
  /// which it does only once its table is in the current version: a reader
  /// may see the data in both, never in neither.
  private func sources(for holder: String) -> (memtables: [Memtable], pin: VersionSet.Pin) {
    writeBuffer.lock.lock()
    defer { writeBuffer.lock.unlock() }
    return (writeBuffer.readableLocked, versions.pin(holder))
  }

  /// The same for a point read, which pins its version only for a moment:
  /// a count rather than a named pin. Pair it with `versions.endRead`.
  private func readSources() -> (memtables: [Memtable], version: Version) {
    writeBuffer.lock.lock()
    defer { writeBuffer.lock.unlock() }
    return (writeBuffer.readableLocked, versions.beginRead())
  }
  // end snippet

  public func get(_ key: Bytes) throws -> Bytes? { try get(key, atSequence: commits.lastSequence) }

  public func get(_ key: Bytes, at snapshot: SnapshotList.Snapshot) throws -> Bytes? {
    try get(key, atSequence: snapshot.sequence)
  }

  private func get(_ key: Bytes, atSequence sequence: SequenceNumber) throws -> Bytes? {
    let (memtables, version) = readSources()
    defer { versions.endRead(version) }
    for memtable in memtables {
      switch memtable.get(key, snapshot: sequence) {
      case .found(let value): return value
      case .deleted: return nil
      case .notFound: continue
      }
    }
    for table in version.candidates(for: key) {
      switch try table.reader.get(key, snapshot: sequence).result {
      case .found(let value): return value
      case .deleted: return nil
      case .notFound: continue
      }
    }
    return nil
  }

  public func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] {
    try scan(from: from, to: to, atSequence: commits.lastSequence)
  }

  public func scan(from: Bytes?, to: Bytes?, at snapshot: SnapshotList.Snapshot) throws -> [KeyValuePair] {
    try scan(from: from, to: to, atSequence: snapshot.sequence)
  }

  private func scan(from: Bytes?, to: Bytes?, atSequence sequence: SequenceNumber) throws -> [KeyValuePair] {
    let iterator = makeIterator(atSequence: sequence, holder: "a scan")
    defer { iterator.close() }
    if let from { try iterator.seek(from) } else { try iterator.seekToFirst() }
    var result: [KeyValuePair] = []
    while iterator.isValid {
      if let to, compareBytes(iterator.key, to) >= 0 { break }
      result.append(KeyValuePair(key: iterator.key, value: iterator.value))
      try iterator.next()
    }
    return result
  }

  /// An iterator over the database as it is now (or at `snapshot`),
  /// holding its version until it is closed.
  public func makeIterator(at snapshot: SnapshotList.Snapshot? = nil) -> Iterator {
    writeBuffer.lock.lock()
    let id = nextIteratorID
    nextIteratorID += 1
    writeBuffer.lock.unlock()
    return makeIterator(atSequence: snapshot?.sequence ?? commits.lastSequence, holder: "iterator \(id)", id: id)
  }

  private func makeIterator(atSequence sequence: SequenceNumber, holder: String, id: Int = 0) -> Iterator {
    let (memtables, pin) = sources(for: holder)
    var sources: [any InternalIterator] = memtables.map { $0.list.makeIterator() }
    sources += pin.version.tables.map { $0.reader.makeIterator() }
    return Iterator(id: id, merging: DatabaseIterator(merging: sources, snapshot: sequence), pin: pin)
  }

  // MARK: Snapshots

  public func snapshot() -> SnapshotList.Snapshot { snapshots.acquire(at: commits.lastSequence) }

  @discardableResult
  public func release(_ snapshot: SnapshotList.Snapshot) -> Bool { snapshots.release(snapshot) }

  public func snapshot(id: Int) -> SnapshotList.Snapshot? { snapshots.snapshot(id: id) }

  // MARK: Inspection

  public var lastSequence: SequenceNumber { commits.lastSequence }

  /// The active memtable and, while a flush runs, the frozen one.
  public var memtables: (active: Memtable, immutable: Memtable?) { writeBuffer.current }

  /// The log being written, and every log still needed by recovery.
  public var logStatus: (name: String, status: LogWriter.Status, needed: [UInt64]) {
    writeBuffer.lock.lock()
    defer { writeBuffer.lock.unlock() }
    return (
      writeBuffer.activeLog.name, writeBuffer.activeLog.status,
      (writeBuffer.immutable?.logNumbers ?? []) + writeBuffer.activeLogNumbers
    )
  }

  /// Every file in the directory with what it is to the database: `show
  /// files`.
  public func fileReport() throws -> [(name: String, status: String)] {
    let tables = versions.tableStatus()
    let logs = Set(logStatus.needed)
    let manifest = versions.manifestStatus
    return try fileSystem.listDirectory(directory).sorted().map { name in
      if name == ManifestFileNames.current { return (name, "live     names \(manifest.name)") }
      if name == manifest.name { return (name, "live     the manifest, \(plural(manifest.edits, "edit"))") }
      if let number = TableFileNames.tableNumber(name) { return (name, tables[number] ?? "orphan   in no version") }
      if let number = LogFormat.number(fromFileName: name) {
        return (name, logs.contains(number) ? "live     log, not yet flushed" : "obsolete log, not yet retired")
      }
      return (name, "unknown")
    }
  }

  /// Waits until no flush is running and none is pending.
  public func waitForFlush() { try? writeBuffer.waitForFlush() }

  /// Waits for a running flush, then closes the log and the manifest.
  /// Iterators still open keep reading what they hold, but no file is
  /// removed after this.
  public func close() throws {
    waitForFlush()
    commits.close()
    writeBuffer.lock.lock()
    defer { writeBuffer.lock.unlock() }
    guard !isClosed else { return }
    isClosed = true
    try writeBuffer.activeLog.close()
    try versions.close()
  }
}

// snippet: pinned-iterator
/// A scan in progress: chapter 3's merging iterator over the memtables and
/// the tables of one version, which it pins until `close` (or until it is
/// freed). A flush or merge that happens meanwhile changes the current
/// version, not this one, and the tables it reads stay on disk.
public final class Iterator {
  public let id: Int
  private var inner: DatabaseIterator
  private let pin: VersionSet.Pin

  init(id: Int, merging inner: DatabaseIterator, pin: VersionSet.Pin) {
    self.id = id
    self.inner = inner
    self.pin = pin
  }

  /// The version the iterator reads.
  public var version: Version { pin.version }
  public var snapshot: SequenceNumber { inner.snapshot }
  public var isValid: Bool { inner.isValid }
  public var key: Bytes { inner.key }
  public var value: Bytes { inner.value }

  public func seekToFirst() throws { try inner.seekToFirst() }
  public func seek(_ key: Bytes) throws { try inner.seek(key) }
  public func next() throws { try inner.next() }

  /// Releases the version (idempotent).
  public func close() { pin.release() }
}
// end snippet
