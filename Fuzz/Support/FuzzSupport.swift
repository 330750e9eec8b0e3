/// Helpers every fuzz target shares.
///
/// A target is one Swift file in a chapter's folder (`Fuzz/ChapterN…/`) that defines
/// `LLVMFuzzerTestOneInput`; `Scripts/fuzz` compiles it together with this
/// file and links it against the chapter modules built with coverage and
/// AddressSanitizer. A decoder must never trap on hostile bytes, so any trap
/// is a finding; `expect` turns a broken property (a round trip that does
/// not come back, entries out of order) into a trap as well.

import Chapter1WAL

/// Traps with `message` when `condition` is false: a property the decoders
/// promise does not hold for this input.
func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
  if !condition { fatalError("property broken: \(message())") }
}

/// The input as bytes.
func fuzzBytes(_ start: UnsafeRawPointer, _ count: Int) -> Bytes {
  Bytes(UnsafeRawBufferPointer(start: start, count: count))
}

/// Splits `bytes` into pieces, each a 2-byte little-endian length and then
/// (up to) that many bytes, so that one input can carry several records.
func lengthPrefixedPieces(_ bytes: Bytes) -> [Bytes] {
  var pieces: [Bytes] = []
  var offset = 0
  while offset + 2 <= bytes.count {
    let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
    let start = offset + 2
    let end = min(bytes.count, start + length)
    pieces.append(Array(bytes[start..<end]))
    offset = end
  }
  return pieces
}

/// `payloads` framed as log records with valid checksums, so that the
/// fuzzer reaches what comes after the checksum check.
func framedLog(_ payloads: [Bytes]) -> Bytes {
  var out = Bytes()
  for payload in payloads { LogFormat.frame(payload, into: &out) }
  return out
}

/// A fresh in-memory file system holding `files` (name → bytes) in `/db`.
func memoryDirectory(_ files: [(String, Bytes)]) -> MemoryFileSystem {
  let fileSystem = MemoryFileSystem()
  do {
    try fileSystem.createDirectory("/db")
    for (name, bytes) in files { try fileSystem.writeFile(joinPath("/db", name), bytes, sync: true) }
  } catch {
    fatalError("in-memory file system refused a write: \(error)")
  }
  return fileSystem
}
