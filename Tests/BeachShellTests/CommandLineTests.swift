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
    #expect(result.status == 0)
    #expect(
      result.output == "ok  seq 1\n1\nerror: unknown command 'frob' ('help' lists commands)\n(not found)\n")
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
