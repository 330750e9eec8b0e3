import Testing

@testable import Chapter1WAL

@Suite struct RecoveryTests {
  let directory = "/db"

  /// Writes `count` single-put batches and returns the log's bytes and the
  /// offset where each record starts.
  func logWithPuts(_ count: Int, fileSystem: MemoryFileSystem) throws -> (log: Bytes, offsets: [Int]) {
    let db = try Database.open(directory: directory, fileSystem: fileSystem)
    var offsets: [Int] = []
    for i in 0..<count {
      offsets.append(db.logStatus.size)
      try db.put(Bytes(utf8: "key\(i)"), Bytes(utf8: "value\(i)"))
    }
    try db.close()
    return (try fileSystem.readFile("/db/000001.log"), offsets)
  }

  @Test func reopenRestoresEveryWriteAndSequence() throws {
    let fs = MemoryFileSystem()
    let db = try Database.open(directory: directory, fileSystem: fs)
    try db.put(Bytes(utf8: "a"), Bytes(utf8: "1"))
    try db.put(Bytes(utf8: "b"), Bytes(utf8: "2"))
    try db.delete(Bytes(utf8: "a"))
    var batch = WriteBatch()
    batch.put(Bytes(utf8: "c"), Bytes(utf8: "3"))
    batch.put(Bytes(utf8: "d"), [])
    try db.write(batch)
    try db.close()

    let reopened = try Database.open(directory: directory, fileSystem: fs)
    #expect(reopened.lastSequence == 5)
    #expect(try reopened.get(Bytes(utf8: "a")) == nil)
    #expect(try reopened.get(Bytes(utf8: "d")) == [])
    #expect(try reopened.scan().map(\.key) == [Bytes(utf8: "b"), Bytes(utf8: "c"), Bytes(utf8: "d")])
    #expect(reopened.recovery.records == 4)
    #expect(try reopened.put(Bytes(utf8: "e"), Bytes(utf8: "5")) == 6)
  }

  /// Cut the log at every byte offset inside its last record: recovery keeps
  /// every complete record, cuts the file back to the last one, and says so.
  @Test func recoveryTruncatesTornTailAtEveryOffset() throws {
    let fs = MemoryFileSystem()
    let (log, offsets) = try logWithPuts(4, fileSystem: fs)
    let lastStart = offsets.last!
    for cut in lastStart..<log.count {
      let copy = MemoryFileSystem()
      try copy.createDirectory(directory)
      try copy.writeFile("/db/000001.log", Array(log[..<cut]), sync: true)
      let recorder = TraceRecorder()
      let db = try Database.open(directory: directory, fileSystem: copy, tracer: recorder.tracer())
      #expect(db.lastSequence == 3, "cut at \(cut)")
      #expect(try db.get(Bytes(utf8: "key2")) == Bytes(utf8: "value2"))
      #expect(try db.get(Bytes(utf8: "key3")) == nil)
      #expect(try copy.fileSize("/db/000001.log") == lastStart)
      if cut > lastStart {
        #expect(recorder.events.contains { $0.action == "truncate" && $0.subject == "000001.log @ \(lastStart)" })
      }
      // The log is writable again right after the cut.
      #expect(try db.put(Bytes(utf8: "key3"), Bytes(utf8: "again")) == 4)
      try db.close()
      #expect(
        try Database.open(directory: directory, fileSystem: copy).get(Bytes(utf8: "key3")) == Bytes(utf8: "again"))
    }
  }

  /// Damage any single byte of a record in the middle: open refuses, naming
  /// the file and the record's offset. Nothing is skipped silently.
  @Test func corruptionInTheMiddleRefusesToOpen() throws {
    let fs = MemoryFileSystem()
    let (log, offsets) = try logWithPuts(3, fileSystem: fs)
    let middle = offsets[1]
    for position in middle..<offsets[2] {
      var damaged = log
      damaged[position] ^= 0x40
      let copy = MemoryFileSystem()
      try copy.createDirectory(directory)
      try copy.writeFile("/db/000001.log", damaged, sync: true)
      do {
        _ = try Database.open(directory: directory, fileSystem: copy)
        Issue.record("damage at byte \(position) was not detected")
      } catch let error as LogCorruption {
        #expect(error.file == "000001.log")
        #expect(error.offset == middle, "damage at byte \(position)")
        #expect(error.description.hasPrefix("corruption in 000001.log at offset \(middle): "))
      }
    }
  }

  /// Well-framed records whose batches no writer makes (empty, sequence 0,
  /// numbers that would overflow) are corruption, not a crash.
  @Test func hostileBatchesAreCorruptionNotATrap() throws {
    for (sequence, batch) in [
      (SequenceNumber(0), WriteBatch()), (0, WriteBatch([.delete(key: [1])])),
      (SequenceNumber.max, WriteBatch([.delete(key: [1]), .delete(key: [2])])),
    ] {
      var log = Bytes()
      LogFormat.frame(batch.encoded(sequence: sequence), into: &log)
      let fs = MemoryFileSystem()
      try fs.createDirectory(directory)
      try fs.writeFile("/db/000001.log", log, sync: true)
      #expect(throws: LogCorruption.self) { try Database.open(directory: directory, fileSystem: fs) }
    }
  }

  @Test func oversizedBatchIsRefusedBeforeAnythingIsWritten() throws {
    var options = Database.Options()
    options.maxRecordSize = 64
    let fs = MemoryFileSystem()
    let db = try Database.open(directory: directory, fileSystem: fs, options: options)
    #expect(throws: LogWriter.Error.self) { try db.put(Bytes(utf8: "k"), Bytes(repeating: 1, count: 100)) }
    #expect(db.logStatus.size == 0)
    #expect(try db.put(Bytes(utf8: "k"), Bytes(utf8: "small")) == 1)
  }

  @Test func createsTheLogAndSyncsTheDirectory() throws {
    let recorder = TraceRecorder()
    let db = try Database.open(directory: directory, fileSystem: MemoryFileSystem(), tracer: recorder.tracer())
    let actions = recorder.events.map { "\($0.component.rawValue) \($0.action)" }
    #expect(actions.prefix(3) == ["db format", "wal create", "fs dirsync"])
    try db.close()
  }

  @Test func scanHonoursBounds() throws {
    let db = try Database.open(directory: directory, fileSystem: MemoryFileSystem())
    for key in ["a", "b", "c", "d"] { try db.put(Bytes(utf8: key), Bytes(utf8: key), options: .init(sync: false)) }
    #expect(
      try db.scan(from: Bytes(utf8: "b"), to: Bytes(utf8: "d")).map(\.key) == [Bytes(utf8: "b"), Bytes(utf8: "c")])
    #expect(try db.scan(from: Bytes(utf8: "bb"), to: nil).count == 2)
    #expect(try db.scan(from: nil, to: Bytes(utf8: "a")).isEmpty)
  }
}
