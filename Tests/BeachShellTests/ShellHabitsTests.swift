import BeachShell
import Testing

/// The habits people bring from other shells: bounded listings, settings,
/// names that are not case-sensitive, help that fits an 80-column terminal.
@Suite struct ShellHabitsTests {
  @Test func aLongScanStopsAtTheLimitAndSetLimitAllShowsEverything() throws {
    let session = try ShellSession()
    session.run("fill 50")
    let limited = session.run("scan")
    #expect(limited.count == 42)
    #expect(limited[40] == "… and 10 more entries (`set limit all` shows them all)")
    #expect(limited.last == "(50 entries)")
    #expect(session.run("set limit all") == ["limit all"])
    #expect(session.run("scan").count == 51)
    #expect(session.run("set limit 0") == ["error: N must be a number, 1..1000000 (got '0')"])
  }

  @Test func setMemtableSizeReopensWithTheNewSize() throws {
    let session = try ShellSession(chapter: EngineRegistry.newest.chapter)
    guard EngineRegistry.newest.chapter >= 3 else { return }
    session.run("put a 1")
    #expect(
      session.run("set memtable-size 65536") == [
        "ok  memtable-size 64.0 KiB; reopened: last seq 1, 0 tables, 1 entry in memory"
      ])
    #expect(session.run("show memtable").first?.hasSuffix("of 64.0 KiB before a flush") == true)
    #expect(session.run("set").contains("memtable-size  65536 (64.0 KiB)"))
  }

  @Test func commandNamesAreNotCaseSensitive() throws {
    let session = try ShellSession()
    #expect(session.run("PUT a 1") == ["ok  seq 1"])
    #expect(session.run("Get a") == ["1"])
  }

  @Test(arguments: EngineRegistry.all.map(\.chapter))
  func helpFitsEightyColumnsAndListsEachTopicOnce(chapter: Int) throws {
    let session = try ShellSession(chapter: chapter)
    for command in ["help", "help show", "help set", "help fault"] {
      let lines = session.run(command)
      #expect(
        lines.allSatisfy { $0.count <= 80 }, "\(command) in chapter \(chapter): \(lines.filter { $0.count > 80 })")
    }
    let topics = session.run("help show").drop { $0 != "topics in chapter \(chapter):" }.dropFirst()
    let names = topics.map { $0.split(separator: " ").first.map(String.init) ?? "" }
    #expect(Set(names).count == names.count, "\(names)")
    #expect(names.contains("files"))
    // Every database has a log; chapter 8's cluster in memory shows itself.
    let engine = try #require(EngineRegistry.engine(chapter: chapter))
    #expect(engine.keepsItsDirectory ? names.contains("wal") : names.contains("cluster"))
  }
}

/// Small things that used to surprise.
@Suite struct ShellHintTests {
  @Test func aSnapshotWrittenAgainstTheKeyGetsAHint() throws {
    let session = try ShellSession(chapter: EngineRegistry.newest.chapter)
    guard EngineRegistry.newest.chapter >= 2 else { return }
    session.run("put a 1")
    session.run("snapshot")
    #expect(
      session.run("get a@1") == [
        "(not found)", "(to read a as of snapshot 1, put a space before the @: get a @1)",
      ])
    #expect(session.run("get a @1") == ["1"])
  }

  @Test func aCrashSaysWhichSnapshotsEnd() throws {
    let session = try ShellSession(chapter: EngineRegistry.newest.chapter)
    guard EngineRegistry.newest.chapter >= 2 else { return }
    session.run("put a 1")
    session.run("snapshot")
    session.run("snapshot")
    let crash = session.run("crash")
    #expect(crash.first == "(snapshot @1 and snapshot @2 end with the engine: they live in memory; new ids start at 1)")
    #expect(session.run("reopen").count == 1, "no handle left to mention")
  }

  @Test func aFileNamedByItsPathInTheDirectoryIsAccepted() throws {
    let session = try ShellSession()
    session.run("put a 1")
    #expect(session.run("hexdump \(session.databasePath)/000001.log 0 4").first?.hasPrefix("00000000") == true)
    // (Errors print paths relative to the database directory.)
    #expect(
      session.run("hexdump \(session.databasePath)/../x") == [
        "error: '../x' is not a name inside the database directory (try `files`)"
      ])
  }
}

@Suite struct BatchTraceTests {
  @Test(arguments: EngineRegistry.databases.map(\.chapter).filter { $0 >= 2 })
  func eachInsertOfABatchShowsTheCountAfterIt(chapter: Int) throws {
    let session = try ShellSession(trace: .steps, chapter: chapter)
    let inserts = session.run("batch put a 1 ; delete b ; put c 3").filter { $0.contains("memtable  insert") }
    #expect(inserts.count == 3)
    for (index, line) in inserts.enumerated() {
      #expect(line.contains(index == 0 ? " 1 entry, " : " \(index + 1) entries, "), "\(line)")
    }
  }
}

@Suite struct CrashSummaryTests {
  @Test func aLogThatComesBackIsNotCountedAsALoss() throws {
    let session = try ShellSession(chapter: EngineRegistry.newest.chapter)
    guard EngineRegistry.newest.chapter >= 4 else { return }
    session.run("put a 1")
    session.run("flush")  // retires the log without a directory sync
    #expect(
      session.run("crash") == [
        "ok  power cut (nothing lost, 1 removal or rename undone); recovered: last seq 1, 1 table, 0 entries in memory"
      ])
    #expect(session.run("get a") == ["1"])
  }
}
