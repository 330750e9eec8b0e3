#if canImport(Chapter3SSTable)
  import Chapter1WAL
  import Chapter3SSTable

  extension DatabaseIterator: BenchIterator {}

  extension BenchEngineRegistry {
    /// Chapter 3: the log, memtables flushed on a background thread, and
    /// tables. Its merged iterator walks forward only.
    static let chapter3 = BenchEngineDescriptor(chapter: 3, hasFilters: false, flushes: true, iteratesBackward: false) {
      directory, configuration in
      var options = Chapter3SSTable.Database.Options()
      if let size = configuration.writeBufferSize { options.memtableSize = size }
      let database = try Chapter3SSTable.Database.open(
        directory: directory, fileSystem: DiskFileSystem(), options: options)
      return BenchEngine(
        store: database, makeIterator: { try database.makeIterator(atSequence: database.lastSequence) },
        waitForBackgroundWork: { database.waitForFlush() })
    }
  }
#endif
