/// Fuzz target `version-edit`: a `VersionEdit` record's payload (chapter 4).
///
/// Properties: an edit that decodes re-encodes to bytes no longer than the
/// input that decode to an equal edit and re-encode identically; its
/// description (what `manifest-dump` prints) never traps.

import Chapter1WAL
import Chapter4Manifest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = fuzzBytes(start, count)
  guard let edit = try? VersionEdit.decode(bytes) else { return 0 }
  let encoded = edit.encoded()
  expect(encoded.count <= bytes.count, "re-encoding grew from \(bytes.count) to \(encoded.count) bytes")
  guard let again = try? VersionEdit.decode(encoded) else {
    fatalError("property broken: a re-encoded edit does not decode")
  }
  expect(again == edit, "an edit does not survive encode → decode")
  expect(again.encoded() == encoded, "encoding is not stable")
  _ = edit.lines
  _ = edit.summary
  return 0
}
