import Chapter1WAL
import Chapter3SSTable
import TestSupport
import Testing

@testable import Chapter4Manifest

/// The whole-database sweep (`DamageSweep`): a small database with tables
/// on two levels, a manifest of several edits and a live log; every file
/// damaged in turn (a byte flipped at a stride, or the file cut at a few
/// lengths). Each case must be refused with an error, or read every key and
/// a full scan exactly right, or fail a read with an error: never a wrong
/// answer, never a trap.
@Suite struct DamageSweepTests {
  @Test func everyDamagedFileIsRefusedOrReadRightOrAnError() throws {
    let fs = MemoryFileSystem()
    let db = try Fixture.open(fs, Fixture.options(memtableSize: 1024))
    let contents = try DamageSweep.write(into: db, merge: { try db.mergeTables() }, flush: { try db.flush() })
    try db.close()
    let files = try Fixture.files(fs)
    #expect(files.keys.contains { TableFileNames.tableNumber($0) != nil })
    #expect(files.keys.contains { $0.hasPrefix("MANIFEST-") })
    // The live log's records as a torn tail: cut anywhere, the log loses a
    // suffix of its writes and recovery cannot tell that from a crash
    // during an append. Only the log sizes recorded in the manifest
    // (RocksDB's track_and_verify_wals_in_manifest) could. So a cut live
    // log may read as any earlier moment of it, never as anything else.
    let outcomes = try DamageSweep.run(
      files, keys: contents.keys, expected: contents.expected, liveLogEarlier: contents.liveLogEarlier
    ) { try Fixture.open($0) }
    #expect((outcomes[.refused] ?? 0) > 0 && (outcomes[.right] ?? 0) > 0, "\(outcomes)")
  }
}
