import Chapter1WAL
import Chapter2Memtable
import PropertyBased
import Testing

@testable import Chapter3SSTable

/// Tables written and read back, compared with the entries that went in.
@Suite struct TableTests {
  static func userKey(_ n: Int) -> Bytes {
    // Mostly text keys with shared prefixes; every seventh a binary key.
    n % 7 == 3 ? [0, UInt8(n), 0xFF] : Bytes(utf8: "key\(n)")
  }

  /// Sorted internal entries: several versions of a key, tombstones, empty
  /// values and values long enough to fill a block alone.
  static let entries = zip(
    Gen<Int>.value(in: 0...30), Gen<UInt64>.value(in: 1...40), Gen<Bool>.bool(0.3), Gen<Int>.value(in: 0...150)
  )
  .array(of: 1...150)
  .map { raw in
    var seen = Set<InternalKey>()
    var result: [Entry] = []
    for (n, sequence, isDelete, size) in raw {
      let key = InternalKey(userKey(n), sequence: sequence, kind: isDelete ? .deletion : .value)
      let version = InternalKey(key.userKey, sequence: sequence, kind: .value)
      guard seen.insert(version).inserted else { continue }
      let value = Bytes((0..<size).map { UInt8(truncatingIfNeeded: n &* 31 &+ Int(sequence) &+ $0) })
      result.append(Entry(key: key, value: value))
    }
    return result.sorted { $0.key < $1.key }
  }

  static let options = zip(Gen.element(of: [1, 40, 128, 512, 4096]), Gen.element(of: [1, 2, 5, 16]))
    .map { TableOptions(blockSize: $0 ?? 4096, restartInterval: $1 ?? 16) }

  @Test func tablesRoundTripThroughIteratorsAndGets() async {
    await propertyCheck(count: 120, input: Self.entries, Self.options, Gen<UInt64>.value(in: 0...45).array(of: 3)) {
      entries, options, snapshots throws in
      let fileSystem = MemoryFileSystem()
      let properties = try TableFixture.build(entries, in: fileSystem, options: options)
      let table = try TableReader.open(path: "000007.sst", name: "000007.sst", fileSystem: fileSystem)
      #expect(table.properties == properties)
      #expect(properties.entryCount == entries.count)
      #expect(properties.deletionCount == entries.filter { $0.key.kind == .deletion }.count)
      #expect(properties.smallestKey == entries.first?.key && properties.largestKey == entries.last?.key)
      #expect(properties.smallestSequence == entries.map(\.key.sequence).min())
      #expect(properties.largestSequence == entries.map(\.key.sequence).max())
      #expect(properties.rawKeyBytes == entries.map { $0.key.userKey.count + 8 }.reduce(0, +))
      #expect(properties.rawValueBytes == entries.map(\.value.count).reduce(0, +))

      #expect(try TableFixture.scan(table) == entries)
      #expect(try TableFixture.scanBackward(table) == entries)
      #expect(table.blocksRead == 2 * table.dataBlockCount)

      let userKeys = Set(entries.map(\.key.userKey)) + [Self.userKey(31), Self.userKey(32), [], Bytes(utf8: "kez")]
      for key in userKeys {
        for snapshot in snapshots + [0, .max] {
          let (result, blocksRead) = try table.get(key, snapshot: snapshot)
          #expect(
            result == TableFixture.modelGet(entries, key, snapshot: snapshot), "\(Format.printable(key)) @\(snapshot)")
          #expect(blocksRead <= 1)
        }
      }
    }
  }

  @Test func seekLandsWhereTheModelSays() async {
    await propertyCheck(
      count: 80, input: Self.entries, Self.options,
      zip(Gen<Int>.value(in: 0...33), Gen<UInt64>.value(in: 0...45), Gen<Bool>.bool).array(of: 1...20)
    ) { entries, options, targets throws in
      let table = try TableFixture.open(try TableFixture.bytes(entries, options: options))
      var iterator = table.makeIterator()
      for (n, sequence, isValue) in targets {
        let target = InternalKey(Self.userKey(n), sequence: sequence, kind: isValue ? .value : .deletion)
        try iterator.seek(target)
        guard let index = entries.firstIndex(where: { !($0.key < target) }) else {
          #expect(!iterator.isValid)
          continue
        }
        #expect(iterator.isValid && iterator.key == entries[index].key && iterator.value == entries[index].value)
        // And the iterator carries on from there, across blocks.
        if index + 1 < entries.count {
          try iterator.next()
          #expect(iterator.key == entries[index + 1].key)
        }
      }
    }
  }

  @Test func builderRejectsKeysOutOfOrderAndDuplicates() throws {
    let file = try MemoryFileSystem().openWritable("t.sst", mode: .createNew)
    let builder = TableBuilder(file: file, name: "t.sst")
    let b5 = InternalKey(Bytes(utf8: "b"), sequence: 5, kind: .value)
    try builder.add(b5, value: [1])
    #expect(throws: TableError.outOfOrder(file: "t.sst", previous: b5, key: b5)) {
      try builder.add(b5, value: [2])
    }
    let a9 = InternalKey(Bytes(utf8: "a"), sequence: 9, kind: .value)
    #expect(throws: TableError.outOfOrder(file: "t.sst", previous: b5, key: a9)) { try builder.add(a9, value: []) }
    // An older version of the same key sorts after a newer one: allowed.
    let b6 = InternalKey(Bytes(utf8: "b"), sequence: 6, kind: .value)
    #expect(throws: TableError.outOfOrder(file: "t.sst", previous: b5, key: b6)) { try builder.add(b6, value: []) }
    try builder.add(InternalKey(Bytes(utf8: "b"), sequence: 4, kind: .deletion), value: [])
    #expect(
      TableError.outOfOrder(file: "t.sst", previous: b5, key: a9).description
        == "t.sst: key a #9 PUT added after b #5 PUT; a table's keys must strictly increase")
    #expect(builder.entryCount == 2)
    try builder.finish()
  }

  @Test func builderRejectsHugeSequencesAndEmptyTables() throws {
    let fileSystem = MemoryFileSystem()
    let builder = TableBuilder(file: try fileSystem.openWritable("t.sst", mode: .createNew), name: "t.sst")
    let huge = InternalKey([1], sequence: InternalKeyEncoding.maxSequence + 1, kind: .value)
    #expect(throws: TableError.sequenceTooLarge(file: "t.sst", key: huge)) { try builder.add(huge, value: []) }
    #expect(throws: TableError.empty(file: "t.sst")) { try builder.finish() }
  }

  @Test func blocksCloseAtTheTargetSize() throws {
    let entries = (0..<200).map { Entry(String(format: "key%04d", $0), 1, .value, String(repeating: "v", count: 100)) }
    let fileSystem = MemoryFileSystem()
    let file = try fileSystem.openWritable("t.sst", mode: .createNew)
    let builder = TableBuilder(file: file, name: "t.sst", options: TableOptions(blockSize: 1024))
    var estimates: [Int] = []
    for entry in entries {
      try builder.add(entry.key, value: entry.value)
      estimates.append(builder.estimatedSize)
    }
    #expect(estimates == estimates.sorted())
    try builder.finish()
    let table = try TableReader.open(path: "t.sst", name: "t.sst", fileSystem: fileSystem)
    let sizes = table.index.map(\.handle.size)
    // Every block but the last reaches 1 KiB and overshoots by less than one entry (~125 B).
    #expect(sizes.dropLast().allSatisfy { $0 >= 1024 && $0 < 1024 + 130 })
    // Before `finish` the estimate is exact for the data written so far; after, it is the file's size.
    #expect(estimates.last == table.footer.index.offset)
    #expect(builder.estimatedSize == table.fileSize)
  }

  @Test func lookupsReadOneBlockAndPastTheEndNone() throws {
    let entries = (0..<100).map { Entry(String(format: "key%04d", $0 * 2), 1, .value, "v\($0)") }
    let table = try TableFixture.open(try TableFixture.bytes(entries, options: TableOptions(blockSize: 256)))
    #expect(table.dataBlockCount > 5)
    #expect(try table.get(Bytes(utf8: "key0100"), snapshot: 1) == (.found(Bytes(utf8: "v50")), 1))
    // Absent but inside the table's range: the block is read and holds nothing.
    #expect(try table.get(Bytes(utf8: "key0101"), snapshot: 1) == (.notFound, 1))
    // Past the last key: the index alone answers.
    #expect(try table.get(Bytes(utf8: "zzz"), snapshot: 1) == (.notFound, 0))
    // Too old a snapshot: the version is newer than the snapshot.
    #expect(try table.get(Bytes(utf8: "key0100"), snapshot: 0) == (.notFound, 1))
    #expect(table.blocksRead == 3)
  }

  @Test func tracesEveryBlockTheTableAndEachRead() throws {
    let recorder = TraceRecorder()
    let fileSystem = MemoryFileSystem()
    let entries = (0..<40).map { Entry(String(format: "key%04d", $0), SequenceNumber($0 + 1), .value, "value") }
    try TableFixture.build(
      entries, in: fileSystem, options: TableOptions(blockSize: 256), tracer: recorder.tracer(level: .explain))
    let events = recorder.drain()
    #expect(events.allSatisfy { $0.component == .sstable && !$0.why.isEmpty })
    #expect(events.map(\.action) == Array(repeating: "block", count: events.count - 1) + ["finish"])
    #expect(events[0].subject == "000007.sst")
    #expect(events[0].details.hasPrefix("block 0 @ 0, 2"))
    #expect(events[0].details.contains(" entries, last key key"))
    #expect(events.last?.details.contains("40 entries, keys key0000 #1 PUT ... key0039 #40 PUT") == true)

    let table = try TableReader.open(
      path: "000007.sst", name: "000007.sst", fileSystem: fileSystem, tracer: recorder.tracer(level: .explain))
    _ = try table.get(Bytes(utf8: "key0020"), snapshot: 100)
    let reads = recorder.drain()
    #expect(reads.map(\.action) == ["open", "read"])
    #expect(reads[1].details.contains("for key0020 @100: found value"))
  }
}
