import BeachShell
import Foundation
import TestSupport
import Testing

/// Chapter 4 in the shell and on the command line: `iter`, `merge`, `show
/// files`, `manifest-dump`.
@Suite struct Chapter4ShellTests {
  @Test func anIteratorHoldsItsTablesThroughAMergeUntilItIsClosed() throws {
    let session = try ShellSession(chapter: 4)
    session.run("put a 1")
    session.run("flush")
    #expect(session.run("iter open") == ["ok  iterator 1 at seq 1, pins version 2: 000004.sst"])
    session.run("put b 2")
    session.run("flush")
    #expect(session.run("merge") == ["ok  merged into 000007.sst on level 1 (2 entries)"])
    let files = session.run("show files")
    #expect(files.contains("000004.sst       obsolete kept by iterator 1 (version 2)"), "\(files)")
    #expect(!files.contains { $0.hasPrefix("000006.sst") }, "the second flush's table was never pinned")
    #expect(session.run("iter next 1 5") == ["a = 1", "(end)"])
    #expect(session.run("iter close 1") == ["ok  closed iterator 1"])
    #expect(!session.run("show files").contains { $0.hasPrefix("000004.sst") })
    #expect(session.run("scan") == ["a = 1", "b = 2", "(2 entries)"])
  }

  @Test(arguments: [
    ("iter", "error: usage: iter open [FROM] [@ID] | next ID [N] | close ID"),
    ("iter frob", "error: iter takes open, next or close, not 'frob'"),
    ("iter opn", "error: iter takes open, next or close, not 'opn'; did you mean 'open'?"),
    ("iter next", "error: usage: iter next ID [N]"),
    ("iter next x", "error: ID must be a number, 1 or more (got 'x')"),
    ("iter next 7", "error: no open iterator 7 (none is open)"),
    ("iter close 7", "error: no open iterator 7 (none is open)"),
    ("iter open a b c", "error: usage: iter open [FROM] [@ID] | next ID [N] | close ID"),
    ("iter open @9", "error: no live snapshot 9"),
    ("merge now", "error: usage: merge"),
    ("show manifest 000001.log", "error: usage: show manifest (it takes no FILE)"),
  ])
  func badChapter4InputPrintsOneErrorAndChangesNothing(line: String, error: String) throws {
    let session = try ShellSession(chapter: 4)
    session.run("put a 1")
    let before = session.contents
    #expect(session.run(line) == [error])
    #expect(session.contents == before)
  }

  @Test func chapter3HasNoIteratorsOrMerge() throws {
    let session = try ShellSession(chapter: 3)
    #expect(session.run("iter open") == ["error: 'iter' needs a later chapter's engine (this is chapter 3)"])
    #expect(session.run("merge") == ["error: 'merge' needs a later chapter's engine (this is chapter 3)"])
  }

  @Test func manifestDumpPrintsEditsAndExitsNonZeroOnCorruption() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let db = directory.path + "/db"
    _ = try CommandLine.beach(
      ["--chapter", "4", "--dir", db, "--trace", "off"], stdin: "put a 1\nflush\nput b 2\nflush\nmerge\n")
    let good = try CommandLine.beach(["manifest-dump", db])
    #expect(good.status == 0)
    #expect(good.output.contains("@ 0  edit 1: log number 0"), "\(good.output)")
    #expect(good.output.contains("→ L1: 000007.sst"), "\(good.output)")
    #expect(good.output.hasSuffix("4 edits; version: L1: 000007.sst; log number 5, next file 8, last seq 2\n"))
    #expect(try CommandLine.beach(["manifest-dump", db + "/MANIFEST-000001", "--brief"]).output.contains("→") == false)
    _ = try CommandLine.beach(
      ["--chapter", "4", "--dir", db, "--trace", "off"], stdin: "corrupt MANIFEST-000001 30\n")
    let bad = try CommandLine.beach(["manifest-dump", db])
    #expect(bad.status == 1)
    #expect(bad.output.contains("CORRUPT: checksum mismatch"), "\(bad.output)")
    #expect(try CommandLine.beach(["manifest-dump", directory.path]).status == 1, "no CURRENT")
  }

  @Test func manifestDumpNamesWhatItWasGivenWhenItIsNotAManifest() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    try Data().write(to: URL(fileURLWithPath: directory.path + "/MANIFEST-000010"))
    try Data([1, 2, 3, 4, 5]).write(to: URL(fileURLWithPath: directory.path + "/random"))
    let empty = try CommandLine.beach(["manifest-dump", directory.path + "/MANIFEST-000010"])
    #expect(empty.status == 1)
    #expect(empty.output.contains("CORRUPT: no edit at all"))
    for path in [directory.path + "/random", directory.path, directory.path + "/missing"] {
      #expect(try CommandLine.beach(["manifest-dump", path]).status == 1, "\(path)")
    }
  }
}
