import Foundation
import TestSupport
import Testing

/// Chapter 4's files where something else should be.
@Suite(.timeLimit(.minutes(1))) struct Chapter4HostileInputTests {
  @Test func aCurrentThatIsAFifoIsRefusedAtOnce() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let db = directory.path + "/db"
    _ = try CommandLine.beach(["--dir", db, "--trace", "off", "--chapter", "4", "put", "a", "1"])
    try FileManager.default.removeItem(atPath: db + "/CURRENT")
    #expect(mkfifo(db + "/CURRENT", 0o644) == 0)
    let opened = try CommandLine.beach(["--dir", db, "--trace", "off", "--chapter", "4", "get", "a"])
    #expect(opened.status == 1)
    #expect(opened.output.contains("FIFO"), "\(opened.output)")
  }

  @Test func aManifestIsNotAWriteAheadLog() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let db = directory.path + "/db"
    _ = try CommandLine.beach(["--dir", db, "--trace", "off", "--chapter", "4", "put", "a", "1"])
    let dump = try CommandLine.beach(["wal-dump", db + "/MANIFEST-000001"])
    #expect(dump.status == 1)
    #expect(dump.output.contains("NOT A WRITE-AHEAD LOG"), "\(dump.output)")
  }
}
