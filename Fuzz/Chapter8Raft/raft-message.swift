/// Fuzz target `raft-message`: a Raft message as one node sends it to
/// another (chapter 8), compiled in from `Sources/Chapter8Raft/Core/`
/// (`RaftTypes.swift`, `Message.swift`: they import only Chapter1WAL).
///
/// Properties: a message that decodes re-encodes to exactly its bytes (the
/// encoding has one form) and decodes again to an equal message; its
/// one-line description never traps; a count of entries or voters larger
/// than the bytes left is refused rather than allocated.

import Chapter1WAL

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = fuzzBytes(start, count)
  guard let message = try? Message.decode(bytes) else { return 0 }
  let encoded = message.encoded
  guard let again = try? Message.decode(encoded) else {
    fatalError("property broken: a re-encoded message does not decode")
  }
  expect(again == message, "a message does not survive encode → decode")
  expect(again.encoded == encoded, "encoding is not stable")
  _ = message.description
  return 0
}
