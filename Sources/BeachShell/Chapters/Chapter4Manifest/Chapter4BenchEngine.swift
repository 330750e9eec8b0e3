import Chapter1WAL
import Chapter4Manifest

extension Chapter4Engine {
  /// Chapter 4: chapter 3's engine with a manifest; its iterators pin a
  /// version and walk forward only.
  static let bench = BenchEngineDescriptor(chapter: 4, hasFilters: false, flushes: true, iteratesBackward: false) {
    directory, configuration in
    var options = Chapter4Manifest.Database.Options()
    if let size = configuration.writeBufferSize { options.memtableSize = size }
    let database = try Chapter4Manifest.Database.open(
      directory: directory, fileSystem: DiskFileSystem(), options: options)
    return BenchEngine(
      store: database, makeIterator: { database.makeIterator() }, waitForBackgroundWork: { database.waitForFlush() })
  }
}
