import Chapter1WAL
import Chapter3SSTable

extension Chapter3Engine {
  /// Chapter 3: the log, memtables flushed on a background thread, and
  /// tables. Its merged iterator walks forward only.
  static let bench = BenchEngineDescriptor(chapter: 3, hasFilters: false, flushes: true, iteratesBackward: false) {
    directory, configuration in
    var options = Chapter3SSTable.Database.Options()
    if let size = configuration.writeBufferSize { options.memtableSize = size }
    let database = try Chapter3SSTable.Database.open(
      directory: directory, fileSystem: DiskFileSystem(), options: options)
    return BenchEngine(
      store: database, makeIterator: { database.makeIterator() },
      waitForBackgroundWork: { database.waitForFlush() })
  }
}
