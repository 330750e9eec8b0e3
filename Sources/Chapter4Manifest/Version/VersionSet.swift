import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Foundation
import Synchronization

/// The current version, the versions readers still hold, the file-number
/// counter, and the manifest that makes changes to them durable.
///
/// Every change goes through `apply`: the edit is appended to the manifest
/// and synced, and only then does the new version become current. A reader
/// *pins* the version it starts with (`pin`), and a table leaves the disk
/// only when neither the current version nor any pinned one names it.
public final class VersionSet: @unchecked Sendable {
  public struct Options: Sendable {
    /// A manifest larger than this (and than twice its snapshot) is
    /// rewritten as a single snapshot edit.
    public var maxManifestSize = 1 << 20
    public init() {}
  }

  public let directory: String
  public let options: Options
  /// How the tables are opened, consulted and written.
  public let access: any TableAccess
  private let fileSystem: any FileSystem
  private let tracer: Tracer

  /// Guards everything below. Held only briefly, never during I/O, except
  /// that `applyLock` serializes the (rare) writers of the manifest.
  private let lock = NSLock()
  private let applyLock = NSLock()
  private var currentVersion: Version
  private var manifest: ManifestWriter
  private var nextNumber: UInt64
  private var recordedLogNumber: UInt64
  private var recordedLastSequence: SequenceNumber
  private var versionCount: Int
  /// Versions other than the current one that someone still reads, by id.
  private var pinnedVersions: [Int: Version] = [:]
  /// Who holds each version: pin id → holder's description.
  private var holders: [Int: [Int: String]] = [:]
  private var nextPinID = 1
  /// Every table some live version names.
  private var tableFiles: [UInt64: TableFile]
  /// Why a table left the current version (`merged into 000009.sst`).
  private var departures: [UInt64: String] = [:]
  private var isClosed = false
  /// Who hears of each new version (`observe`).
  private let observers = Locked<[@Sendable (Version) -> Void]>([])
  /// The newest compaction pointer of each level the edits have recorded.
  private var pointers: [Int: InternalKey] = [:]

  private init(
    directory: String, fileSystem: any FileSystem, options: Options, tracer: Tracer, access: any TableAccess,
    version: Version, manifest: ManifestWriter, nextNumber: UInt64, logNumber: UInt64, lastSequence: SequenceNumber
  ) {
    self.directory = directory
    self.access = access
    self.fileSystem = fileSystem
    self.options = options
    self.tracer = tracer
    self.currentVersion = version
    self.manifest = manifest
    self.nextNumber = nextNumber
    self.recordedLogNumber = logNumber
    self.recordedLastSequence = lastSequence
    self.versionCount = version.id
    self.tableFiles = Dictionary(uniqueKeysWithValues: version.tables.map { ($0.number, $0) })
  }

  // MARK: Creating and recovering

  /// What recovery found, for the database to finish opening with.
  public struct Recovered {
    public var versionSet: VersionSet
    /// Logs numbered below this hold nothing that is not in a table.
    public var logNumber: UInt64
    /// The newest sequence number in any table.
    public var lastSequence: SequenceNumber
  }

  // snippet: version-set-create
  /// Starts the manifest of a new, empty database: `MANIFEST-000001`, then
  /// `CURRENT`. No log is needed yet; the first one will be number 2.
  public static func create(
    directory: String, fileSystem: any FileSystem, options: Options, tracer: Tracer, access: any TableAccess
  ) throws -> Recovered {
    var snapshot = VersionEdit()
    snapshot.logNumber = 0
    snapshot.nextFileNumber = 2
    snapshot.lastSequence = 0
    let manifest = try ManifestWriter.create(
      number: 1, snapshot: snapshot, in: directory, fileSystem: fileSystem, tracer: tracer)
    try Current.point(to: manifest.name, in: directory, fileSystem: fileSystem, tracer: tracer)
    let version = Version(id: 1, levels: Array(repeating: [], count: VersionEdit.levelCount))
    let set = VersionSet(
      directory: directory, fileSystem: fileSystem, options: options, tracer: tracer, access: access,
      version: version, manifest: manifest, nextNumber: 2, logNumber: 0, lastSequence: 0)
    return Recovered(versionSet: set, logNumber: 0, lastSequence: 0)
  }
  // end snippet

  // snippet: version-set-recover
  /// Rebuilds the current version from the manifest `CURRENT` names: every
  /// edit replayed in order, then every table it names opened (a missing
  /// or damaged table refuses the open: that would be data lost).
  public static func recover(
    manifest name: String, directory: String, fileSystem: any FileSystem, options: Options, tracer: Tracer,
    access: any TableAccess
  ) throws -> Recovered {
    guard fileSystem.fileExists(joinPath(directory, name)), let number = ManifestFileNames.manifestNumber(name)
    else { throw ManifestError.missingManifest(name) }
    let contents = try ManifestReader.read(name, in: directory, fileSystem: fileSystem, tracer: tracer)
    let (builder, logNumber, nextNumber, lastSequence) = try replay(contents.edits, manifest: name)
    tracer(
      .manifest, "replay", name,
      "\(Format.plural(contents.edits.count, "edit")): \(Format.plural(builder.numbers.count, "table")), log number \(logNumber), "
        + "next file \(nextNumber), last seq \(lastSequence)",
      why: "the manifest, not the directory listing, says which tables are live")
    let levels = try openTables(builder.levels, manifest: name, access: access)
    let snapshotSize = contents.offsets.count > 1 ? contents.offsets[1] : contents.end
    let manifest = try ManifestWriter.resume(
      number: number, edits: contents.edits.count, snapshotSize: snapshotSize, in: directory,
      fileSystem: fileSystem, tracer: tracer)
    let set = VersionSet(
      directory: directory, fileSystem: fileSystem, options: options, tracer: tracer, access: access,
      version: Version(id: 1, levels: levels), manifest: manifest, nextNumber: max(nextNumber, number + 1),
      logNumber: logNumber, lastSequence: lastSequence)
    set.pointers = builder.compactPointers
    return Recovered(versionSet: set, logNumber: logNumber, lastSequence: lastSequence)
  }
  // end snippet

  /// The edits applied in order, each checked against the version before
  /// it: the tables per level, and the last value of each counter.
  private static func replay(
    _ edits: [VersionEdit], manifest name: String
  ) throws -> (builder: VersionBuilder, logNumber: UInt64, nextNumber: UInt64, lastSequence: SequenceNumber) {
    var builder = VersionBuilder()
    var logNumber: UInt64?
    var nextNumber: UInt64?
    var lastSequence: SequenceNumber = 0
    for edit in edits {
      if let problem = builder.apply(edit) { throw ManifestError.inconsistent(manifest: name, reason: problem) }
      logNumber = edit.logNumber ?? logNumber
      nextNumber = edit.nextFileNumber ?? nextNumber
      lastSequence = max(lastSequence, edit.lastSequence ?? 0)
    }
    guard let logNumber, let nextNumber else {
      throw ManifestError.inconsistent(manifest: name, reason: "no edit sets the log number and file counter")
    }
    return (builder, logNumber, nextNumber, lastSequence)
  }

  /// Opens every table the levels name, through `access` (which may keep
  /// it open or not). A missing or damaged one refuses the open: going on
  /// would lose its data.
  private static func openTables(
    _ levels: [[TableMetadata]], manifest name: String, access: any TableAccess
  ) throws -> [[TableFile]] {
    try levels.map { level in
      try level.map { metadata in
        do {
          _ = try access.reader(for: metadata)
          return TableFile(metadata: metadata, access: access)
        } catch {
          throw ManifestError.missingTable(table: metadata.name, manifest: name, reason: "\(error)")
        }
      }
    }
  }

  // MARK: Counters

  /// Hands out a file number: tables, logs and manifests share the counter.
  public func newFileNumber() -> UInt64 {
    lock.lock()
    defer { lock.unlock() }
    nextNumber += 1
    return nextNumber - 1
  }

  /// Makes sure numbers up to `number` are never handed out (files found
  /// on disk at open that no edit recorded).
  public func markFileNumberUsed(_ number: UInt64) {
    lock.lock()
    defer { lock.unlock() }
    nextNumber = max(nextNumber, number + 1)
  }

  public var current: Version {
    lock.lock()
    defer { lock.unlock() }
    return currentVersion
  }

  /// The log number, next file number and last sequence number as the
  /// manifest records them.
  public var recorded: (logNumber: UInt64, nextFileNumber: UInt64, lastSequence: SequenceNumber) {
    lock.lock()
    defer { lock.unlock() }
    return (recordedLogNumber, nextNumber, recordedLastSequence)
  }

  /// The newest compaction pointer of each level, as the edits recorded
  /// them (chapter 6's compactor starts from these).
  public var compactPointers: [Int: InternalKey] {
    lock.lock()
    defer { lock.unlock() }
    return pointers
  }

  /// The live manifest's name, size and number of edits.
  public var manifestStatus: (name: String, size: Int, edits: Int) {
    lock.lock()
    defer { lock.unlock() }
    return (manifest.name, manifest.size, manifest.edits)
  }

  // MARK: Changing the version

  // snippet: version-set-apply
  /// Makes `edit` durable in the manifest, then makes the version it
  /// describes current.
  ///
  /// - Parameters:
  ///   - edit: the change; the file counter and last sequence number are
  ///     filled in here.
  ///   - added: the opened tables the edit adds.
  ///   - why: for each table the edit deletes, why (for the trace).
  /// - Throws: if the manifest cannot be written; the current version is
  ///   then unchanged, and the database must stop writing.
  public func apply(_ edit: VersionEdit, added: [TableFile], why: String = "") throws {
    applyLock.lock()
    let version: Version
    do {
      version = try applyAlone(edit, added: added, why: why)
    } catch {
      applyLock.unlock()
      throw error
    }
    applyLock.unlock()
    for observer in observers.withLock({ $0 }) { observer(version) }
  }
  // end snippet

  /// Calls `observer` with each new current version, after `apply` has
  /// let go of its locks (so the observer may apply an edit itself).
  /// Chapter 6's compactor listens, to learn when a level has filled.
  public func observe(_ observer: @escaping @Sendable (Version) -> Void) {
    observers.withLock { $0.append(observer) }
  }

  /// `apply`'s work, with `applyLock` held; returns the new version.
  private func applyAlone(_ edit: VersionEdit, added: [TableFile], why: String) throws -> Version {
    var edit = edit
    lock.lock()
    let base = currentVersion
    edit.nextFileNumber = nextNumber
    edit.lastSequence = max(recordedLastSequence, edit.lastSequence ?? 0)
    let manifest = self.manifest
    var files = tableFiles
    lock.unlock()

    var builder = VersionBuilder(base)
    if let problem = builder.apply(edit) { throw ManifestError.inconsistent(manifest: manifest.name, reason: problem) }
    try manifest.append(edit)  // durable from here on

    for file in added { files[file.number] = file }
    let levels = builder.levels.map { $0.map { files[$0.number]! } }
    lock.lock()
    versionCount += 1
    let version = Version(id: versionCount, levels: levels)
    currentVersion = version
    for file in added { tableFiles[file.number] = file }
    for (_, number) in edit.deleted { departures[number] = why }
    recordedLogNumber = edit.logNumber ?? recordedLogNumber
    for (level, key) in edit.compactPointers { pointers[level] = key }
    recordedLastSequence = edit.lastSequence!
    // Past the limit, and at least twice what a rewrite would leave, so a
    // version too big for the limit is not rewritten at every edit.
    let rewrite = manifest.size > max(options.maxManifestSize, 2 * manifest.snapshotSize)
    if holders[base.id] != nil || base.reads > 0 { pinnedVersions[base.id] = base }
    lock.unlock()
    tracer(
      .manifest, "version", "version \(version.id) is current", version.summary,
      why: "readers that started earlier keep the version they pinned")
    if rewrite { try rewriteManifest() }
    try collectObsoleteTables()
    return version
  }

  // snippet: manifest-rewrite
  /// Replaces a manifest grown past its limit with a new one holding a
  /// single snapshot edit, switches `CURRENT` to it, and removes the old.
  /// A crash before the switch leaves the old manifest live (the new one is
  /// an orphan, removed at the next open); after it, the new one.
  private func rewriteManifest() throws {
    let old = manifest
    let number = newFileNumber()
    lock.lock()
    var snapshot = VersionEdit()
    snapshot.logNumber = recordedLogNumber
    snapshot.nextFileNumber = nextNumber
    snapshot.lastSequence = recordedLastSequence
    for (level, tables) in currentVersion.levels.enumerated() {
      for table in tables { snapshot.added.append((level, table.metadata)) }
    }
    snapshot.compactPointers = pointers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    lock.unlock()
    tracer(
      .manifest, "rewrite", "\(old.name) is \(old.size) B", "over the \(options.maxManifestSize) B limit",
      why: "replaying a long history at every open is slow; one snapshot edit says the same")
    let new = try ManifestWriter.create(
      number: number, snapshot: snapshot, in: directory, fileSystem: fileSystem, tracer: tracer)
    try Current.point(to: new.name, in: directory, fileSystem: fileSystem, tracer: tracer)
    lock.lock()
    manifest = new
    lock.unlock()
    try? old.close()
    try fileSystem.removeFile(joinPath(directory, old.name))
    tracer(.manifest, "obsolete", old.name, "removed: CURRENT names \(new.name)")
  }
  // end snippet

  // MARK: Pins and obsolete files

  /// A reader's hold on a version: until it is released, every table of
  /// the version stays on disk.
  public final class Pin: @unchecked Sendable {
    public let version: Version
    public let id: Int
    public let holder: String
    private weak var owner: VersionSet?
    private let released = Atomic(false)

    init(version: Version, id: Int, holder: String, owner: VersionSet) {
      self.version = version
      self.id = id
      self.holder = holder
      self.owner = owner
    }

    /// Lets the version go (idempotent; also done when the pin is freed).
    public func release() {
      let first = released.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
      if first { owner?.unpin(self) }
    }

    deinit { release() }
  }

  /// Pins the current version for `holder` (`iterator 1`, `get`).
  public func pin(_ holder: String) -> Pin {
    lock.lock()
    defer { lock.unlock() }
    let id = nextPinID
    nextPinID += 1
    holders[currentVersion.id, default: [:]][id] = holder
    return Pin(version: currentVersion, id: id, holder: holder, owner: self)
  }

  private func unpin(_ pin: Pin) {
    lock.lock()
    holders[pin.version.id]?[pin.id] = nil
    if holders[pin.version.id]?.isEmpty == true { holders[pin.version.id] = nil }
    let collect = unpinnedLocked(pin.version)
    lock.unlock()
    if collect { try? collectObsoleteTables(releasedBy: pin.holder) }
  }

  /// Pins the current version for one point read, the cheap way: a count,
  /// no name and no allocation. Every call is paired with `endRead`.
  public func beginRead() -> Version {
    lock.lock()
    defer { lock.unlock() }
    currentVersion.reads += 1
    return currentVersion
  }

  /// Ends a read that `beginRead` started on `version`.
  public func endRead(_ version: Version) {
    lock.lock()
    version.reads -= 1
    let collect = unpinnedLocked(version)
    lock.unlock()
    if collect { try? collectObsoleteTables(releasedBy: "a read") }
  }

  /// If nothing pins `version` any more and it is not current, forgets it
  /// and says that obsolete tables may now go. REQUIRES: the lock.
  private func unpinnedLocked(_ version: Version) -> Bool {
    guard holders[version.id] == nil, version.reads == 0 else { return false }
    return pinnedVersions.removeValue(forKey: version.id) != nil
  }

  // snippet: collect-obsolete
  /// Removes every table that neither the current version nor a pinned one
  /// names. Runs after each new version and whenever the last pin of an old
  /// version is released.
  public func collectObsoleteTables(releasedBy holder: String? = nil) throws {
    lock.lock()
    guard !isClosed else {
      lock.unlock()
      return
    }
    var live = Set(currentVersion.tables.map(\.number))
    for version in pinnedVersions.values { live.formUnion(version.tables.map(\.number)) }
    let obsolete = tableFiles.keys.filter { !live.contains($0) }.sorted()
    var reasons: [String] = []
    for number in obsolete {
      tableFiles[number] = nil
      reasons.append(departures.removeValue(forKey: number) ?? "no longer in any version")
    }
    lock.unlock()
    for (number, reason) in zip(obsolete, reasons) {
      let name = TableFileNames.table(number)
      access.forget(number)
      try fileSystem.removeFile(joinPath(directory, name))
      tracer(
        .manifest, "obsolete", name,
        "removed: \(reason)" + (holder.map { "; \($0), its last reader, was released" } ?? ""),
        why: "a table goes only when no version, current or pinned by a reader, names it")
    }
  }
  // end snippet

  /// For `show files`: each table some version names, and whether it is
  /// live (in the current version) or kept only by pins, and for whom.
  public func tableStatus() -> [UInt64: String] {
    lock.lock()
    defer { lock.unlock() }
    var status: [UInt64: String] = [:]
    let current = currentVersion
    for (level, tables) in current.levels.enumerated() {
      for table in tables { status[table.number] = "live     L\(level) in version \(current.id) (current)" }
    }
    for version in pinnedVersions.values.sorted(by: { $0.id < $1.id }) {
      let who = (holders[version.id] ?? [:]).sorted { $0.key < $1.key }.map(\.value).joined(separator: ", ")
      for table in version.tables where status[table.number] == nil {
        status[table.number] = "obsolete kept by \(who) (version \(version.id))"
      }
    }
    return status
  }

  /// Versions that readers hold, with their holders (current one included).
  public func pins() -> [(version: Int, holders: [String])] {
    lock.lock()
    defer { lock.unlock() }
    let reading =
      pinnedVersions.values.filter { $0.reads > 0 }.map(\.id) + (currentVersion.reads > 0 ? [currentVersion.id] : [])
    return Set(holders.keys).union(reading).sorted().map { id in
      var who = (holders[id] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
      let reads = id == currentVersion.id ? currentVersion.reads : pinnedVersions[id]?.reads ?? 0
      if reads > 0 { who.append(Format.plural(reads, "read")) }
      return (id, who)
    }
  }

  /// Stops removing files (another open of the directory may own them
  /// next) and closes the manifest.
  public func close() throws {
    lock.lock()
    defer { lock.unlock() }
    guard !isClosed else { return }
    isClosed = true
    try manifest.close()
  }
}
