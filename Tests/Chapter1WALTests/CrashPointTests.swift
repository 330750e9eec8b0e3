import TestSupport
import Testing

@testable import Chapter1WAL

/// Crash-point enumeration: run a workload, cut the power after the Nth
/// file-system operation for every N in turn, recover, and check the result
/// against an oracle of acknowledged writes.
@Suite struct CrashPointTests {
  static let directory = "/db"

  /// Runs `workload` until the power goes; returns the oracle's view.
  static func run(
    _ workload: Workload, on fileSystem: any FileSystem, sync: (Int) -> Bool = { _ in true }
  ) -> CrashOracle {
    var oracle = CrashOracle()
    guard let db = try? Database.open(directory: directory, fileSystem: fileSystem) else { return oracle }
    for (index, batch) in workload.batches.enumerated() {
      oracle.begin(batch)
      do {
        try db.write(batch, options: .init(sync: sync(index)))
      } catch {
        return oracle
      }
      oracle.acknowledge(synced: sync(index))
    }
    return oracle
  }

  /// Enumerates every crash point of `workload` and returns the failures.
  static func enumerate(
    _ workload: Workload, modes: [CrashMode], sync: (Int) -> Bool = { _ in true },
    wrap: (PowerCutFileSystem) -> any FileSystem = { $0 }
  ) throws -> (points: Int, failures: [String]) {
    let counting = PowerCutFileSystem(wrapping: MemoryFileSystem())
    _ = run(workload, on: wrap(counting), sync: sync)
    let total = counting.operationCount
    var failures: [String] = []
    for point in 0...total {
      for mode in modes {
        let fs = PowerCutFileSystem(wrapping: MemoryFileSystem())
        fs.schedulePowerCut(afterOperations: point)
        let oracle = run(workload, on: wrap(fs), sync: sync)
        try fs.crash(mode)
        do {
          let db = try Database.open(directory: directory, fileSystem: fs)
          if let problem = oracle.check(try db.contents()) {
            failures.append("crash after operation \(point) (\(mode)): \(problem)")
          }
        } catch {
          failures.append("crash after operation \(point) (\(mode)): recovery failed: \(error)")
        }
      }
    }
    return (total, failures)
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
