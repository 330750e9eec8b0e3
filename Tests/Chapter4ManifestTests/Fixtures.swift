import Chapter1WAL
import Chapter3SSTable

@testable import Chapter4Manifest

typealias Database = Chapter4Manifest.Database

enum Fixture {
  static func options(memtableSize: Int = 2048, background: Bool = false, manifestLimit: Int = 1 << 20)
    -> Database.Options
  {
    var options = Database.Options()
    options.memtableSize = memtableSize
    options.backgroundFlush = background
    options.table.blockSize = 256
    options.versions.maxManifestSize = manifestLimit
    return options
  }

  static func open(_ fs: any FileSystem, _ options: Database.Options = options(), tracer: Tracer = .disabled) throws
    -> Database
  {
    try Database.open(directory: "/db", fileSystem: fs, options: options, tracer: tracer)
  }

  static func key(_ i: Int) -> Bytes { Bytes(utf8: "key\(i)") }
  static func value(_ i: Int) -> Bytes { Bytes(utf8: "value\(i)") }

  /// The table names in the directory.
  static func tablesOnDisk(_ fs: any FileSystem) throws -> [String] {
    try fs.listDirectory("/db").filter { TableFileNames.tableNumber($0) != nil }.sorted()
  }

  /// The table names the current version holds.
  static func tablesInVersion(_ db: Database) -> [String] { db.versions.current.tables.map(\.name).sorted() }

  /// Every file of a memory file system's database, to rebuild it at will.
  static func files(_ fs: any FileSystem) throws -> [String: Bytes] {
    var files: [String: Bytes] = [:]
    for name in try fs.listDirectory("/db") { files[name] = try fs.readFile("/db/" + name) }
    return files
  }

  static func fileSystem(with files: [String: Bytes]) throws -> MemoryFileSystem {
    let fs = MemoryFileSystem()
    try fs.createDirectory("/db")
    for (name, bytes) in files { try fs.writeFile("/db/" + name, bytes, sync: true) }
    return fs
  }
}

/// Forwards to a chapter 4 database and merges its tables after every
/// `every` writes, so that a workload written through it exercises merges
/// (and the table deletions they bring) as well as flushes.
final class MergingStore: KeyValueStore, @unchecked Sendable {
  let db: Database
  let every: Int
  private let writes = Locked(0)

  init(_ db: Database, every: Int) {
    self.db = db
    self.every = every
  }

  func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber {
    let sequence = try db.write(batch, options: options)
    if writes.withLock({
      $0 += 1
      return $0 % every == 0
    }) {
      try db.mergeTables()
    }
    return sequence
  }
  func get(_ key: Bytes) throws -> Bytes? { try db.get(key) }
  func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair] { try db.scan(from: from, to: to) }
  func close() throws { try db.close() }
}
