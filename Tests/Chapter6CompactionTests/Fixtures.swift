import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest

@testable import Chapter6Compaction

typealias Database = Chapter6Compaction.Database

enum Fixture {
  /// Tiny memtables, blocks, levels and tables, so that a short workload
  /// fills several levels; compaction inline unless `background`.
  static func options(
    memtableSize: Int = 1024, level0Trigger: Int = 2, level1Bytes: UInt64 = 2048, multiplier: UInt64 = 4,
    tableSize: UInt64 = 1024, background: Bool = false
  ) -> Database.Options {
    var options = Database.Options()
    options.memtableSize = memtableSize
    options.backgroundFlush = background
    options.table.blockSize = 256
    options.compaction.background = background
    options.compaction.level0Trigger = level0Trigger
    options.compaction.level0Slowdown = level0Trigger + 4
    options.compaction.level0Stop = level0Trigger + 8
    options.compaction.level1Bytes = level1Bytes
    options.compaction.levelMultiplier = multiplier
    options.compaction.targetTableSize = tableSize
    return options
  }

  static func open(_ fs: any FileSystem, _ options: Database.Options = options(), tracer: Tracer = .disabled) throws
    -> Database
  {
    try Database.open(directory: "/db", fileSystem: fs, options: options, tracer: tracer)
  }

  static func key(_ i: Int) -> Bytes { Bytes(utf8: "key\(String(format: "%05d", i))") }
  static func value(_ i: Int, round: Int = 0) -> Bytes {
    Bytes(utf8: "value\(i).\(round)-" + String(repeating: "x", count: 20))
  }

  /// Checks what must hold of every version: levels 1 and deeper sorted
  /// and disjoint, no user key in two tables of one level, and every table
  /// on disk named by the version.
  static func levelProblems(_ db: Database) -> [String] {
    var problems: [String] = []
    for (level, tables) in db.versions.current.levels.enumerated() where level > 0 {
      for (a, b) in zip(tables, tables.dropFirst())
      where compareBytes(a.metadata.largest.userKey, b.metadata.smallest.userKey) >= 0 {
        problems.append("L\(level): \(a.name) (\(a.metadata.keyRange)) meets \(b.name) (\(b.metadata.keyRange))")
      }
    }
    return problems
  }

  static func tablesOnDisk(_ fs: any FileSystem) throws -> [String] {
    try fs.listDirectory("/db").filter { TableFileNames.tableNumber($0) != nil }.sorted()
  }

  static func tablesInVersion(_ db: Database) -> [String] { db.versions.current.tables.map(\.name).sorted() }

  /// Table counts per level: `[2, 3, 0, 0, 0, 0, 0]`.
  static func shape(_ db: Database) -> [Int] { db.versions.current.levels.map(\.count) }
}

/// Table metadata for the picker, without any table behind it.
func table(_ number: UInt64, _ from: String, _ to: String, size: UInt64 = 1000) -> TableMetadata {
  TableMetadata(
    number: number, fileSize: size, entryCount: 10,
    smallest: InternalKey(Bytes(utf8: from), sequence: 100, kind: .value),
    largest: InternalKey(Bytes(utf8: to), sequence: 1, kind: .value))
}

/// Seven levels, with the tables given for the first few.
func levels(_ given: [TableMetadata]...) -> [[TableMetadata]] {
  given + Array(repeating: [], count: CompactionOptions.levelCount - given.count)
}

/// Problems found on other threads or inside callbacks.
final class Problems: Sendable {
  private let list = Locked<[String]>([])
  func add(_ problem: String) { list.withLock { $0.append(problem) } }
  var all: [String] { list.withLock { $0 } }
}
