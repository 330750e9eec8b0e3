import Chapter1WAL
import Chapter3SSTable
import Chapter4Manifest

@testable import Chapter5BloomFilter

typealias Database = Chapter5BloomFilter.Database

enum Fixture {
  /// Small memtables and blocks, so a short workload makes several tables
  /// of several blocks; caches as small as asked.
  static func options(
    memtableSize: Int = 2048, cacheSize: Int = 8 << 20, openTables: Int = -1, bitsPerKey: Double = 10,
    background: Bool = false, manifestLimit: Int = 1 << 20
  ) -> Database.Options {
    var options = Database.Options()
    options.memtableSize = memtableSize
    options.backgroundFlush = background
    options.table.blockSize = 256
    options.versions.maxManifestSize = manifestLimit
    options.reads.blockCacheSize = cacheSize
    options.reads.maxOpenTables = openTables
    options.reads.bitsPerKey = bitsPerKey
    return options
  }

  static func open(_ fs: any FileSystem, _ options: Database.Options = options(), tracer: Tracer = .disabled) throws
    -> Database
  {
    try Database.open(directory: "/db", fileSystem: fs, options: options, tracer: tracer)
  }

  static func key(_ i: Int) -> Bytes { Bytes(utf8: "key\(i)") }
  static func value(_ i: Int) -> Bytes { Bytes(utf8: "value\(i)") }

  /// Writes keys `range` and flushes them into one table.
  static func table(_ db: Database, _ range: Range<Int>) throws {
    for i in range { try db.put(key(i), value(i)) }
    try db.flush()
  }

  /// The table names the current version holds.
  static func tablesInVersion(_ db: Database) -> [String] { db.versions.current.tables.map(\.name).sorted() }

  static func tablesOnDisk(_ fs: any FileSystem) throws -> [String] {
    try fs.listDirectory("/db").filter { TableFileNames.tableNumber($0) != nil }.sorted()
  }
}

/// Problems found on other threads or inside callbacks.
final class Problems: Sendable {
  private let list = Locked<[String]>([])
  func add(_ problem: String) { list.withLock { $0.append(problem) } }
  var all: [String] { list.withLock { $0 } }
}
