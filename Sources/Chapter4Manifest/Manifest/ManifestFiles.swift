import Chapter1WAL
import Chapter3SSTable

extension TraceComponent {
  /// The manifest and versions: edits, CURRENT, obsolete files.
  public static let manifest: TraceComponent = "manifest"
}

/// The names a chapter 4 database adds to chapter 3's: `MANIFEST-000001`
/// (a manifest: a log of version edits), `CURRENT` (one line naming the live
/// manifest) and `CURRENT.tmp` (a new `CURRENT` before its rename). Tables
/// and logs keep their names (`TableFileNames`), and every file number comes
/// from one counter.
public enum ManifestFileNames {
  public static let current = "CURRENT"
  public static let currentTemporary = "CURRENT.tmp"

  /// `MANIFEST-000001`.
  public static func manifest(_ number: UInt64) -> String {
    let digits = String(number)
    return "MANIFEST-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
  }

  /// The number in a manifest's name, or `nil` if `name` is not exactly a
  /// name the engine gives a manifest (`MANIFEST-99` is not).
  public static func manifestNumber(_ name: String) -> UInt64? {
    guard name.hasPrefix("MANIFEST-"), let number = UInt64(name.dropFirst("MANIFEST-".count)),
      manifest(number) == name
    else { return nil }
    return number
  }
}

/// Why a database cannot be opened, or a manifest cannot be read.
public enum ManifestError: Error, Equatable, CustomStringConvertible {
  /// The directory has data files but no `CURRENT` to say which manifest
  /// describes them.
  case noCurrent(tables: Int, logs: Int)
  /// `CURRENT` does not hold a manifest's name.
  case badCurrent(String)
  /// `CURRENT` names a manifest that is not there.
  case missingManifest(String)
  /// A directory to dump has no `CURRENT`.
  case noDatabase(String)
  /// The log the manifest starts recovery at is not there (others after it
  /// may be).
  case missingLog(log: String, later: [UInt64])
  /// A table no edit names holds writes newer than anything recovery
  /// found: the only copy of them, so the manifest must have lost edits.
  case orphanHoldsData(table: String, newest: SequenceNumber, reached: SequenceNumber)
  /// A path to dump is neither a manifest nor a database directory.
  case notAManifest(String, String)
  /// The manifest names a table that is not there (or cannot be opened).
  case missingTable(table: String, manifest: String, reason: String)
  /// The edits, replayed in order, do not make sense (a table added twice,
  /// one deleted that is not there, no file counter).
  case inconsistent(manifest: String, reason: String)

  public var description: String {
    switch self {
    case .noCurrent(let tables, let logs):
      "no CURRENT file, but the directory holds \(Format.plural(tables, "table")) and \(Format.plural(logs, "log")): "
        + "without CURRENT nothing says which tables are live, so the database is not opened"
    case .badCurrent(let contents):
      "CURRENT does not name a manifest: \(contents.debugDescription)"
    case .missingManifest(let name): "CURRENT names \(name), which does not exist"
    case .noDatabase(let directory): "\(directory) has no CURRENT file: not a chapter 4 database"
    case .notAManifest(let path, let what): "\(path) is not a manifest: \(what)"
    case .missingLog(let log, let later):
      "the manifest starts recovery at \(log), which is missing"
        + (later.isEmpty ? "" : " (later logs are there)")
        + ": it held acknowledged writes not yet in a table; refusing to open rather than lose them"
    case .orphanHoldsData(let table, let newest, let reached):
      "\(table) holds writes up to seq \(newest), but the manifest and the logs reach only seq \(reached): "
        + "the manifest has lost an edit (was it truncated?); refusing to open, and \(table) is kept"
    case .missingTable(let table, let manifest, let reason):
      "\(manifest) names \(table), which cannot be opened (\(reason)); refusing to open with a table lost"
    case .inconsistent(let manifest, let reason): "\(manifest) is inconsistent: \(reason)"
    }
  }
}

/// The live manifest: a file in chapter 1's log record format, one record
/// per version edit, each synced before the edit counts.
///
/// The first record of every manifest is a *snapshot*: one edit that adds
/// every live table and sets every counter. Later records are changes. A
/// manifest can therefore be rewritten at any time as one snapshot record,
/// which is how it is kept short (see `VersionSet`).
public final class ManifestWriter {
  public let number: UInt64
  public let name: String
  private let log: LogWriter
  private let tracer: Tracer

  /// The size of the first record, the snapshot: the least this manifest
  /// can be rewritten to.
  public private(set) var snapshotSize: Int

  private init(number: UInt64, log: LogWriter, tracer: Tracer, snapshotSize: Int = 0) {
    self.number = number
    self.name = ManifestFileNames.manifest(number)
    self.log = log
    self.tracer = tracer
    self.snapshotSize = snapshotSize
  }

  /// Bytes in the manifest.
  public var size: Int { log.status.size }
  /// Edits in the manifest, the snapshot included.
  public var edits: Int { log.status.records }

  // snippet: manifest-writer
  /// Appends `edit` and syncs: when this returns, the edit survives a crash.
  public func append(_ edit: VersionEdit) throws {
    let offset = try log.append([edit.encoded()])[0]
    try log.sync()
    tracer(
      .manifest, "append", "\(name) @ \(offset)", edit.summary,
      why: "the edit counts only once it is durable: recovery rebuilds the file set from these records")
  }
  // end snippet

  /// Creates manifest `number` holding `snapshot`, synced, its name durable.
  public static func create(
    number: UInt64, snapshot: VersionEdit, in directory: String, fileSystem: any FileSystem, tracer: Tracer
  ) throws -> ManifestWriter {
    let name = ManifestFileNames.manifest(number)
    let file = try fileSystem.openWritable(joinPath(directory, name), mode: .createNew)
    let log = LogWriter(file: file, name: name, number: number, maxRecordSize: LogFormat.defaultMaxRecordSize)
    let writer = ManifestWriter(number: number, log: log, tracer: tracer)
    tracer(.manifest, "create", name, "a snapshot of the current version as its first record")
    try writer.append(snapshot)
    writer.snapshotSize = writer.size
    try fileSystem.syncDirectory(directory)
    tracer(
      .fs, "dirsync", "database directory", "\(name) is now a durable name",
      why: "CURRENT is about to name it; the name must survive a power cut first")
    return writer
  }

  /// Opens manifest `number`, already read by recovery, to append to it.
  public static func resume(
    number: UInt64, edits: Int, snapshotSize: Int, in directory: String, fileSystem: any FileSystem,
    tracer: Tracer
  ) throws -> ManifestWriter {
    let log = try LogWriter.resume(
      number: number, records: edits, in: directory, fileSystem: fileSystem,
      maxRecordSize: LogFormat.defaultMaxRecordSize, name: ManifestFileNames.manifest(number))
    return ManifestWriter(number: number, log: log, tracer: tracer, snapshotSize: snapshotSize)
  }

  public func close() throws { try log.close() }
}

/// `CURRENT`: the one file whose contents say which manifest is live.
public enum Current {
  // snippet: current-switch
  /// Points `CURRENT` at `manifest`, atomically: the new contents go to
  /// `CURRENT.tmp`, which is synced and then renamed over `CURRENT`, and
  /// the directory is synced. A crash at any point leaves either the old
  /// `CURRENT` or the new one, never a half-written one.
  public static func point(
    to manifest: String, in directory: String, fileSystem: any FileSystem, tracer: Tracer
  ) throws {
    let temporary = joinPath(directory, ManifestFileNames.currentTemporary)
    try fileSystem.writeFile(temporary, Bytes(utf8: manifest + "\n"), sync: true)
    try fileSystem.rename(temporary, to: joinPath(directory, ManifestFileNames.current))
    try fileSystem.syncDirectory(directory)
    tracer(
      .manifest, "current", "CURRENT → \(manifest)", "written to CURRENT.tmp, synced, renamed, directory synced",
      why: "a rename replaces a file atomically; writing CURRENT in place could leave half a name after a crash")
  }
  // end snippet

  /// The manifest `CURRENT` names, or `nil` if there is no `CURRENT`.
  public static func read(in directory: String, fileSystem: any FileSystem) throws -> String? {
    let path = joinPath(directory, ManifestFileNames.current)
    guard fileSystem.fileExists(path) else { return nil }
    let bytes = try fileSystem.readFile(path)
    let text = String(decoding: bytes.prefix(64), as: UTF8.self)
    guard text.hasSuffix("\n"), bytes.count <= 64 else { throw ManifestError.badCurrent(text) }
    let name = String(text.dropLast())
    guard ManifestFileNames.manifestNumber(name) != nil else { throw ManifestError.badCurrent(text) }
    return name
  }
}

/// Reading a manifest back.
public enum ManifestReader {
  /// What a manifest holds.
  public struct Contents {
    public var edits: [VersionEdit] = []
    /// Where each edit's record starts.
    public var offsets: [Int] = []
    /// Where the records end: the file's size once a torn tail is cut.
    public var end = 0
    /// Bytes cut from a torn tail.
    public var truncatedBytes = 0
  }

  // snippet: manifest-read
  /// Reads every edit of manifest `name` with chapter 1's record reader: a
  /// torn tail (an edit whose append never finished, so never acknowledged)
  /// is cut off; damage anywhere else, or a record that is not a valid
  /// edit, is `LogCorruption` naming the file and offset.
  public static func read(
    _ name: String, in directory: String, fileSystem: any FileSystem, tracer: Tracer
  ) throws -> Contents {
    var contents = Contents()
    contents.truncatedBytes = try LogRecovery.readRecords(
      of: name, in: directory, fileSystem: fileSystem, maxRecordSize: LogFormat.defaultMaxRecordSize,
      component: .manifest, tracer: tracer
    ) { payload, record in
      do {
        contents.edits.append(try VersionEdit.decode(payload))
        contents.offsets.append(record.offset)
        contents.end = record.end
      } catch {
        throw LogCorruption(file: name, offset: record.offset, reason: "not a valid version edit: \(error)")
      }
    }
    return contents
  }
  // end snippet
}
