import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest

/// Chapter 4 in the tools: the shell's engine (chapter 3's, with a
/// manifest, versions, long-lived iterators and `merge`), its benchmark
/// engine and `manifest-dump`.
enum Chapter4Adapter {
  static let adapter = ChapterAdapter(
    shell: EngineDescriptor(
      chapter: 4, title: "the manifest and versions",
      commands: Chapter3Adapter.commands.replacing(IteratorCommands.all),
      showTopics: Chapter3Adapter.adapter.shell.showTopics.replacing([
        .of((any ManifestShellEngine).self, "levels", summary: "the memtables, then the current version level by level")
        {
          engine, _ in engine.levelLines()
        },
        .of((any ManifestShellEngine).self, "manifest", summary: "the manifest CURRENT names, edit by edit") {
          engine, _ in
          try engine.manifestLines()
        },
        .of(
          (any ManifestShellEngine).self, "files",
          summary: "each file and what it is to the engine: live, obsolete, orphan"
        ) {
          engine, _ in try engine.fileLines()
        },
        .of((any ManifestShellEngine).self, "stats", summary: "counters: memtables, tables, the log, the manifest") {
          engine, _ in engine.statsLines()
        },
      ]),
      ownsFile: { name in
        Chapter3Adapter.ownsFile(name) || ManifestFileNames.manifestNumber(name) != nil
          || [ManifestFileNames.current, ManifestFileNames.currentTemporary].contains(name)
      }
    ) { environment in
      var options = Chapter4Manifest.Database.Options()
      options.memtableSize = environment.memtableSize
      options.versions.maxManifestSize = Chapter4Engine.manifestSize
      options.backgroundFlush = !environment.deterministic
      return Chapter4Engine(
        database: try Chapter4Manifest.Database.open(
          directory: environment.directory, fileSystem: environment.fileSystem, options: options,
          tracer: environment.tracer),
        environment: environment)
    },
    bench: Chapter4Engine.bench,
    tools: [ManifestDumpCommand.self])
}

/// Chapter 4's engine in the shell: chapter 3's, with a manifest,
/// versions, long-lived iterators and `merge`.
final class Chapter4Engine: ManifestEngine<Chapter4Manifest.Database> {
  /// Small, so that a session sees the manifest rewritten.
  static let manifestSize = 1024

  init(database: Chapter4Manifest.Database, environment: EngineEnvironment) {
    super.init(database: database, manifest: database, environment: environment)
  }
}

/// What the shell asks of an engine with a manifest (chapter 4 on): its
/// `show` topics and `merge`.
protocol ManifestShellEngine: IteratorEngine {
  func merge() throws -> String
  func levelLines() -> [String]
  func manifestLines() throws -> [String]
  func fileLines() throws -> [String]
  func statsLines() -> [String]
}

/// The shell's side of an engine built on chapter 4's `Database`: the
/// store the shell reads and writes (`database`: chapter 4's, or a later
/// chapter's around it) and chapter 4's database beneath (`manifest`),
/// for versions, iterators, `merge` and the files.
class ManifestEngine<Database: EngineDatabase>: TableEngine<Database>, ManifestShellEngine {
  let manifest: Chapter4Manifest.Database
  private var iterators: [Int: Chapter4Manifest.Iterator] = [:]

  init(database: Database, manifest: Chapter4Manifest.Database, environment: EngineEnvironment) {
    self.manifest = manifest
    super.init(database: database, environment: environment)
  }

  override var handles: [String] { snapshotHandles + iterators.keys.sorted().map { "iterator \($0)" } }
  override var tableCount: Int { manifest.versions.current.tables.count }

  func merge() throws -> String {
    guard let table = try manifest.mergeTables() else { return "nothing to merge" }
    return "merged into \(table.name) on level 1 (\(Format.plural(Int(table.entryCount), "entry", "entries")))"
  }

  // MARK: Iterators

  func openIterator(from: Bytes?, snapshot: Int?) throws -> (id: Int, description: String) {
    var at: SnapshotList.Snapshot?
    if let snapshot {
      guard let live = database.snapshot(id: snapshot) else { throw ShellError("no live snapshot \(snapshot)") }
      at = live
    }
    let iterator = manifest.makeIterator(at: at)
    if let from { try iterator.seek(from) } else { try iterator.seekToFirst() }
    iterators[iterator.id] = iterator
    let tables = iterator.version.tables.map(\.name)
    return (
      iterator.id,
      "at seq \(iterator.snapshot), pins version \(iterator.version.id)"
        + (tables.isEmpty ? " (no tables)" : ": " + tables.joined(separator: " "))
    )
  }

  func iteratorNext(id: Int, count: Int) throws -> (entries: [KeyValuePair], atEnd: Bool) {
    let iterator = try open(id)
    var entries: [KeyValuePair] = []
    while iterator.isValid && entries.count < count {
      entries.append(KeyValuePair(key: iterator.key, value: iterator.value))
      try iterator.next()
    }
    return (entries, !iterator.isValid)
  }

  func closeIterator(id: Int) throws {
    try open(id).close()
    iterators[id] = nil
  }

  private func open(_ id: Int) throws -> Chapter4Manifest.Iterator {
    guard let iterator = iterators[id] else {
      let open = iterators.keys.sorted().map(String.init)
      throw ShellError(
        "no open iterator \(id)" + (open.isEmpty ? " (none is open)" : " (open: \(open.joined(separator: ", ")))"))
    }
    return iterator
  }

  // MARK: show

  /// `show manifest`: the manifest, edit by edit.
  func manifestLines() throws -> [String] {
    let name = manifest.versions.manifestStatus.name
    let bytes = try environment.fileSystem.readFile(joinPath(environment.directory, name))
    return ManifestDump.dump(bytes, name: name, note: " (named by CURRENT)", verbose: false).lines
  }

  /// `show files`: every file with what it is to the engine.
  func fileLines() throws -> [String] {
    let report = try manifest.fileReport()
    let width = report.map(\.name.count).max() ?? 0
    return report.map { $0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.status }
  }

  /// `show stats`.
  func statsLines() -> [String] {
    let log = database.logStatus
    let version = self.manifest.versions.current
    let manifest = self.manifest.versions.manifestStatus
    let recorded = self.manifest.versions.recorded
    return ["last sequence      \(database.lastSequence)"] + memtableSummary(stats: true) + [
      "tables             \(version.tables.count) in version \(version.id), "
        + "\(version.tables.map { Int($0.metadata.entryCount) }.reduce(0, +)) entries",
      "log                \(log.name): \(log.size) B, \(Format.plural(log.records, "record"))",
      "manifest           \(manifest.name): \(manifest.size) B, \(Format.plural(manifest.edits, "edit")); "
        + "log number \(recorded.logNumber), next file \(recorded.nextFileNumber)",
    ]
  }

  /// `show levels`: the memtables, then the current version level by level.
  func levelLines() -> [String] {
    var lines = memtableSummary(stats: false)
    let version = manifest.versions.current
    lines.append("version \(version.id) (current):")
    for (level, tables) in version.levels.enumerated() where !tables.isEmpty || level < 2 {
      let order = level == 0 ? "newest first, ranges overlap" : "sorted by key, ranges disjoint"
      lines.append("  L\(level)  \(Format.plural(tables.count, "table"))" + (tables.isEmpty ? "" : " (\(order))"))
      for table in tables { lines.append(tableLine(table.metadata)) }
    }
    return lines + pinLines(besides: version)
  }

  /// One table in `show levels`: name, key range, entries, bytes.
  func tableLine(_ m: TableMetadata) -> String {
    "      \(m.name)  keys \(m.keyRange), \(Format.plural(Int(m.entryCount), "entry", "entries")), \(m.fileSize) B"
  }

  /// `show levels`' last lines: the versions other than `current` that
  /// readers pin, and who pins them.
  func pinLines(besides current: Version) -> [String] {
    manifest.versions.pins().filter { $0.version != current.id }.map { id, holders in
      "version \(id) pinned by \(holders.joined(separator: ", "))"
    }
  }
}
