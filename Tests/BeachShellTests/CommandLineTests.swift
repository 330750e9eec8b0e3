import Chapter1WAL
import Foundation
import TestSupport
import Testing

/// The `beach` executable, run as a process: what a script or CI sees.
@Suite struct CommandLineTests {
  /// Runs `beach` with `arguments`; returns its exit status and standard output.
  private func beach(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
    try CommandLine.beach(arguments, stdin: stdin)
  }

  @Test func aPipedSessionPrintsNoPromptAndNoEcho() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let result = try beach(
      ["--dir", directory.path + "/db", "--trace", "off"], stdin: "put a 1\nget a\nfrob\nget b\n")
    #expect(result.status == 1, "a command failed")
    #expect(
      result.output == "ok  seq 1\n1\nerror: line 3: unknown command 'frob' ('help' lists commands)\n(not found)\n")
  }

  @Test func aScriptStopsAtItsFirstErrorWithBail() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let script = directory.path + "/script"
    try "put a 1\n\nbogus\nput b 2\n".write(toFile: script, atomically: true, encoding: .utf8)
    let result = try beach(["--dir", directory.path + "/db", "--trace", "off", "--script", script, "--bail"])
    #expect(result.status == 1)
    #expect(result.output == "ok  seq 1\nerror: line 3: unknown command 'bogus' ('help' lists commands)\n")
    let clean = try beach(["--dir", directory.path + "/db", "--trace", "off"], stdin: "PUT c 3\nget a\n")
    #expect(clean.status == 0, "every command succeeded; names are not case-sensitive")
    #expect(clean.output == "ok  seq 2\n1\n")
  }

  @Test func aMissingScriptOrAnUnusableDirectoryFailsBeforeAnythingIsCreated() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let db = directory.path + "/db"
    #expect(try beach(["--dir", db, "--script", directory.path + "/nonexistent"]).status == 64)
    #expect(!FileManager.default.fileExists(atPath: db), "no database was created")
    try "x".write(toFile: db, atomically: true, encoding: .utf8)
    #expect(try beach(["--dir", db, "--trace", "off"], stdin: "put a 1\n").status == 1, "--dir is a file")
    #expect(try beach(["--dir", "/proc/nope/db"], stdin: "").status == 1)
  }

  @Test func oneCommandOnTheCommandLineRunsAndExits() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let db = directory.path + "/db"
    #expect(try beach(["--dir", db, "--trace", "off", "put", "my key", "it's here"]).output == "ok  seq 1\n")
    #expect(try beach(["--dir", db, "--trace", "off", "get", "my key"]).output == "\"it's here\"\n")
    let typo = try beach(["bnech"])
    #expect(typo.status == 64, "a mistyped subcommand is a usage error")
    #expect(try beach(["--version"]).output.hasPrefix("BeachDB-Swift, chapters 1"))
  }

  @Test func aScriptRunsAgainstAnExistingDirectory() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let script = directory.path + "/script"
    try "put a 1\n".write(toFile: script, atomically: true, encoding: .utf8)
    #expect(try beach(["--dir", directory.path + "/db", "--trace", "off", "--script", script]).output == "ok  seq 1\n")
    try "get a\n".write(toFile: script, atomically: true, encoding: .utf8)
    #expect(try beach(["--dir", directory.path + "/db", "--script", script]).output.hasSuffix("\n1\n"))
  }

  @Test func walDumpExitsNonZeroOnCorruption() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let db = directory.path + "/db"
    _ = try beach(["--chapter", "1", "--dir", db, "--trace", "off"], stdin: "put a 1\nput b 2\n")
    let good = try beach(["wal-dump", db + "/000001.log", "--decode"])
    #expect(good.status == 0)
    #expect(good.output.contains("#2 PUT b = 2"))
    #expect(good.output.hasSuffix("2 good records: ok\n"))
    _ = try beach(["--chapter", "1", "--dir", db, "--trace", "off"], stdin: "corrupt 000001.log 50\n")
    let bad = try beach(["wal-dump", db + "/000001.log"])
    #expect(bad.status == 1)
    #expect(bad.output.contains("CORRUPT"))
  }

  @Test func notebookCheckExitsNonZeroOnAMismatch() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.path + "/01-n.md"
    try "---\nchapter: 1\n---\n```beach\nbeach[ch1]> trace off\ntrace off\nbeach[ch1]> put a 1\nok  seq 1\n```\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    #expect(try beach(["notebook", "check", path]).status == 0)
    try "---\nchapter: 1\n---\n```beach\nbeach[ch1]> trace off\ntrace off\nbeach[ch1]> put a 1\nok  seq 2\n```\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    let failed = try beach(["notebook", "check", path])
    #expect(failed.status == 1)
    #expect(failed.output.contains("- ok  seq 2"))
    #expect(try beach(["notebook", "update", path]).status == 0)
    #expect(try beach(["notebook", "check", path]).status == 0)
  }

  @Test func anUnknownChapterIsAUsageError() throws {
    #expect(try beach(["--chapter", "99"], stdin: "").status == 64)
  }
}
