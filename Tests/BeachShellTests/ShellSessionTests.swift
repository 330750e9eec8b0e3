import Chapter1WAL
import Testing

@testable import BeachShell

/// Sessions a learner would type, with the output they would see.
@Suite struct ShellSessionTests {
  @Test func putGetDeleteScan() throws {
    let session = try ShellSession()
    #expect(
      session.transcript(
        """
        put user:1 alice
        put "user 2" 'bob smith'
        put x'00ff' x'01'
        get user:1
        get "user 2"
        get x'00ff'
        get nobody
        scan
        scan user: user:2
        delete user:1
        get user:1
        scan
        """) == """
          beach[ch1]> put user:1 alice
          ok  seq 1
          beach[ch1]> put "user 2" 'bob smith'
          ok  seq 2
          beach[ch1]> put x'00ff' x'01'
          ok  seq 3
          beach[ch1]> get user:1
          alice
          beach[ch1]> get "user 2"
          "bob smith"
          beach[ch1]> get x'00ff'
          x'01'
          beach[ch1]> get nobody
          (not found)
          beach[ch1]> scan
          x'00ff' = x'01'
          "user 2" = "bob smith"
          user:1 = alice
          (3 entries)
          beach[ch1]> scan user: user:2
          user:1 = alice
          (1 entry)
          beach[ch1]> delete user:1
          ok  seq 4
          beach[ch1]> get user:1
          (not found)
          beach[ch1]> scan
          x'00ff' = x'01'
          "user 2" = "bob smith"
          (2 entries)
          """)
  }

  @Test func mutationsPrintTheirTraceThenOk() throws {
    let session = try ShellSession(trace: .steps)
    #expect(session.openingOutput.contains { $0.contains("create") && $0.contains("000001.log") })
    let output = session.run("put a 1")
    #expect(output.count > 1)
    #expect(output.dropLast().allSatisfy { $0.hasPrefix("  ") }, "trace lines are indented")
    #expect(output.contains { $0.contains("append") && $0.contains("seq 1") })
    #expect(output.contains { $0.contains("fsync") })
    #expect(output.last == "ok  seq 1")
  }

  @Test func explainAddsAWhyLineUnderEachStep() throws {
    let session = try ShellSession(trace: .steps)
    #expect(session.run("trace explain") == ["trace explain"])
    let output = session.run("put a 1")
    #expect(output.contains { $0.trimmingSpaces.hasPrefix("why: ") })
    #expect(session.run("trace off") == ["trace off"])
    #expect(session.run("put b 2") == ["ok  seq 2"])
  }

  @Test func oneLineBatchIsOneAtomicWrite() throws {
    let session = try ShellSession()
    #expect(
      session.transcript(
        """
        put b 0
        batch put a 1 ; delete b ; put c 3
        scan
        show wal
        """
      ).replacing(/crc32c 0x[0-9a-f]{8}/, with: "crc32c …") == """
        beach[ch1]> put b 0
        ok  seq 1
        beach[ch1]> batch put a 1 ; delete b ; put c 3
        ok  seq 2..4  (3 ops)
        beach[ch1]> scan
        a = 1
        c = 3
        (2 entries)
        beach[ch1]> show wal
        log 000001.log: 66 B, 66 B synced
          @     0  len    17  crc32c … ok  seq 1  1 op
              #1 PUT b = 0
          @    29  len    25  crc32c … ok  seq 2..4  3 ops
              #2 PUT a = 1
              #3 DEL b
              #4 PUT c = 3
        2 good records: ok
        """)
  }

  @Test func bareBatchCollectsLinesUntilCommitOrAbort() throws {
    let session = try ShellSession()
    #expect(
      session.transcript(
        """
        batch
        put a 1
        put b 2
        get a
        commit
        batch
        put c 3
        abort
        scan
        """) == """
          beach[ch1]> batch
          batch: enter put/delete lines, then commit or abort
          batch> put a 1
          batch> put b 2
          batch> get a
          error: inside a batch only put, delete, commit and abort work, not 'get'
          batch> commit
          ok  seq 1..2  (2 ops)
          beach[ch1]> batch
          batch: enter put/delete lines, then commit or abort
          batch> put c 3
          batch> abort
          ok  batch aborted, 1 op discarded
          beach[ch1]> scan
          a = 1
          b = 2
          (2 entries)
          """)
  }

  @Test func fillWritesDeterministicKeysWithTheTraceSilenced() throws {
    let session = try ShellSession(trace: .steps)
    #expect(session.run("fill 3 16") == ["ok  filled 3 keys key000000..key000002 with 16-byte values, seq 1..3"])
    #expect(
      session.run("scan") == [
        "key000000 = value000000:abcd", "key000001 = value000001:abcd", "key000002 = value000002:abcd", "(3 entries)",
      ])
    #expect(session.shell.tracer.level == .steps)
    #expect(Shell.fillValue(7, size: 40) == Bytes(utf8: "value000007:abcdefghijklmnopqrstuvwxyzab"))
  }

  @Test func sourceRunsAFileOfCommands() throws {
    let session = try ShellSession()
    let script = session.directory.path + "/script.beach"
    try "# a comment\nput a 1\n\nget a\nfrob\nget a\n".write(toFile: script, atomically: true, encoding: .utf8)
    #expect(
      session.run("source \(script)") == [
        "ok  seq 1", "1", "error: unknown command 'frob' ('help' lists commands)", "1",
      ])
  }

  @Test func helpListsTheCommandsAndExplainsOne() throws {
    let session = try ShellSession()
    let list = session.run("help")
    #expect(list.first == "chapter 1 (the write-ahead log) commands:")
    for name in [
      "put", "get", "delete", "scan", "batch", "fill", "show", "files", "hexdump", "sync", "crash",
      "reopen", "corrupt", "trace", "chapter", "help", "source", "quit",
    ] {
      #expect(list.contains { $0.hasPrefix("  \(name)") }, "help lists \(name)")
    }
    let put = session.run("help put")
    #expect(put.prefix(2) == ["usage: put KEY VALUE", "set KEY to VALUE"])
    #expect(put.count > 2)
  }

  @Test func quitEndsTheSession() throws {
    let session = try ShellSession()
    let reader = ArrayLineReader(["put a 1", "quit", "put b 2"])
    session.shell.run(reader: reader)
    #expect(session.collector.drain() == ["ok  seq 1"])
    #expect(session.shell.isFinished)
    #expect(reader.prompts == ["beach[ch1]> ", "beach[ch1]> "])
  }

  @Test func endOfInputDiscardsAnUncommittedBatchAndSaysSo() throws {
    let session = try ShellSession()
    session.shell.run(reader: ArrayLineReader(["batch", "put a 1"]))
    #expect(
      session.collector.drain() == [
        "batch: enter put/delete lines, then commit or abort",
        "batch of 1 op discarded: it was never committed",
      ])
  }

  @Test func chapterSwitchesEnginesAndRejectsMissingOnes() throws {
    let session = try ShellSession()
    session.run("put a 1")
    #expect(session.run("chapter") == ["chapter 1: the write-ahead log  (available: \(EngineRegistry.chapterList))"])
    #expect(session.run("chapter 1") == ["ok  chapter 1: the write-ahead log; last seq 1, 1 key"])
    #expect(
      session.run("chapter 99") == [
        "error: no engine for chapter 99 in this build (available: \(EngineRegistry.chapterList))"
      ])
    #expect(session.run("get a") == ["1"])
  }

  @Test func theDefaultChapterIsTheNewestDatabase() throws {
    let session = try ShellSession(chapter: nil)
    #expect(session.shell.engineDescriptor.chapter == EngineRegistry.databases.map(\.chapter).max())
    #expect(throws: Shell.StartError.self) {
      _ = try Shell(
        options: Shell.Options(chapter: 99, directory: session.databasePath, output: .collecting(into: LineCollector()))
      )
    }
  }
}
