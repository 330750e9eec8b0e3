import TestSupport
import Testing

@testable import Chapter1WAL

/// Crash-point enumeration: run a workload, cut the power after the Nth
/// file-system operation for every N in turn, recover, and check the result
/// against an oracle of acknowledged writes.
@Suite struct CrashPointTests {
  static func open(_ fileSystem: any FileSystem) throws -> any KeyValueStore {
    try Database.open(directory: "/db", fileSystem: fileSystem)
  }

  static func enumerate(
    _ workload: Workload, modes: [CrashMode], sync: (Int) -> Bool = { _ in true },
    wrap: (PowerCutFileSystem) -> any FileSystem = { $0 }
  ) throws -> (points: Int, failures: [String]) {
    try CrashPoints.enumerate(workload, modes: modes, sync: sync, wrap: wrap, open: open)
  }

  @Test(arguments: [1 as UInt64, 2, 3])
  func everyAcknowledgedWriteSurvivesEveryCrashPoint(seed: UInt64) throws {
    let workload = Workload(seed: seed, count: 25)
    let (points, failures) = try Self.enumerate(
      workload, modes: [.dropUnsynced, .keepAllUnsynced, .random(seed: seed)])
    #expect(points > 50)
    #expect(failures.isEmpty, "seed \(seed): \(failures.prefix(3).joined(separator: "\n"))")
  }

  /// With sync off for some writes, a later synced write makes them durable
  /// too (the log is one sequence), and no batch is ever half-applied.
  @Test func mixedSyncWritesRecoverToAPrefix() throws {
    let workload = Workload(seed: 11, count: 30)
    let (_, failures) = try Self.enumerate(
      workload, modes: [.dropUnsynced, .keepAllUnsynced, .random(seed: 5), .keepUnsynced(bytes: 7)],
      sync: { $0 % 4 == 3 })
    #expect(failures.isEmpty, "\(failures.prefix(3).joined(separator: "\n"))")
  }

  /// The same check catches a writer that forgets the directory fsync after
  /// creating its log: the log's name is lost in the power cut, and with it
  /// writes that were acknowledged as synced.
  @Test func missingDirectorySyncIsCaught() throws {
    let workload = Workload(seed: 1, count: 5)
    let (_, failures) = try Self.enumerate(
      workload, modes: [.dropUnsynced], wrap: { HookedFileSystem(wrapping: $0, skipsDirectorySyncs: true) })
    #expect(!failures.isEmpty, "a missing directory fsync must lose an acknowledged write at some crash point")
  }
}
