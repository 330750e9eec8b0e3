/// Fuzz target `filter`: a bloom filter block's contents (chapter 5).
///
/// Properties: decoding never traps; a filter that decodes re-encodes to
/// exactly the input, and answers a probe for any key without trapping.

import Chapter1WAL
import Chapter5BloomFilter

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = fuzzBytes(start, count)
  guard let filter = try? BloomFilter(decoding: bytes) else { return 0 }
  expect(filter.encoded == bytes, "a decoded filter re-encodes to other bytes")
  for key in [Bytes(), Bytes("a".utf8), Array(bytes.prefix(16))] { _ = filter.mayContain(key) }
  return 0
}
