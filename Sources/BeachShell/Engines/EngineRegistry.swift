#if canImport(Chapter1WAL)
  import Chapter1WAL
#endif
#if canImport(Chapter2Memtable)
  import Chapter2Memtable
#endif
#if canImport(Chapter3SSTable)
  import Chapter3SSTable
#endif
#if canImport(Chapter4Manifest)
  import Chapter4Manifest
#endif

/// The engines this build of the shell can run, one per chapter.
///
/// Each entry is compiled only when its chapter's module exists, so a
/// milestone checkout with chapters 1…N (see `Scripts/milestones`) builds a
/// shell with exactly N engines and no dangling references. A new chapter
/// adds one `#if canImport` block here and one `Chapter…Engine.swift` file.
public enum EngineRegistry {
  /// Every registered engine, oldest chapter first.
  public static let all: [EngineDescriptor] = {
    var engines: [EngineDescriptor] = []
    #if canImport(Chapter1WAL)
      engines.append(Chapter1Engine.descriptor)
    #endif
    #if canImport(Chapter2Memtable)
      engines.append(Chapter2Engine.descriptor)
    #endif
    #if canImport(Chapter3SSTable)
      engines.append(Chapter3Engine.descriptor)
    #endif
    #if canImport(Chapter4Manifest)
      engines.append(Chapter4Engine.descriptor)
    #endif
    return engines
  }()

  /// The engine for `chapter`, or `nil` if this build has none.
  public static func engine(chapter: Int) -> EngineDescriptor? {
    all.first { $0.chapter == chapter }
  }

  /// The newest chapter's engine: the shell's default.
  public static var newest: EngineDescriptor { all[all.count - 1] }

  /// The chapter numbers available, for messages: `1, 2, 3`.
  public static var chapterList: String { all.map { String($0.chapter) }.joined(separator: ", ") }
}
