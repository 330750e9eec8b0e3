import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable

/// A table of a version: what the manifest says about it, and where its
/// reader comes from. Shared by every version that names the table.
public final class TableFile: Sendable {
  public let metadata: TableMetadata
  /// Opens (or finds open) the table's reader.
  public let access: any TableAccess

  public init(metadata: TableMetadata, access: any TableAccess) {
    self.metadata = metadata
    self.access = access
  }

  /// The table's open reader (chapter 4 keeps it open; chapter 5's table
  /// cache may have to reopen it).
  public func reader() throws -> TableReader { try access.reader(for: metadata) }

  public var number: UInt64 { metadata.number }
  public var name: String { metadata.name }
}

/// The set of live tables at one moment, level by level. Immutable: a
/// change (a flush, a merge) makes a new version from the old one and an
/// edit, and whoever still holds the old one keeps reading it unchanged.
///
/// Level 0 holds flushed tables, newest first; their key ranges overlap, so
/// a read must consult each one whose range covers the key. Levels 1 and
/// up hold tables with disjoint ranges, sorted by key (chapter 4's merge
/// writes one table to level 1; chapter 6 fills the levels below).
public final class Version: @unchecked Sendable {
  /// Counts versions in the order they were made: `version 4`.
  public let id: Int
  public let levels: [[TableFile]]
  /// Point reads in progress on this version (guarded by the version
  /// set's lock): short pins that need no name.
  var reads = 0

  init(id: Int, levels: [[TableFile]]) {
    self.id = id
    self.levels = levels
  }

  /// `L0: 000007.sst 000005.sst, L1: 000004.sst`; a level of more than
  /// four tables is counted, with its first and last.
  public var summary: String {
    let parts = levels.enumerated().filter { !$0.element.isEmpty }.map { level, tables in
      "L\(level): "
        + (tables.count <= 4
          ? tables.map(\.name).joined(separator: " ")
          : "\(tables.count) tables, \(tables[0].name) … \(tables[tables.count - 1].name)")
    }
    return parts.isEmpty ? "no tables" : parts.joined(separator: ", ")
  }

  /// Every table of the version, level 0 first.
  public var tables: [TableFile] { levels.flatMap { $0 } }

  // snippet: version-candidates
  /// The tables a read of `key` must consult, in the order to consult them:
  /// each level 0 table whose range covers the key, newest first, then at
  /// most one table per deeper level.
  public func candidates(for key: Bytes) -> [TableFile] {
    var result = levels[0].filter { $0.metadata.mayContain(key) }
    for level in levels.dropFirst() where !level.isEmpty {
      // The first table whose last key is at or after `key`.
      var low = 0
      var high = level.count
      while low < high {
        let middle = (low + high) / 2
        if compareBytes(level[middle].metadata.largest.userKey, key) < 0 { low = middle + 1 } else { high = middle }
      }
      if low < level.count, level[low].metadata.mayContain(key) { result.append(level[low]) }
    }
    return result
  }
  // end snippet
}

/// Applies edits to a version's table list: the one place where the rules
/// for a valid edit live (a table is added once, and only a table that is
/// there can be deleted).
struct VersionBuilder {
  var levels: [[TableMetadata]]
  /// The newest compaction pointer of each level (replay only).
  var compactPointers: [Int: InternalKey] = [:]

  init(levels: [[TableMetadata]] = Array(repeating: [], count: VersionEdit.levelCount)) {
    self.levels = levels
  }

  init(_ version: Version) {
    self.levels = version.levels.map { $0.map(\.metadata) }
  }

  /// Applies `edit`; returns a description of the problem if the edit does
  /// not fit the tables as they are.
  mutating func apply(_ edit: VersionEdit) -> String? {
    for (level, number) in edit.deleted {
      guard let index = levels[level].firstIndex(where: { $0.number == number }) else {
        return "an edit deletes \(TableFileNames.table(number)) from level \(level), where it is not"
      }
      levels[level].remove(at: index)
    }
    for (level, table) in edit.added {
      if levels.contains(where: { $0.contains { $0.number == table.number } }) {
        return "an edit adds \(table.name) twice"
      }
      levels[level].append(table)
    }
    for (level, key) in edit.compactPointers { compactPointers[level] = key }
    levels[0].sort { $0.number > $1.number }
    for level in 1..<levels.count { levels[level].sort { $0.smallest < $1.smallest } }
    return nil
  }

  /// Every table number.
  var numbers: [UInt64] { levels.flatMap { $0.map(\.number) } }
}

extension TableFile {
  /// An iterator over the table; if its reader cannot be opened, one that
  /// throws that error at its first move (a scan's tables are taken under a
  /// lock, where nothing may throw).
  static func makeIterator(_ table: TableFile) -> any InternalIterator {
    do {
      return try table.reader().makeIterator()
    } catch {
      return FailedIterator(error: error)
    }
  }
}

// snippet: level-iterator
/// The tables of one level below level 0 as one iterator. Their ranges are
/// disjoint and sorted, so the level is a single sorted run: a scan walks
/// the tables in turn, opening each only when it gets there, and a seek
/// opens the one table whose range can hold its target. A merge of the
/// levels then compares one entry per level, not one per table.
struct LevelIterator: InternalIterator {
  let tables: [TableFile]
  private var index = 0
  /// The table being read; an empty iterator before the first seek and
  /// past the last table (never an optional: reading through one would
  /// copy the table iterator at every step).
  private var current: any InternalIterator = EmptyIterator()

  init(_ tables: [TableFile]) { self.tables = tables }

  var isValid: Bool { current.isValid }
  var key: InternalKey { current.key }
  var value: Bytes { current.value }
  func withUnsafeKey<R>(_ body: (BorrowedKey) throws -> R) rethrows -> R { try current.withUnsafeKey(body) }
  func withUnsafeValue<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try current.withUnsafeValue(body)
  }

  mutating func seekToFirst() throws {
    try open(0)
    try current.seekToFirst()
    try skipFinishedTables()
  }

  mutating func seek(_ target: InternalKey) throws {
    // The first table whose last key is at or after the target.
    var low = 0
    var high = tables.count
    while low < high {
      let middle = (low + high) / 2
      if tables[middle].metadata.largest < target { low = middle + 1 } else { high = middle }
    }
    try open(low)
    try current.seek(target)
    try skipFinishedTables()
  }

  mutating func next() throws {
    try current.next()
    if !current.isValid { try skipFinishedTables() }
  }

  /// At the end of one table, the next table's first entry.
  private mutating func skipFinishedTables() throws {
    while !current.isValid, index + 1 < tables.count {
      try open(index + 1)
      try current.seekToFirst()
    }
  }

  /// Makes table `position` current; a seek into the table already open
  /// keeps its iterator (and the block it holds).
  private mutating func open(_ position: Int) throws {
    if position == index, position < tables.count, current is TableIterator { return }
    index = position
    current = position < tables.count ? TableFile.makeIterator(tables[position]) : EmptyIterator()
  }
}
// end snippet

/// An iterator with no entries.
struct EmptyIterator: InternalIterator {
  var isValid: Bool { false }
  var key: InternalKey { preconditionFailure("EmptyIterator.key") }
  var value: Bytes { preconditionFailure("EmptyIterator.value") }
  mutating func seekToFirst() {}
  mutating func seek(_ target: InternalKey) {}
  mutating func next() { preconditionFailure("EmptyIterator.next") }
}

/// An iterator with nothing in it but an error, thrown at every move.
struct FailedIterator: InternalIterator {
  let error: any Error
  var isValid: Bool { false }
  var key: InternalKey { preconditionFailure("FailedIterator.key") }
  var value: Bytes { preconditionFailure("FailedIterator.value") }
  mutating func seekToFirst() throws { throw error }
  mutating func seek(_ target: InternalKey) throws { throw error }
  mutating func next() throws { throw error }
}
