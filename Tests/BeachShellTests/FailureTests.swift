import Chapter1WAL
import Foundation
import Testing

@testable import BeachShell

/// Power cuts, torn writes and bit rot, through the shell.
@Suite struct FailureTests {
  @Test func syncOffThenCrashLosesTheWrite() throws {
    let session = try ShellSession()
    #expect(
      session.transcript(
        """
        put a 1
        sync off
        put b 2
        files
        crash
        get a
        get b
        """) == """
          beach[ch1]> put a 1
          ok  seq 1
          beach[ch1]> sync off
          sync off
          beach[ch1]> put b 2
          ok  seq 2
          beach[ch1]> files
          000001.log  58 B  29 B durable, 29 B not, name durable
          FORMAT      18 B  all bytes durable, name durable
          LOCK        11 B  all bytes durable, name durable
          (3 files)
          beach[ch1]> crash
          ok  power cut (1 loss); recovered: last seq 1, 1 key
          beach[ch1]> get a
          1
          beach[ch1]> get b
          (not found)
          """)
  }

  @Test func syncOnThenCrashKeepsTheWrite() throws {
    let session = try ShellSession()
    #expect(
      session.transcript(
        """
        sync on
        put a 1
        files
        crash
        get a
        """) == """
          beach[ch1]> sync on
          sync on
          beach[ch1]> put a 1
          ok  seq 1
          beach[ch1]> files
          000001.log  29 B  all bytes durable, name durable
          FORMAT      18 B  all bytes durable, name durable
          LOCK        11 B  all bytes durable, name durable
          (3 files)
          beach[ch1]> crash
          ok  power cut (nothing lost); recovered: last seq 1, 1 key
          beach[ch1]> get a
          1
          """)
  }

  @Test func theCrashTraceShowsWhatWasLostAndTheRecovery() throws {
    let session = try ShellSession(trace: .steps)
    session.run("sync off")
    session.run("put a 1")
    let output = session.run("crash")
    #expect(output.contains { $0.contains("power-cut") && $0.contains("000001.log") && $0.contains("lost 29") })
    #expect(output.contains { $0.contains("replay") })
    #expect(output.last == "ok  power cut (1 loss); recovered: last seq 0, 0 keys")
  }

  @Test func recoveryTruncatesATornTail() throws {
    let session = try ShellSession(trace: .steps)
    session.run("put a 1")
    session.run("sync off")
    session.run("put b 2")
    let output = session.run("crash tear 20")
    #expect(output.contains { $0.contains("power-cut") && $0.contains("torn: kept 20 of 29") })
    #expect(output.contains { $0.contains("truncate") && $0.contains("000001.log @ 29") })
    #expect(output.last == "ok  power cut (1 loss); recovered: last seq 1, 1 key")
    session.run("trace off")
    #expect(session.run("get b") == ["(not found)"])
    #expect(session.run("files").first == "000001.log  29 B  all bytes durable, name durable")
    // The log goes on from the cut: the next write lands where the torn record was.
    #expect(session.run("put c 3") == ["ok  seq 2"])
    #expect(session.run("reopen") == ["ok  reopened: last seq 2, 2 keys"])
  }

  @Test func corruptionRefusesToOpenUntilItIsUndone() throws {
    let session = try ShellSession()
    session.run("put a 1")
    session.run("put b 2")
    // Byte 40 is inside the second record's header (it starts at 29).
    let flipped = session.run("corrupt 000001.log 40")
    #expect(flipped.count == 1)
    #expect(flipped[0].hasPrefix("ok  000001.log @ 40: 0x"))

    let refused = session.run("reopen")
    #expect(refused.count == 1)
    #expect(refused[0].hasPrefix("error: cannot open the database: "))
    #expect(refused[0].contains("000001.log") && refused[0].contains("offset 29"))

    // No engine: data commands say why; file commands still work.
    let reason = String(refused[0].dropFirst("error: cannot open the database: ".count))
    #expect(session.run("get a") == ["error: no open database: \(reason)"])
    #expect(session.run("put c 3") == ["error: no open database: \(reason)"])
    #expect(session.run("show wal") == ["error: no open database: \(reason)"])
    #expect(session.run("hexdump 000001.log 0 4").first?.hasPrefix("00000000  ") == true)

    // Flipping the same byte again restores it.
    let old = flipped[0].suffix(11).prefix(4)  // "0xAA → 0xBB"
    let new = flipped[0].suffix(4)
    #expect(session.run("corrupt 000001.log 40") == ["ok  000001.log @ 40: \(new) → \(old)"])
    #expect(session.run("reopen") == ["ok  reopened: last seq 2, 2 keys"])
    #expect(session.contents == ["a = 1", "b = 2", "(2 entries)"])
  }

  @Test func hexdumpShowsTheRecordAsWritten() throws {
    let session = try ShellSession()
    session.run("put k v")
    var record = Bytes()
    LogFormat.frame(
      WriteBatch([.put(key: Bytes(utf8: "k"), value: Bytes(utf8: "v"))]).encoded(sequence: 1), into: &record)
    #expect(record.count == 29)
    #expect(session.run("hexdump 000001.log") == Hexdump.lines(record))
    #expect(
      session.run("hexdump 000001.log 0x10 4") == [
        "00000010  00 00 00 00                                       |....|",
        "(9 more bytes: hexdump 000001.log 20)",
      ])
    #expect(session.run("hexdump 000001.log 29") == ["(nothing at offset 29: 000001.log has 29 bytes)"])
  }

  @Test func fileArgumentsStayInsideTheDatabaseDirectory() throws {
    let session = try ShellSession()
    for name in ["../db/000001.log", "/etc/passwd", "./000001.log", "a//b"] {
      #expect(
        session.run("hexdump \(name)") == [
          "error: '\(name)' is not a name inside the database directory (try `files`)"
        ])
    }
    #expect(
      session.run("hexdump nothing.log") == ["error: no file nothing.log in the database directory (try `files`)"])
    #expect(
      session.run("corrupt nothing.log 0") == ["error: no file nothing.log in the database directory (try `files`)"])
  }
}
