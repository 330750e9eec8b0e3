/// Fuzz target `block`: a block's restart array and its entries (chapter 3).
///
/// The input is a block's contents (no trailer). Properties: a block that
/// walks forward without damage walks backward through the same entries in
/// reverse; when its keys are strictly increasing under a comparator, a
/// seek to each key lands on that key; index-block style handles decode
/// without trapping.

import Chapter1WAL
import Chapter3SSTable

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  guard let block = try? Block(fuzzBytes(start, count)) else { return 0 }
  for comparator in [KeyComparator.bytewise, .internalKey] {
    checkBlock(block, comparator)
  }
  return 0
}

/// The entries of `block` front to back, or `nil` if it is damaged.
private func forward(_ block: Block, _ comparator: KeyComparator) -> [(key: Bytes, value: Bytes)]? {
  var iterator = block.makeIterator(comparator)
  var entries: [(key: Bytes, value: Bytes)] = []
  do {
    try iterator.seekToFirst()
    while iterator.isValid {
      expect(entries.count <= block.contents.count, "more entries than bytes")
      entries.append((iterator.key, iterator.value))
      var handle = ByteReader(iterator.value)
      _ = try? BlockHandle.decode(&handle, fileSize: Int.max / 2)
      try iterator.next()
    }
  } catch {
    return nil
  }
  return entries
}

/// The entries of `block` back to front, or `nil` if it is damaged.
private func backward(_ block: Block, _ comparator: KeyComparator) -> [(key: Bytes, value: Bytes)]? {
  var iterator = block.makeIterator(comparator)
  var entries: [(key: Bytes, value: Bytes)] = []
  do {
    try iterator.seekToLast()
    while iterator.isValid {
      expect(entries.count <= block.contents.count, "more entries than bytes")
      entries.append((iterator.key, iterator.value))
      try iterator.prev()
    }
  } catch {
    return nil
  }
  return entries.reversed()
}

private func checkBlock(_ block: Block, _ comparator: KeyComparator) {
  guard let entries = forward(block, comparator) else {
    // Damage may be met going either way; neither may trap.
    _ = backward(block, comparator)
    return
  }
  let reversed = backward(block, comparator)
  expect(reversed != nil, "a block that reads forward fails backward")
  expect(
    reversed!.map(\.key) == entries.map(\.key) && reversed!.map(\.value) == entries.map(\.value),
    "backward entries differ from forward entries")
  let sorted = zip(entries, entries.dropFirst()).allSatisfy { comparator($0.key, $1.key) < 0 }
  var iterator = block.makeIterator(comparator)
  for entry in entries.prefix(64) {
    do {
      try iterator.seek(entry.key)
    } catch {
      expect(!sorted, "seek in a sorted, undamaged block failed: \(error)")
      continue
    }
    if sorted {
      expect(iterator.isValid && iterator.key == entry.key, "seek does not find a key the block holds")
    }
  }
}
