/// Fuzz target `raft-storage`: a Raft node's directory (chapter 8), compiled
/// in from `Sources/Chapter8Raft/Core/RaftTypes.swift` and
/// `Sources/Chapter8Raft/Storage/RaftStorage.swift`.
///
/// The input's first byte picks the shape: even, the rest is split into
/// length-prefixed pieces framed as `raft.log` records with good checksums
/// (so the fuzzer reaches the record decoders); odd, the rest is `raft.log`
/// as it is. Properties: opening never traps; a log that opens holds
/// contiguous entries after the snapshot index, and opens again to the same
/// state.

import Chapter1WAL

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = fuzzBytes(start, count)
  guard let shape = bytes.first else { return 0 }
  let rest = Array(bytes.dropFirst())
  let log = shape % 2 == 0 ? framedLog(lengthPrefixedPieces(rest)) : rest
  let fileSystem = memoryDirectory([(RaftStorage.logName, log)])
  guard let storage = try? RaftStorage.open(fileSystem: fileSystem, directory: "/db") else { return 0 }
  for (offset, entry) in storage.entries.enumerated() {
    expect(
      entry.index == storage.snapshotMetadata.index + 1 + UInt64(offset),
      "entry \(offset) has index \(entry.index) after snapshot \(storage.snapshotMetadata.index)")
  }
  let state = (storage.hardState, storage.entries)
  try? storage.close()
  guard let again = try? RaftStorage.open(fileSystem: fileSystem, directory: "/db") else {
    fatalError("property broken: a directory that opened once does not open again")
  }
  expect(again.hardState == state.0 && again.entries == state.1, "reopening changed the state")
  return 0
}
