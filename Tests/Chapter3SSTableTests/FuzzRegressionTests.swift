import Chapter1WAL
import Chapter2Memtable
import TestSupport
import Testing

@testable import Chapter3SSTable

/// Inputs `Scripts/fuzz` found that a decoder once mishandled, byte for
/// byte, each with what the decoder must now say about it.
@Suite struct FuzzRegressionTests {
  /// A restart point inside the block's last entry (restart[1] = 1, the
  /// only entry spans bytes 0..<3). Reading forward used to accept the
  /// entry, since no later entry starts at or past restart[1], while
  /// reading backward started at byte 1 and failed: the same block was
  /// whole one way and damaged the other. The entry that contains the
  /// restart point is now the damage, whichever way it is reached.
  @Test func restartInsideTheLastEntryIsDamageGoingForward() throws {
    let bytes: Bytes = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]
    let block = try Block(bytes)
    var forward = block.makeIterator(.bytewise)
    #expect(throws: BlockCorruption(offset: 1, "restart[1] is inside an entry")) { try forward.seekToFirst() }
    var backward = block.makeIterator(.bytewise)
    #expect(throws: BlockCorruption.self) { try backward.seekToLast() }
  }

  /// A real table (from `Scripts/fuzz-corpus`) with one byte of data block
  /// 1 changed, `key059-4` becoming `key059-5`, and that block's checksum
  /// recomputed: every checksum holds, but two entries are now out of order
  /// (`key059-5 #375` after `key059-5 #312`). The iterator used to return
  /// them as they were; it now reports the block as damaged at the entry
  /// that goes backward, whichever way it is read. The file is the fuzz
  /// target's own seed, so `Scripts/fuzz` replays it too.
  @Test func entriesOutOfOrderBehindAValidChecksumAreDamage() throws {
    let bytes = try DiskFileSystem().readFile(
      Repository.path("Fuzz/Chapter3SSTable/Corpus/table/regress-keys-out-of-order"))
    let fileSystem = MemoryFileSystem()
    try fileSystem.createDirectory("/db")
    try fileSystem.writeFile("/db/000006.sst", bytes, sync: true)
    let table = try TableReader.open(path: "/db/000006.sst", name: "000006.sst", fileSystem: fileSystem)
    #expect(problem(table, forward: true)?.contains("does not sort after key059-5 #312 PUT") == true)
    #expect(problem(table, forward: false)?.contains("does not sort before") == true)
  }

  /// What stops a full scan of `table`, or `nil` if it reads to the end.
  private func problem(_ table: TableReader, forward: Bool) -> String? {
    var iterator = table.makeIterator()
    do {
      if forward { try iterator.seekToFirst() } else { try iterator.seekToLast() }
      while iterator.isValid {
        if forward { try iterator.next() } else { try iterator.prev() }
      }
    } catch {
      return "\(error)"
    }
    return nil
  }
}
