import Foundation
import TestSupport
import Testing

/// Chapter 3's tool on what is not a table.
@Suite(.timeLimit(.minutes(1))) struct Chapter3HostileInputTests {
  @Test func sstDumpRefusesAFifo() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let fifo = directory.path + "/pipe"
    #expect(mkfifo(fifo, 0o644) == 0)
    let result = try CommandLine.beach(["sst-dump", fifo])
    #expect(result.status == 1)
  }
}
