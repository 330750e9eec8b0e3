/// The engines `beach bench` can drive, one per chapter.
///
/// As in the shell's `EngineRegistry`, each entry is compiled only when its
/// chapter's module exists, so a milestone checkout with chapters 1…N builds
/// a benchmark driver with exactly N engines. A new chapter adds one
/// `#if canImport` block here and one `Engines/Chapter…BenchEngine.swift`
/// file.
public enum BenchEngineRegistry {
  /// Every registered engine, oldest chapter first.
  public static let all: [BenchEngineDescriptor] = {
    var engines: [BenchEngineDescriptor] = []
    #if canImport(Chapter1WAL)
      engines.append(chapter1)
    #endif
    #if canImport(Chapter2Memtable)
      engines.append(chapter2)
    #endif
    #if canImport(Chapter3SSTable)
      engines.append(chapter3)
    #endif
    #if canImport(Chapter4Manifest)
      engines.append(chapter4)
    #endif
    return engines
  }()

  /// The engine for `chapter`, or `nil` if this build has none.
  public static func engine(chapter: Int) -> BenchEngineDescriptor? {
    all.first { $0.chapter == chapter }
  }

  /// The newest chapter's engine: the default.
  public static var newest: BenchEngineDescriptor { all[all.count - 1] }

  /// The chapter numbers available, for messages: `1, 2, 3`.
  public static var chapterList: String { all.map { String($0.chapter) }.joined(separator: ", ") }
}
