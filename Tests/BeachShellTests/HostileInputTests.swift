import Foundation
import TestSupport
import Testing

/// Inputs that are not what a tool reads: each gets a clear verdict and a
/// non-zero exit, never a hang, and nothing is changed.
@Suite(.timeLimit(.minutes(1))) struct HostileInputTests {
  @Test func fifosAndDevicesAreRefusedNotWaitedOn() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let fifo = directory.path + "/pipe"
    #expect(mkfifo(fifo, 0o644) == 0)
    #expect(try CommandLine.beach(["wal-dump", fifo]).status == 1, "wal-dump of a FIFO")
    #expect(try CommandLine.beach(["wal-dump", "/dev/zero"]).status == 1)
    #expect(try CommandLine.beach(["wal-dump", "/proc/self/status"]).status == 1)

    // hexdump of a FIFO in the database directory, in the shell.
    let db = directory.path + "/db"
    _ = try CommandLine.beach(["--dir", db, "--trace", "off", "--chapter", "1", "put", "a", "1"])
    #expect(mkfifo(db + "/pipe", 0o644) == 0)
    let hexdump = try CommandLine.beach(["--dir", db, "--trace", "off", "--chapter", "1", "hexdump", "pipe"])
    #expect(hexdump.status == 1)
    #expect(hexdump.output.contains("FIFO"), "\(hexdump.output)")
  }

  @Test func aHugeUnknownWordIsEchoedShort() throws {
    let session = try ShellSession()
    let word = String(repeating: "x", count: 1 << 20)
    let output = session.run(word)
    #expect(output.count == 1)
    #expect(output[0].count < 200, "the error echoes the start of the word only")
    #expect(output[0].hasSuffix("(1048576 bytes)' ('help' lists commands)"))
  }
}
