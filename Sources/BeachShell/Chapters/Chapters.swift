/// The chapters the tools know, in reading order: one line each.
///
/// Adding a chapter adds its folder beside this file and one line here.
/// `Scripts/milestones` deletes the lines of the chapters after N (every
/// line naming `ChapterK…` for K > N), as it does in `Package.swift`, so
/// keep one adapter to a line.
extension EngineRegistry {
  static let chapters: [ChapterAdapter] = [
    Chapter1Adapter.adapter,
    Chapter2Adapter.adapter,
    Chapter3Adapter.adapter,
    Chapter4Adapter.adapter,
    Chapter5Adapter.adapter,
    Chapter6Adapter.adapter,
    Chapter7Adapter.adapter,
  ]
}
