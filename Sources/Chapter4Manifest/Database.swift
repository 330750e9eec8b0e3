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
///
/// The engine itself is chapter 3's `Engine`, composed, not copied: the
/// write path, the memtables and their flush loop, the read loop, scans and
/// snapshots. This chapter supplies `VersionedTables` (reads from a pinned
/// version, a flush that is a manifest edit), its recovery, `mergeTables`
/// and closing the manifest. Chapter 5 will replace how a table is
/// consulted; chapter 6 will replace `mergeTables` with background
/// compaction that reports its failures to `Engine.background`, as the
/// merge does here.
public final class Database: EngineDatabase, @unchecked Sendable {
  /// Settings fixed at open: chapter 3's (`base`, whose members read and
  /// write as this type's own: `options.memtableSize`), and the manifest's.
  @dynamicMemberLookup
  public struct Options: Sendable {
    /// The log, memtable, table and flush settings, as in chapter 3.
    public var base = Chapter3SSTable.Database.Options()
    /// When the manifest is rewritten.
    public var versions = VersionSet.Options()
    /// A deliberate bug, for the crash test that must catch it: record a
    /// table in the manifest without first making it durable.
    var recordBeforeTableIsDurable = false

    public init() {}

    public subscript<T>(dynamicMember member: WritableKeyPath<Chapter3SSTable.Database.Options, T>) -> T {
      get { base[keyPath: member] }
      set { base[keyPath: member] = newValue }
    }

    public subscript<T>(dynamicMember member: KeyPath<Chapter3SSTable.Database.Options, T>) -> T {
      base[keyPath: member]
    }
  }

  public let directory: String
  public let options: Options
  /// Chapter 3's engine, over this chapter's versioned tables.
  public let engine: Engine<VersionedTables>
  private let fileSystem: any FileSystem
  private let tracer: Tracer
  /// Guarded by the memtables' lock (`Memtables.withLock`).
  private var nextIteratorID = 1

  private init(
    directory: String, versions: VersionSet, recovered: Engine<VersionedTables>.Recovered, _ options: Options,
    _ fileSystem: any FileSystem, _ tracer: Tracer
  ) {
    self.directory = directory
    self.fileSystem = fileSystem
    self.options = options
    self.tracer = tracer
    let settings = VersionedTables.Settings(
      directory: directory, table: options.table, recordBeforeTableIsDurable: options.recordBeforeTableIsDurable)
    self.engine = Engine(
      directory: directory, fileSystem: fileSystem, settings: options.memtables, maxGroupBytes: options.maxGroupBytes,
      tracer: tracer, recovered: recovered,
      tables: VersionedTables(versions: versions, settings: settings, fileSystem: fileSystem, tracer: tracer))
  }

  /// The versions, the manifest and the file counter.
  public var versions: VersionSet { engine.tables.versions }

  // MARK: Opening and recovery

  /// Opens the database, every table kept open (`OpenTables`).
  public static func open(
    directory: String, fileSystem: any FileSystem, options: Options = .init(), tracer: Tracer = .disabled
  ) throws -> Database {
    try open(
      directory: directory, fileSystem: fileSystem, options: options, tracer: tracer, chapter: 4,
      access: OpenTables(directory: directory, fileSystem: fileSystem, tracer: tracer))
  }

  // snippet: open-manifest
  /// Opens the database: `CURRENT` → manifest → tables → the logs the
  /// manifest says are still needed. Files no version names are removed,
  /// each with the reason.
  ///
  /// - Parameters:
  ///   - chapter: the chapter opening it, for `FORMAT` (a later chapter's
  ///     tables may be unreadable here).
  ///   - access: how tables are opened, consulted and written.
  public static func open(
    directory: String, fileSystem: any FileSystem, options: Options, tracer: Tracer, chapter: Int,
    access: any TableAccess
  ) throws -> Database {
    let claim = try DatabaseDirectory.claim(
      directory, for: chapter, fileSystem: fileSystem, create: options.createIfMissing, tracer: tracer)
    let recovery = Recovery(
      directory: directory, names: try fileSystem.listDirectory(directory), fileSystem: fileSystem,
      options: options, tracer: tracer, access: access,
      earlierChapter: claim.recordedChapter.map { $0 < 4 } ?? true)
    let recovered = try recovery.recoverVersions()
    let versions = recovered.versionSet
    let needed = try recovery.removeObsoleteLogs(from: recovered.logNumber)
    for number in recovery.tableNumbers + recovery.logNumbers { versions.markFileNumberUsed(number) }
    let (memtable, logs) = try recovery.replayLogs(needed, after: recovered.lastSequence) {
      versions.newFileNumber()
    }
    let sequence = max(recovered.lastSequence, logs.lastSequence)
    try recovery.removeOrphanTables(keeping: versions.current, reached: sequence)
    tracer(
      .db, "open",
      "\(Format.plural(versions.current.tables.count, "table")), \(Format.plural(memtable.count, "entry", "entries")) in memory",
      "last seq \(sequence), appending to \(logs.writer.name)",
      why: "the manifest names the tables; the logs it still needs replay what was not flushed")
    let state = Engine<VersionedTables>.Recovered(
      claim: claim, memtable: memtable, log: logs.writer, logNumbers: logs.numbers, lastSequence: sequence)
    return Database(directory: directory, versions: versions, recovered: state, options, fileSystem, tracer)
  }
  // end snippet

  /// The phases of `open`, in order, over the names the directory held.
  fileprivate struct Recovery {
    let directory: String
    let names: [String]
    let fileSystem: any FileSystem
    let options: Options
    let tracer: Tracer
    let access: any TableAccess
    /// Whether `FORMAT` says an earlier chapter wrote the directory (or
    /// says nothing), so that files without a manifest are adopted rather
    /// than refused.
    let earlierChapter: Bool

    /// The versions from the manifest `CURRENT` names (removing any other
    /// manifest, and an unfinished `CURRENT.tmp`), or a new manifest for a
    /// new database.
    func recoverVersions() throws -> VersionSet.Recovered {
      let recovered = try recoverOrCreateManifest()
      if names.contains(ManifestFileNames.currentTemporary) {
        try remove(
          ManifestFileNames.currentTemporary, "never renamed", why: "a switch of CURRENT was cut short; CURRENT stands")
      }
      return recovered
    }

    /// Removes the logs before `first`, after checking that `first` itself
    /// is there; returns the logs still needed, oldest first.
    ///
    /// - Throws: `ManifestError.missingLog` if the log the manifest starts
    ///   recovery at is gone: it was made durable before any edit named it,
    ///   so it can only be missing if it was deleted or the manifest lost
    ///   edits, and replaying what is left would silently lose writes.
    func removeObsoleteLogs(from first: UInt64) throws -> [UInt64] {
      if first > 0 && !logNumbers.contains(first) {
        throw ManifestError.missingLog(log: LogFormat.fileName(number: first), later: logNumbers.filter { $0 > first })
      }
      for number in logNumbers where number < first {
        try remove(
          LogFormat.fileName(number: number), "obsolete: the manifest starts recovery at log \(first)",
          why: "its records are all in tables; a crash came before the log was retired")
      }
      return logNumbers.filter { $0 >= first }
    }

    /// Removes the tables `version` does not name (and unfinished ones),
    /// once the logs are replayed up to `reached`. An orphan is what a crash
    /// leaves between a table and its edit, and its log still holds its
    /// writes; an orphan holding writes past `reached` holds the only copy
    /// of them, and is never removed.
    ///
    /// - Throws: `ManifestError.orphanHoldsData`, removing nothing, for such
    ///   a table: the manifest has lost an edit (a truncated manifest, say).
    func removeOrphanTables(keeping version: Version, reached: SequenceNumber) throws {
      let live = Set(version.tables.map(\.number))
      var orphans: [String] = []
      for number in tableNumbers where !live.contains(number) {
        let name = TableFileNames.table(number)
        // A table that cannot be read was never finished: a crash orphan.
        let reader = try? TableReader.open(
          path: joinPath(directory, name), name: name, fileSystem: fileSystem, tracer: .disabled)
        if let newest = reader?.properties.largestSequence, newest > reached {
          throw ManifestError.orphanHoldsData(table: name, newest: newest, reached: reached)
        }
        orphans.append(name)
      }
      for name in orphans {
        try remove(
          name, "orphan: no manifest edit names it",
          why: "a crash came after the table was written and before its edit was durable; its log still holds it")
      }
      for name in names where TableFileNames.isTemporary(name) {
        try remove(name, "never published", why: "an unfinished table")
      }
    }

    /// Replays the logs still needed into a new memtable and opens the log
    /// to append to. Records at or below `inTables` are already in a table
    /// (only in logs adopted from chapter 3, which could retire a log a
    /// little after its table was durable); they are skipped.
    func replayLogs(
      _ numbers: [UInt64], after inTables: SequenceNumber, newLogNumber: () -> UInt64
    ) throws -> (Memtable, LogSet.Recovered) {
      try LogReplay.memtable(
        from: numbers, in: directory, fileSystem: fileSystem, seed: options.skipListSeed,
        maxRecordSize: options.maxRecordSize, skippingThrough: inTables, tracer: tracer, newLogNumber: newLogNumber)
    }
  }

  // MARK: Merging

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
    try engine.barrier {
      try engine.waitForFlush()
      let version = versions.current
      let inputs = version.levels.enumerated().flatMap { level, tables in tables.map { (level, $0) } }
      guard inputs.count > 1 || version.levels[0].count == 1 else {
        tracer(.manifest, "merge", "nothing to merge", Format.plural(inputs.count, "table"))
        return nil
      }
      do {
        let (output, _) = try engine.tables.writeTable { builder in
          var merged = MergingIterator(try inputs.map { try $0.1.reader().makeIterator() })
          try merged.seekToFirst()
          while merged.isValid {
            try builder.add(merged.key, value: merged.value)
            try merged.next()
          }
        }
        tracer(
          .manifest, "merge", inputs.map(\.1.name).joined(separator: " ") + " → \(output.name)",
          "\(Format.plural(Int(output.metadata.entryCount), "entry", "entries")) on level 1")
        var edit = VersionEdit()
        edit.deleted = inputs.map { ($0.0, $0.1.number) }
        edit.added = [(1, output.metadata)]
        try versions.apply(edit, added: [output], why: "merged into \(output.name)")
        return output.metadata
      } catch {
        engine.fail(error, "merge")
        throw error
      }
    }
  }
  // end snippet

  // MARK: Reading

  /// An iterator over the database as it is now (or at `snapshot`),
  /// holding its version until it is closed.
  public func makeIterator(at snapshot: SnapshotList.Snapshot? = nil) -> Iterator {
    let id = engine.memtables.withLock {
      defer { nextIteratorID += 1 }
      return nextIteratorID
    }
    let sequence = snapshot?.sequence ?? engine.lastSequence
    let (inner, pin) = engine.makeIterator(atSequence: sequence, holder: "iterator \(id)")
    return Iterator(id: id, merging: inner, pin: pin)
  }

  // MARK: Inspection

  /// Every log recovery still needs, oldest first.
  public var neededLogs: [UInt64] { engine.memtables.neededLogs }

  /// Every file in the directory with what it is to the database: `show
  /// files`.
  public func fileReport() throws -> [(name: String, status: String)] {
    let tables = versions.tableStatus()
    let logs = Set(neededLogs)
    let manifest = versions.manifestStatus
    return try fileSystem.listDirectory(directory).sorted().map { name in
      if name == ManifestFileNames.current { return (name, "live     names \(manifest.name)") }
      if name == DatabaseDirectory.lockName { return (name, "live     locked while the database is open") }
      if name == DatabaseDirectory.formatName { return (name, "live     the newest chapter that opened the directory") }
      if name == manifest.name { return (name, "live     the manifest, \(Format.plural(manifest.edits, "edit"))") }
      if let number = TableFileNames.tableNumber(name) { return (name, tables[number] ?? "orphan   in no version") }
      if let number = LogFormat.number(fromFileName: name) {
        return (name, logs.contains(number) ? "live     log, not yet flushed" : "obsolete log, not yet retired")
      }
      return (name, "unknown")
    }
  }

  /// Waits for a running flush, then closes the log and the manifest.
  /// Iterators still open keep reading what they hold, but no file is
  /// removed after this.
  public func close() throws { try engine.close { try versions.close() } }
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

extension Database.Recovery {
  var tableNumbers: [UInt64] { names.compactMap(TableFileNames.tableNumber) }
  var logNumbers: [UInt64] { names.compactMap(LogFormat.number(fromFileName:)).sorted() }

  /// Removes `name`, tracing the reason.
  fileprivate func remove(_ name: String, _ reason: String, why: String) throws {
    try fileSystem.removeFile(joinPath(directory, name))
    tracer(.manifest, "remove", name, reason, why: why)
  }

  /// The versions from the manifest `CURRENT` names, or, for a directory
  /// with no `CURRENT`, a new manifest: only if it holds no tables or logs
  /// either (else it is not a database this chapter made, and nothing is
  /// touched).
  fileprivate func recoverOrCreateManifest() throws -> VersionSet.Recovered {
    if let current = try Current.read(in: directory, fileSystem: fileSystem) {
      let recovered = try VersionSet.recover(
        manifest: current, directory: directory, fileSystem: fileSystem, options: options.versions, tracer: tracer,
        access: access)
      for name in names where ManifestFileNames.manifestNumber(name) != nil && name != current {
        try remove(name, "CURRENT names \(current)", why: "a manifest rewrite was cut short, or finished")
      }
      return recovered
    }
    let manifests = names.filter { ManifestFileNames.manifestNumber($0) != nil }
    let hasData = !tableNumbers.isEmpty || !logNumbers.isEmpty
    guard !hasData || (earlierChapter && manifests.isEmpty) else {
      throw ManifestError.noCurrent(tables: tableNumbers.count, logs: logNumbers.count)
    }
    for name in manifests {
      try remove(name, "no CURRENT names it", why: "creating the database was cut short before CURRENT")
    }
    let created = try VersionSet.create(
      directory: directory, fileSystem: fileSystem, options: options.versions, tracer: tracer, access: access)
    return hasData ? try adopt(into: created) : created
  }

  /// An earlier chapter's directory: its tables (chapter 3's) become the
  /// first manifest's level 0, newest first as chapter 3 read them, and
  /// every log it kept is still needed. From here on it is chapter 4's.
  fileprivate func adopt(into created: VersionSet.Recovered) throws -> VersionSet.Recovered {
    var tables: [TableFile] = []
    var newest: SequenceNumber = 0
    for number in tableNumbers.sorted() {
      let name = TableFileNames.table(number)
      let path = joinPath(directory, name)
      let reader = try TableReader.open(path: path, name: name, fileSystem: fileSystem, tracer: tracer)
      let p = reader.properties
      let metadata = TableMetadata(
        number: number, fileSize: UInt64(try fileSystem.fileSize(path)), entryCount: UInt64(p.entryCount),
        smallest: p.smallestKey, largest: p.largestKey)
      tables.append(TableFile(metadata: metadata, access: created.versionSet.access))
      newest = max(newest, p.largestSequence)
    }
    var edit = VersionEdit()
    edit.added = tables.map { (0, $0.metadata) }
    edit.logNumber = logNumbers.min() ?? 0
    edit.lastSequence = newest
    for number in tableNumbers + logNumbers { created.versionSet.markFileNumberUsed(number) }
    try created.versionSet.apply(edit, added: tables, why: "adopted from an earlier chapter's files")
    tracer(
      .manifest, "adopt", "\(Format.plural(tables.count, "table")) and \(Format.plural(logNumbers.count, "log"))",
      "written by an earlier chapter, now named by the manifest",
      why: "chapter 3 found its tables by listing the directory; from now on the manifest says which are live")
    return VersionSet.Recovered(
      versionSet: created.versionSet, logNumber: edit.logNumber!, lastSequence: edit.lastSequence!)
  }
}

extension Iterator: KeyValueIterator {}
