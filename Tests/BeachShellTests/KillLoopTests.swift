import BeachShell
import Chapter1WAL
import Foundation
import TestSupport
import Testing

/// The crash test that needs no simulation: a real child process writes to a
/// real directory with sync on, and is killed with SIGKILL at a random moment.
/// Every write it acknowledged must be there when the database is reopened;
/// the one write in flight may go either way; nothing may be half applied.
///
/// A short profile runs with `swift test`. For a longer one:
///
///     BEACH_KILL_ROUNDS=200 swift test --filter KillLoopTests
@Suite struct KillLoopTests {
  /// Chapter 1's engine, and the newest chapter's, whose memtables flush
  /// and whose levels compact within a round (so the kill lands in flushes
  /// and compactions too).
  @Test(arguments: Array(Set([1, BenchEngineRegistry.newest.chapter])).sorted())
  func sigkillNeverLosesAnAcknowledgedWrite(chapter: Int) throws {
    let rounds = ProcessInfo.processInfo.environment["BEACH_KILL_ROUNDS"].flatMap(Int.init) ?? 6
    let directory = try TemporaryDirectory(prefix: "beach-kill")
    defer { directory.remove() }
    let dbPath = directory.path + "/db"
    var rng = SeededGenerator(seed: 42)
    var state: [Bytes: Bytes] = [:]

    for round in 0..<rounds {
      let lines = try runWorkerAndKill(
        directory: dbPath, chapter: chapter, seed: UInt64(round),
        afterMilliseconds: Int.random(in: 30...250, using: &rng))
      var oracle = CrashOracle(startingFrom: state)
      for line in lines {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { continue }
        switch parts[0] {
        case "begin": oracle.begin(try Self.parseBatch(parts[1]))
        case "ack": oracle.acknowledge(synced: true)
        default: continue
        }
      }
      let db = try CrashWorkerCommand.openStore(chapter: chapter, directory: dbPath)
      let recovered = try db.contents()
      try db.close()
      #expect(oracle.check(recovered) == nil, "chapter \(chapter), round \(round), \(oracle.acknowledged) acknowledged")
      state = recovered
    }
  }

  /// Parses `put k1 v0-3;del k2` into a batch.
  static func parseBatch(_ text: String) throws -> WriteBatch {
    var batch = WriteBatch()
    for operation in text.split(separator: ";") {
      let words = operation.split(separator: " ").map(String.init)
      switch (words.first, words.count) {
      case ("put", 3): batch.put(Bytes(utf8: words[1]), Bytes(utf8: words[2]))
      case ("del", 2): batch.delete(Bytes(utf8: words[1]))
      default: throw CocoaError(.formatting, userInfo: [NSDebugDescriptionErrorKey: "bad operation: \(operation)"])
      }
    }
    return batch
  }

  /// Starts `beach crash-worker`, kills it after a while, returns its output lines.
  func runWorkerAndKill(directory: String, chapter: Int, seed: UInt64, afterMilliseconds delay: Int) throws
    -> [String]
  {
    let process = Process()
    process.executableURL = try Self.beachExecutable()
    process.arguments = [
      "crash-worker", "--dir", directory, "--seed", "\(seed)", "--ops", "1000000", "--chapter", "\(chapter)",
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = OutputCollector()
    let reader = Thread { output.collect(pipe.fileHandleForReading) }
    reader.start()
    usleep(UInt32(delay) * 1000)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)
    return output.waitForLines()
  }

  /// The `beach` executable built beside this test bundle.
  static func beachExecutable() throws -> URL {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    // On Linux the test bundle is an executable in the products directory;
    // elsewhere it may sit inside a bundle folder.
    while !directory.path.hasSuffix("/debug") && !directory.path.hasSuffix("/release") && directory.path != "/" {
      directory = directory.deletingLastPathComponent()
    }
    let candidate = directory.appendingPathComponent("beach")
    guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
      throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidate.path])
    }
    return candidate
  }
}

/// Reads a pipe to its end on a thread of its own.
private final class OutputCollector: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private var data = Data()

  func collect(_ handle: FileHandle) {
    data = handle.readDataToEndOfFile()
    done.signal()
  }

  func waitForLines() -> [String] {
    done.wait()
    // A line cut by the kill has no newline; drop it.
    let text = String(decoding: data, as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines.removeLast()
    return lines
  }
}
