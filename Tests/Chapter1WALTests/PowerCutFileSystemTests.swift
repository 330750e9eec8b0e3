import TestSupport
import Testing

@testable import Chapter1WAL

/// Each test is a small script: write, maybe sync, cut the power, and look at
/// what the disk holds afterwards.
@Suite struct PowerCutFileSystemTests {
  let dir = "/db"
  let memory = MemoryFileSystem()
  let recorder = TraceRecorder()
  let fs: PowerCutFileSystem

  init() throws {
    try memory.createDirectory(dir)
    fs = PowerCutFileSystem(wrapping: memory, tracer: recorder.tracer())
  }

  func path(_ name: String) -> String { joinPath(dir, name) }

  func text(_ name: String) throws -> String {
    String(decoding: try fs.readFile(path(name)), as: UTF8.self)
  }

  /// Creates `name` holding `content`, file and directory synced.
  func durableFile(_ name: String, _ content: String) throws {
    try fs.writeFile(path(name), Bytes(utf8: content), sync: true)
    try fs.syncDirectory(dir)
  }

  func losses(_ report: CrashReport) -> [CrashReport.Loss.Kind] { report.losses.map(\.kind) }

  // MARK: Bytes

  @Test func ignoredDirectorySyncLosesANewFile() throws {
    fs.ignoreDirectorySyncs()
    try fs.writeFile(path("000001.log"), Bytes(utf8: "synced"), sync: true)
    try fs.syncDirectory(dir)
    let report = try fs.crash()
    #expect(!fs.fileExists(path("000001.log")))
    #expect(losses(report) == [.removed(size: 6)])
    #expect(recorder.events.contains { $0.action == "fault" && $0.subject == "directory sync ignored" })
    fs.clearFaults()
    try durableFile("000002.log", "kept")
    try fs.crash()
    #expect(try text("000002.log") == "kept")
  }

  @Test func unsyncedBytesAreDroppedAndSyncedOnesKept() throws {
    let log = try fs.openWritable(path("000001.log"), mode: .createNew)
    try fs.syncDirectory(dir)
    try log.append(Bytes(utf8: "abc"))
    try log.sync(.data)
    try log.append(Bytes(utf8: "defg"))

    let report = try fs.crash()
    #expect(try text("000001.log") == "abc")
    #expect(report.losses == [.init(path: path("000001.log"), kind: .unsyncedBytesDropped(lost: 4, durable: 3))])
    #expect(report.description == "000001.log: lost 4 unsynced bytes (kept 3 durable)")
    #expect(
      recorder.events.filter { $0.action == "power-cut" } == [
        TraceEvent(
          component: .fs, action: "power-cut", subject: "000001.log",
          details: "lost 4 unsynced bytes (kept 3 durable)", why: report.losses[0].why)
      ])
  }

  @Test func everythingSyncedMeansNothingLost() throws {
    try durableFile("CURRENT", "MANIFEST-000001\n")
    let report = try fs.crash()
    #expect(report.losses.isEmpty)
    #expect(report.description == "nothing lost")
    #expect(try text("CURRENT") == "MANIFEST-000001\n")
    #expect(recorder.events.map(\.details) == ["nothing lost: every byte and every name was durable"])
  }

  @Test func keepUnsyncedTearsTheTail() throws {
    try durableFile("log", "abc")
    let log = try fs.openWritable(path("log"), mode: .append)
    try log.append(Bytes(utf8: "0123456789"))

    let report = try fs.crash(.keepUnsynced(bytes: 4))
    #expect(try text("log") == "abc0123")
    #expect(losses(report) == [.tornWrite(kept: 4, of: 10)])
    #expect(report.losses[0].details == "torn: kept 4 of 10 unsynced bytes")
  }

  @Test func keepAllUnsyncedKeepsBytesButNotNames() throws {
    try durableFile("log", "abc")
    let log = try fs.openWritable(path("log"), mode: .append)
    try log.append(Bytes(utf8: "def"))
    try fs.writeFile(path("new"), Bytes(utf8: "x"), sync: true)

    let report = try fs.crash(.keepAllUnsynced)
    #expect(try text("log") == "abcdef")
    #expect(!fs.fileExists(path("new")))
    #expect(losses(report) == [.removed(size: 1)])
  }

  @Test func randomModeIsDeterministicAndKeepsAPrefix() throws {
    func outcome(seed: UInt64) throws -> [String] {
      let memory = MemoryFileSystem()
      try memory.createDirectory(dir)
      let fs = PowerCutFileSystem(wrapping: memory)
      var names: [String] = []
      for i in 0..<8 {
        let name = "f\(i)"
        names.append(name)
        try fs.writeFile(path(name), Bytes(utf8: "durable"), sync: true)
        let file = try fs.openWritable(path(name), mode: .append)
        try file.append(Bytes(utf8: "-unsynced-tail"))
      }
      try fs.syncDirectory(dir)
      try fs.crash(.random(seed: seed))
      return try names.map { String(decoding: try fs.readFile(path($0)), as: UTF8.self) }
    }
    let first = try outcome(seed: 42)
    #expect(try outcome(seed: 42) == first)
    for content in first {
      #expect("durable-unsynced-tail".hasPrefix(content) && content.hasPrefix("durable"))
    }
    #expect(Set(first).count > 1, "eight files should not all keep the same number of bytes")
  }

  @Test func truncateBelowDurableIsUndone() throws {
    try durableFile("data", "0123456789")
    try fs.truncateFile(path("data"), to: 4)
    let file = try fs.openWritable(path("data"), mode: .append)
    try file.append(Bytes(utf8: "xy"))
    #expect(fs.status(of: path("data"))?.durableSize == 10)

    let report = try fs.crash()
    #expect(try text("data") == "0123456789")
    #expect(losses(report) == [.contentReverted(from: 6, to: 10)])
  }

  @Test func truncateThenSyncIsDurable() throws {
    try durableFile("data", "0123456789")
    try fs.truncateFile(path("data"), to: 4)
    let file = try fs.openWritable(path("data"), mode: .append)
    try file.append(Bytes(utf8: "xy"))
    try file.sync(.data)
    #expect(try fs.crash().losses.isEmpty)
    #expect(try text("data") == "0123xy")
  }

  @Test func openingWithTruncateIsATruncate() throws {
    try durableFile("OPTIONS", "old options")
    try fs.writeFile(path("OPTIONS"), Bytes(utf8: "new"), sync: false)
    try fs.crash()
    #expect(try text("OPTIONS") == "old options")

    try fs.writeFile(path("OPTIONS"), Bytes(utf8: "new"), sync: true)
    try fs.crash()
    #expect(try text("OPTIONS") == "new")
  }

  // MARK: Names

  @Test func newFileWithoutDirectorySyncVanishes() throws {
    try fs.writeFile(path("000001.log"), Bytes(utf8: "synced bytes"), sync: true)
    #expect(fs.status(of: path("000001.log"))?.nameIsDurable == false)
    #expect(fs.status(of: path("000001.log"))?.durableSize == 12)

    let report = try fs.crash()
    #expect(!fs.fileExists(path("000001.log")))
    #expect(losses(report) == [.removed(size: 12)])
    #expect(report.description == "000001.log: removed (12 bytes): its name was never made durable by a directory sync")
  }

  @Test func newFileWithDirectorySyncSurvives() throws {
    try fs.writeFile(path("000001.log"), Bytes(utf8: "synced bytes"), sync: true)
    try fs.syncDirectory(dir)
    #expect(try fs.crash().losses.isEmpty)
    #expect(try text("000001.log") == "synced bytes")
  }

  @Test func renameWithoutDirectorySyncIsReverted() throws {
    try durableFile("CURRENT", "MANIFEST-000001")
    try fs.writeFile(path("CURRENT.tmp"), Bytes(utf8: "MANIFEST-000002"), sync: true)
    try fs.rename(path("CURRENT.tmp"), to: path("CURRENT"))
    #expect(try text("CURRENT") == "MANIFEST-000002")

    let report = try fs.crash()
    #expect(try text("CURRENT") == "MANIFEST-000001")
    #expect(!fs.fileExists(path("CURRENT.tmp")))
    #expect(losses(report) == [.replacementUndone])
  }

  @Test func renameWithDirectorySyncSticks() throws {
    try durableFile("CURRENT", "MANIFEST-000001")
    try fs.writeFile(path("CURRENT.tmp"), Bytes(utf8: "MANIFEST-000002"), sync: true)
    try fs.rename(path("CURRENT.tmp"), to: path("CURRENT"))
    try fs.syncDirectory(dir)
    #expect(try fs.crash().losses.isEmpty)
    #expect(try text("CURRENT") == "MANIFEST-000002")
    #expect(try fs.listDirectory(dir) == ["CURRENT"])
  }

  @Test func renameOfDurableFileIsUndone() throws {
    try durableFile("a", "content")
    try fs.rename(path("a"), to: path("b"))
    let report = try fs.crash()
    #expect(try fs.listDirectory(dir) == ["a"])
    #expect(try text("a") == "content")
    #expect(report.description == "a: rename to b undone")
  }

  @Test func removeWithoutDirectorySyncIsUndone() throws {
    try durableFile("000003.log", "records")
    let log = try fs.openWritable(path("000003.log"), mode: .append)
    try log.append(Bytes(utf8: " and more"))
    try fs.removeFile(path("000003.log"))
    #expect(fs.status(of: path("000003.log"))?.exists == false)
    #expect(fs.unsyncedFiles(in: dir).map(\.name) == ["000003.log"])

    let report = try fs.crash()
    #expect(try text("000003.log") == "records")
    #expect(losses(report) == [.restored, .unsyncedBytesDropped(lost: 9, durable: 7)])
  }

  @Test func removeWithDirectorySyncSticks() throws {
    try durableFile("000003.log", "records")
    try fs.removeFile(path("000003.log"))
    try fs.syncDirectory(dir)
    #expect(try fs.crash().losses.isEmpty)
    #expect(!fs.fileExists(path("000003.log")))
    #expect(fs.status(of: path("000003.log")) == nil)
  }

  @Test func syncThroughHandleOfRemovedFileStillCounts() throws {
    // The name is durable, the file was unlinked (not durably), and its
    // handle kept writing and synced: a crash brings the name back with
    // every synced byte.
    try durableFile("log", "one")
    let log = try fs.openWritable(path("log"), mode: .append)
    try fs.removeFile(path("log"))
    try log.append(Bytes(utf8: " two"))
    try log.sync(.data)
    try fs.crash()
    #expect(try text("log") == "one two")
  }

  // MARK: Handles and power

  @Test func handlesFromBeforeACrashAreDead() throws {
    try durableFile("log", "abc")
    let writer = try fs.openWritable(path("log"), mode: .append)
    let reader = try fs.openReadable(path("log"))
    try fs.crash()

    let errors = [
      #expect(throws: FileSystemError.self) { try writer.append(Bytes(utf8: "x")) },
      #expect(throws: FileSystemError.self) { try writer.sync(.data) },
      #expect(throws: FileSystemError.self) { try reader.read(at: 0, count: 1) },
      #expect(throws: FileSystemError.self) { try writer.close() },
    ]
    #expect(errors.map { $0?.code } == [.closed, .closed, .closed, .closed])

    let fresh = try fs.openWritable(path("log"), mode: .append)
    try fresh.append(Bytes(utf8: "d"))
    #expect(try text("log") == "abcd")
  }

  @Test func operationCountAndScheduledPowerCut() throws {
    #expect(fs.operationCount == 0)
    let log = try fs.openWritable(path("log"), mode: .createNew)  // 1
    try log.append(Bytes(utf8: "a"))  // 2
    _ = try? fs.removeFile(path("missing"))  // fails: not counted
    #expect(fs.operationCount == 2)

    fs.schedulePowerCut(afterOperations: 2)
    try log.append(Bytes(utf8: "b"))  // 3
    try fs.syncDirectory(dir)  // 4: the last one
    #expect(fs.isPoweredOff)
    let refused = [
      #expect(throws: FileSystemError.self) { try log.append(Bytes(utf8: "c")) },
      #expect(throws: FileSystemError.self) { try log.sync(.data) },
      #expect(throws: FileSystemError.self) { try fs.writeFile(path("other"), [1], sync: false) },
      #expect(throws: FileSystemError.self) { try fs.removeFile(path("log")) },
      #expect(throws: FileSystemError.self) { try fs.createDirectory(path("sub")) },
    ]
    #expect(refused.allSatisfy { $0?.code == .poweredOff })
    #expect(fs.operationCount == 4)
    #expect(try text("log") == "ab", "reads still work while the power is off")
    #expect(!fs.fileExists(path("other")))

    let report = try fs.crash()
    #expect(!fs.isPoweredOff)
    #expect(losses(report) == [.unsyncedBytesDropped(lost: 2, durable: 0)])
    #expect(try text("log") == "")
    #expect(recorder.events.contains { $0.action == "power-off" && $0.subject == "db" })
  }

  @Test func powerCutAtZeroIsImmediate() throws {
    fs.schedulePowerCut(afterOperations: 0)
    let error = #expect(throws: FileSystemError.self) { try fs.openWritable(path("log"), mode: .createNew) }
    #expect(error?.code == .poweredOff)
    #expect(fs.operationCount == 0)
  }

  /// The use the scheduler is for: run a workload once to count its
  /// operations, then cut the power after each count in turn. At every cut,
  /// the log must hold exactly the records whose sync returned.
  @Test func everyCrashPointOfALoggingWorkload() throws {
    func workload(_ fs: PowerCutFileSystem, acknowledged: inout [String]) throws {
      let log = try fs.openWritable(path("log"), mode: .createNew)
      try fs.syncDirectory(dir)
      for record in ["put a", "put b", "del a"] {
        try log.append(Bytes(utf8: record + ";"))
        try log.sync(.data)
        acknowledged.append(record + ";")
      }
    }
    var all: [String] = []
    try workload(fs, acknowledged: &all)
    let total = fs.operationCount
    #expect(total == 8)

    for cut in 0...total {
      let memory = MemoryFileSystem()
      try memory.createDirectory(dir)
      let fs = PowerCutFileSystem(wrapping: memory)
      fs.schedulePowerCut(afterOperations: cut)
      var acknowledged: [String] = []
      do {
        try workload(fs, acknowledged: &acknowledged)
      } catch {
        #expect((error as? FileSystemError)?.code == .poweredOff)
      }
      try fs.crash()
      let survived = fs.fileExists(path("log")) ? String(decoding: try fs.readFile(path("log")), as: UTF8.self) : nil
      if cut < 2 {
        #expect(survived == nil, "cut \(cut): the log's name was not durable yet")
      } else {
        #expect(survived == acknowledged.joined(), "cut \(cut)")
      }
    }
  }

  // MARK: Faults

  @Test func failedSyncMakesNothingDurable() throws {
    let log = try fs.openWritable(path("log"), mode: .createNew)
    try fs.syncDirectory(dir)
    fs.failSync(number: 2)
    try log.append(Bytes(utf8: "one;"))
    try log.sync(.data)
    try log.append(Bytes(utf8: "two;"))
    let error = #expect(throws: FileSystemError.self) { try log.sync(.data) }
    #expect(error?.code == .injected)
    #expect(recorder.events.last?.action == "fault")

    try fs.crash()
    #expect(try text("log") == "one;")
  }

  @Test func failedDirectorySyncLeavesNameUndurable() throws {
    try fs.writeFile(path("log"), Bytes(utf8: "x"), sync: true)
    fs.failSync(number: 1)
    let error = #expect(throws: FileSystemError.self) { try fs.syncDirectory(dir) }
    #expect(error?.code == .injected)
    try fs.crash()
    #expect(!fs.fileExists(path("log")))
  }

  @Test func tornWriteThenPowerOff() throws {
    try durableFile("log", "head;")
    let log = try fs.openWritable(path("log"), mode: .append)
    fs.tearNextWrite(keeping: 3)
    let error = #expect(throws: FileSystemError.self) { try log.append(Bytes(utf8: "record;")) }
    #expect(error?.code == .poweredOff)
    #expect(fs.isPoweredOff)
    #expect(try text("log") == "head;rec")

    let report = try fs.crash(.keepAllUnsynced)
    #expect(report.losses.isEmpty)
    #expect(try text("log") == "head;rec", "the torn prefix reached the disk")
    // The tear has fired: the next write is whole.
    let again = try fs.openWritable(path("log"), mode: .append)
    try again.append(Bytes(utf8: "ord;"))
    #expect(try text("log") == "head;record;")
  }

  @Test func flipBitOnReadChangesReadsOnly() throws {
    try durableFile("000001.log", "AAAA")
    fs.flipBitOnRead(path: path("000001.log"), offset: 2, bit: 0)
    #expect(try fs.readFile(path("000001.log")) == [0x41, 0x41, 0x40, 0x41])
    let reader = try fs.openReadable(path("000001.log"))
    #expect(try reader.read(at: 3, count: 1) == [0x41])
    #expect(try reader.read(at: 2, count: 1) == [0x40])
    #expect(try memory.readFile(path("000001.log")) == Bytes(utf8: "AAAA"), "the stored bytes are unchanged")

    fs.clearFaults()
    #expect(try fs.readFile(path("000001.log")) == Bytes(utf8: "AAAA"))
  }

  // MARK: Introspection

  @Test func statusTellsWhatACrashWouldDo() throws {
    try durableFile("a", "123")
    let a = try fs.openWritable(path("a"), mode: .append)
    try a.append(Bytes(utf8: "45"))
    try fs.writeFile(path("b"), Bytes(utf8: "b"), sync: true)

    #expect(
      fs.status(of: path("a"))
        == FileStatus(path: path("a"), exists: true, size: 5, durableSize: 3, nameIsDurable: true, isDurable: false))
    #expect(
      fs.status(of: path("b"))
        == FileStatus(path: path("b"), exists: true, size: 1, durableSize: 1, nameIsDurable: false, isDurable: false))
    #expect(fs.status(of: path("c")) == nil)
    #expect(fs.unsyncedFiles(in: dir).map(\.name) == ["a", "b"])

    try a.sync(.data)
    try fs.syncDirectory(dir)
    #expect(fs.unsyncedFiles(in: dir).isEmpty)
    #expect(fs.files(in: dir).map(\.name) == ["a", "b"])
  }

  // MARK: Over a real directory

  /// The shell wraps a real directory that may already hold a database:
  /// files there before the wrapper first looks are durable as they are.
  @Test func preexistingFilesOnDiskSurviveACrash() throws {
    let directory = try TemporaryDirectory(prefix: "beach-powercut")
    defer { directory.remove() }
    let disk = DiskFileSystem()
    let dir = directory.path
    try disk.writeFile(joinPath(dir, "000001.log"), Bytes(utf8: "old records;"), sync: false)
    try disk.writeFile(joinPath(dir, "CURRENT"), Bytes(utf8: "MANIFEST-000001"), sync: false)

    let recorder = TraceRecorder()
    let fs = PowerCutFileSystem(wrapping: disk, tracer: recorder.tracer())
    let log = try fs.openWritable(joinPath(dir, "000001.log"), mode: .append)
    try log.append(Bytes(utf8: "new;"))
    try fs.writeFile(joinPath(dir, "000002.log"), Bytes(utf8: "x"), sync: true)
    try fs.rename(joinPath(dir, "CURRENT"), to: joinPath(dir, "CURRENT.old"))

    let report = try fs.crash()
    #expect(try disk.listDirectory(dir) == ["000001.log", "CURRENT"])
    #expect(try disk.readFile(joinPath(dir, "000001.log")) == Bytes(utf8: "old records;"))
    #expect(try disk.readFile(joinPath(dir, "CURRENT")) == Bytes(utf8: "MANIFEST-000001"))
    #expect(
      report.description.split(separator: "\n") == [
        "000001.log: lost 4 unsynced bytes (kept 12 durable)",
        "000002.log: removed (1 byte): its name was never made durable by a directory sync",
        "CURRENT: rename to CURRENT.old undone",
      ])
    // Traces name files, never the temporary directory.
    #expect(recorder.events.allSatisfy { !$0.subject.contains("/") && !$0.details.contains(dir) })
  }
}
