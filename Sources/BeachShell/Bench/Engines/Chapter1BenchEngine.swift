#if canImport(Chapter1WAL)
  import Chapter1WAL

  extension BenchEngineRegistry {
    /// Chapter 1: the log and a hash map. It has no order to iterate in, so
    /// an iterator is a sorted copy of the whole map, made when it is created.
    static let chapter1 = BenchEngineDescriptor(chapter: 1, hasFilters: false, flushes: false, iteratesBackward: true) {
      directory, _ in
      let database = try Chapter1WAL.Database.open(directory: directory, fileSystem: DiskFileSystem())
      return BenchEngine(store: database, makeIterator: { SortedCopyIterator(try database.scan()) })
    }
  }
#endif
