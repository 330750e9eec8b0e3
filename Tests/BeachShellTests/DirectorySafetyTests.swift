import Chapter1WAL
import Foundation
import TestSupport
import Testing

@testable import BeachShell

/// The three ways a user could lose data by accident, each made impossible:
/// a directory that is not a database, two processes on one directory, and
/// switching chapters on one directory.
@Suite struct DirectorySafetyTests {
  /// Runs `lines` in a fresh shell on `directory` with chapter `chapter`'s
  /// engine, closes it, and returns what it printed.
  private func session(_ chapter: Int, _ directory: String, _ lines: [String]) throws -> [String] {
    let collector = LineCollector()
    let shell = try Shell(
      options: Shell.Options(
        chapter: chapter, directory: directory, trace: .off, output: .collecting(into: collector),
        deterministic: true))
    shell.run(lines: lines)
    shell.finish()
    return collector.lines
  }

  /// Every file's name and bytes.
  private func contents(of directory: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
      files[name] = FileManager.default.contents(atPath: directory + "/" + name)
    }
    return files
  }

  @Test func aDirectoryOfOtherFilesIsRefusedAndWipeKeepsThem() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try "keep me".write(toFile: directory.path + "/important.txt", atomically: true, encoding: .utf8)
    let refused = try session(EngineRegistry.newest.chapter, directory.path, ["put a 1"])
    #expect(refused.first?.hasPrefix("error: cannot open the database: the database directory holds 1 file") == true)
    #expect(try contents(of: directory.path).keys.sorted() == ["important.txt"], "nothing was created")

    // Beside a real database a stray file is left alone, by open and by wipe.
    let database = directory.path + "/db"
    _ = try session(1, database, ["put a 1"])
    try "keep me".write(toFile: database + "/important.txt", atomically: true, encoding: .utf8)
    let wiped = try session(1, database, ["get a", "wipe"])
    #expect(
      wiped == ["1", "ok  removed 3 files; no database open (`reopen` starts afresh); kept 1 file beach did not make"])
    #expect(try contents(of: database).keys.sorted() == ["important.txt"])
  }

  @Test func aSecondProcessOnTheSameDirectoryIsRefused() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let database = directory.path + "/db"
    // The first process holds the database open while its input stays open.
    let first = Process()
    first.executableURL = try KillLoopTests.beachExecutable()
    first.arguments = ["--dir", database, "--trace", "off"]
    let input = Pipe()
    let output = Pipe()
    first.standardInput = input
    first.standardOutput = output
    try first.run()
    input.fileHandleForWriting.write(Data("put a 1\n".utf8))
    // Wait for its acknowledgement: from then on it holds the lock.
    var seen = Data()
    while !String(decoding: seen, as: UTF8.self).contains("ok  seq 1") {
      let chunk = output.fileHandleForReading.availableData
      guard !chunk.isEmpty else { break }
      seen += chunk
    }
    let second = try CommandLine.beach(["--dir", database, "--trace", "off", "put", "b", "2"])
    #expect(second.status == 1)
    #expect(
      second.output.contains("is in use by another process (pid \(first.processIdentifier))"), "\(second.output)")
    try input.fileHandleForWriting.close()
    first.waitUntilExit()
    #expect(try CommandLine.beach(["--dir", database, "--trace", "off", "get", "a"]).output == "1\n")
  }

  @Test func aSecondOpenInOneProcessIsRefused() throws {
    let fileSystem = MemoryFileSystem()
    let database = try Chapter1WAL.Database.open(directory: "/db", fileSystem: fileSystem)
    #expect(throws: DirectoryError.inUse(directory: "/db", pid: nil)) {
      try Chapter1WAL.Database.open(directory: "/db", fileSystem: fileSystem)
    }
    try database.close()
    try Chapter1WAL.Database.open(directory: "/db", fileSystem: fileSystem).close()
  }

  /// Chapter i writes (and flushes, if it can), chapter j opens the same
  /// directory, then chapter i again: each open either reads every
  /// acknowledged write, or is refused with nothing on disk changed.
  @Test(arguments: EngineRegistry.databases.map(\.chapter))
  func everyPairOfChaptersReadsEveryWriteOrRefusesWithoutChange(first: Int) throws {
    for second in EngineRegistry.databases.map(\.chapter) {
      let directory = try TemporaryDirectory()
      defer { directory.remove() }
      let database = directory.path + "/db"
      let flush = first >= 3 ? ["flush"] : []
      let wrote = try session(first, database, ["put a 1"] + flush + ["put b 2", "delete a", "put c 3"])
      #expect(wrote.allSatisfy { $0.hasPrefix("ok") }, "chapter \(first): \(wrote)")
      // FORMAT names the newest chapter that opened it: at or after it, an
      // open reads; before it, it is refused.
      try checkOpen(second, after: first, database, mustRead: second >= first)
      try checkOpen(first, after: second, database, mustRead: first >= max(first, second))
    }
  }

  /// Opens `database` with chapter `chapter`'s engine: it reads b and c and
  /// not a, or it is refused and the files are as they were.
  private func checkOpen(_ chapter: Int, after writer: Int, _ database: String, mustRead: Bool) throws {
    let before = try contents(of: database)
    let read = try session(chapter, database, ["scan"])
    if read.first?.hasPrefix("error: cannot open the database") == true {
      #expect(!mustRead, "chapter \(chapter) after \(writer) should have read: \(read)")
      #expect(read.first?.contains("was written by chapter") == true, "chapter \(chapter) after \(writer): \(read)")
      #expect(try contents(of: database) == before, "chapter \(chapter) refused but changed the files")
    } else {
      #expect(read == ["b = 2", "c = 3", "(2 entries)"], "chapter \(chapter) after chapter \(writer)")
    }
  }
}
