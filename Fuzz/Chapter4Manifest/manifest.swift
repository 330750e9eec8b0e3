/// Fuzz target `manifest`: `CURRENT` and a whole manifest replay (chapter 4).
///
/// The first byte chooses the layout. Below 0x80 it is the length of a
/// `CURRENT` file taken from the bytes after it; otherwise `CURRENT` names
/// `MANIFEST-000001` correctly. The rest is the manifest: as it is when the
/// first byte is even, or split into length-prefixed payloads framed with
/// valid checksums when it is odd (so version edits behind the checksums
/// are reached). The manifest is then dumped and replayed into a version
/// set, as opening a database does; neither may trap.

import Chapter1WAL
import Chapter4Manifest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let bytes = fuzzBytes(start, count)
  guard let first = bytes.first else { return 0 }
  var rest = Array(bytes.dropFirst())
  var current = Bytes("MANIFEST-000001\n".utf8)
  if first < 0x80 {
    let length = min(Int(first), rest.count)
    current = Array(rest[..<length])
    rest.removeFirst(length)
  }
  let manifest = first & 1 == 1 ? framedLog(lengthPrefixedPieces(rest)) : rest
  _ = ManifestDump.dump(manifest, name: "MANIFEST-000001")
  let fileSystem = memoryDirectory([("CURRENT", current), ("MANIFEST-000001", manifest)])
  guard let name = try? Current.read(in: "/db", fileSystem: fileSystem) else { return 0 }
  expect(ManifestFileNames.manifestNumber(name) != nil, "CURRENT gave \(name), not a manifest name")
  _ = try? ManifestDump.run(path: "/db", fileSystem: fileSystem)
  _ = try? VersionSet.recover(
    manifest: name, directory: "/db", fileSystem: fileSystem, options: VersionSet.Options(), tracer: .disabled,
    access: OpenTables(directory: "/db", fileSystem: fileSystem, tracer: .disabled))
  return 0
}
