/// The engines `beach bench` can drive, one per chapter: the `bench` half of
/// each chapter's `ChapterAdapter`.
public enum BenchEngineRegistry {
  /// Every registered engine, oldest chapter first.
  public static let all: [BenchEngineDescriptor] = EngineRegistry.chapters.map(\.bench)

  /// The engine for `chapter`, or `nil` if this build has none.
  public static func engine(chapter: Int) -> BenchEngineDescriptor? {
    all.first { $0.chapter == chapter }
  }

  /// The newest chapter's engine: the default.
  public static var newest: BenchEngineDescriptor { all[all.count - 1] }

  /// The chapter numbers available, for messages: `1, 2, 3`.
  public static var chapterList: String { all.map { String($0.chapter) }.joined(separator: ", ") }
}
