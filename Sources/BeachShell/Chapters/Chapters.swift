import Chapter7Server
import Chapter8Raft

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
    Chapter8Adapter.adapter,
  ]
}

// Chapter7Server: the servers `beach load --target KIND:HOST:PORT` drives, one chapter to a line. `beach load` is
// Chapter7Server's tool, so every line of the list names Chapter7Server and a milestone before it drops them all.
extension LoadCommand {  // Chapter7Server
  static let kinds: [LoadTargetKind] = [  // Chapter7Server
    LoadTargetKind.beach, LoadTargetKind.redis,  // Chapter7Server
    LoadTargetKind.raft, LoadTargetKind.etcd, LoadTargetKind.etcdSerializable,  // Chapter8Raft
  ]  // Chapter7Server
}  // Chapter7Server
