import Chapter1WAL
import Chapter2Memtable

extension Chapter2Engine {
  /// Chapter 2: the log and one memtable, which grows without bound.
  static let bench = BenchEngineDescriptor(chapter: 2, hasFilters: false, flushes: false, iteratesBackward: true) {
    directory, _ in
    let database = try Chapter2Memtable.Database.open(directory: directory, fileSystem: DiskFileSystem())
    return BenchEngine(store: database, makeIterator: { database.makeIterator() })
  }
}
