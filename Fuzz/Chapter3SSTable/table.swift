/// Fuzz target `table`: a whole table file read from memory (chapter 3):
/// footer, properties, index, every data block, every entry.
///
/// Each input is tried twice: as it is, and with every checksum the table
/// names recomputed (footer, properties, index and each data block the
/// index lists), so that the fuzzer reaches the decoders behind the
/// checksums. Properties: the entries of a table that opens come out in
/// strictly increasing internal-key order, backward iteration gives the same
/// entries reversed, and seek, get and `sst-dump` never trap.

import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = fuzzBytes(start, count)
  checkTable(bytes)
  let resealed = resealed(bytes)
  if resealed != bytes { checkTable(resealed) }
  return 0
}

private let name = "000001.sst"

/// Opens `bytes` as a table and reads all of it.
private func checkTable(_ bytes: Bytes) {
  let fileSystem = memoryDirectory([(name, bytes)])
  let path = joinPath("/db", name)
  _ = try? TableDump.run(path: path, fileSystem: fileSystem, blocks: true, entries: true)
  guard let table = try? TableReader.open(path: path, name: name, fileSystem: fileSystem) else { return }
  guard let entries = forward(table) else {
    _ = backward(table)
    return
  }
  for (a, b) in zip(entries, entries.dropFirst()) {
    expect(a.key < b.key, "entries out of order: \(a.key) then \(b.key)")
  }
  let reversed = backward(table)
  expect(reversed != nil, "a table that reads forward fails backward")
  expect(reversed!.map(\.key) == entries.map(\.key), "backward entries differ from forward entries")
  var iterator = table.makeIterator()
  for entry in entries.prefix(32) {
    guard (try? iterator.seek(entry.key)) != nil else { continue }
    expect(iterator.isValid && iterator.key == entry.key, "seek does not find \(entry.key)")
    _ = try? table.get(entry.key.userKey, snapshot: .max)
  }
}

private func forward(_ table: TableReader) -> [(key: InternalKey, value: Bytes)]? {
  var iterator = table.makeIterator()
  var entries: [(key: InternalKey, value: Bytes)] = []
  do {
    try iterator.seekToFirst()
    while iterator.isValid {
      expect(entries.count <= table.fileSize, "more entries than bytes")
      entries.append((iterator.key, iterator.value))
      try iterator.next()
    }
  } catch {
    return nil
  }
  return entries
}

private func backward(_ table: TableReader) -> [(key: InternalKey, value: Bytes)]? {
  var iterator = table.makeIterator()
  var entries: [(key: InternalKey, value: Bytes)] = []
  do {
    try iterator.seekToLast()
    while iterator.isValid {
      expect(entries.count <= table.fileSize, "more entries than bytes")
      entries.append((iterator.key, iterator.value))
      try iterator.prev()
    }
  } catch {
    return nil
  }
  return entries.reversed()
}

/// `bytes` with the checksum of the footer and of every block it (and the
/// index) locates recomputed.
private func resealed(_ bytes: Bytes) -> Bytes {
  var out = bytes
  guard out.count >= Footer.size else { return out }
  let footerStart = out.count - Footer.size
  storeChecksum(&out, covering: footerStart..<(out.count - 4))
  var handles = ByteReader(Array(out[footerStart..<(footerStart + Footer.handlesSize)]))
  guard let properties = try? BlockHandle.decode(&handles, fileSize: out.count),
    let index = try? BlockHandle.decode(&handles, fileSize: out.count)
  else { return out }
  seal(&out, properties)
  seal(&out, index)
  guard let block = try? Block(Array(out[index.offset..<(index.offset + index.size)])) else { return out }
  var iterator = block.makeIterator(.internalKey)
  try? iterator.seekToFirst()
  while iterator.isValid {
    var value = ByteReader(iterator.value)
    if let handle = try? BlockHandle.decode(&value, fileSize: out.count) { seal(&out, handle) }
    guard (try? iterator.next()) != nil else { break }
  }
  return out
}

/// Recomputes the trailer checksum of the block at `handle`.
private func seal(_ out: inout Bytes, _ handle: BlockHandle) {
  storeChecksum(&out, covering: handle.offset..<(handle.offset + handle.size + 1))
}

/// Writes the masked CRC32C of `range` in the 4 bytes after it.
private func storeChecksum(_ out: inout Bytes, covering range: Range<Int>) {
  guard range.upperBound + 4 <= out.count else { return }
  var crc = Bytes()
  crc.appendFixed32(CRC32C.mask(CRC32C.checksum(out, range)))
  out.replaceSubrange(range.upperBound..<(range.upperBound + 4), with: crc)
}
