import Chapter1WAL

extension Chapter1Engine {
  /// Chapter 1: the log and a hash map. It has no order to iterate in, so
  /// an iterator is a sorted copy of the whole map, made when it is created.
  static let bench = BenchEngineDescriptor(chapter: 1, hasFilters: false, flushes: false, iteratesBackward: true) {
    directory, _ in
    let database = try Chapter1WAL.Database.open(directory: directory, fileSystem: DiskFileSystem())
    return BenchEngine(store: database, makeIterator: { try database.makeIterator() })
  }
}
