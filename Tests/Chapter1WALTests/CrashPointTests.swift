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
      workload, modes: [.dropUnsynced], wrap: { SkipsDirectorySync(wrapping: $0) })
    #expect(!failures.isEmpty, "a missing directory fsync must lose an acknowledged write at some crash point")
  }
}

/// A file system that forgets to sync directories: the bug the crash-point
/// test must catch.
final class SkipsDirectorySync: FileSystem, @unchecked Sendable {
  let base: any FileSystem
  init(wrapping base: any FileSystem) { self.base = base }
  func createDirectory(_ path: String) throws(FileSystemError) { try base.createDirectory(path) }
  func fileExists(_ path: String) -> Bool { base.fileExists(path) }
  func listDirectory(_ path: String) throws(FileSystemError) -> [String] { try base.listDirectory(path) }
  func fileSize(_ path: String) throws(FileSystemError) -> Int { try base.fileSize(path) }
  func openWritable(_ path: String, mode: OpenMode) throws(FileSystemError) -> any WritableFile {
    try base.openWritable(path, mode: mode)
  }
  func openReadable(_ path: String) throws(FileSystemError) -> any ReadableFile { try base.openReadable(path) }
  func rename(_ from: String, to: String) throws(FileSystemError) { try base.rename(from, to: to) }
  func removeFile(_ path: String) throws(FileSystemError) { try base.removeFile(path) }
  func truncateFile(_ path: String, to size: Int) throws(FileSystemError) { try base.truncateFile(path, to: size) }
  func syncDirectory(_ path: String) throws(FileSystemError) {}
}
