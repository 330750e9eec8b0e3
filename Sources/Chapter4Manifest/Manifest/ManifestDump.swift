import Chapter1WAL
import Chapter3SSTable

/// `beach manifest-dump`: a manifest, edit by edit, with the version each
/// edit leaves behind.
///
/// It reads the records with chapter 1's `LogReader` (and, unlike recovery,
/// never changes the file): each record's offset, the edit's fields, and
/// then the tables per level after applying it. A torn tail is reported as
/// what recovery would cut; damage, a record that is not an edit, or an
/// edit that does not fit the version before it, makes the result corrupt.
public enum ManifestDump {
  public struct Result: Sendable, Equatable {
    public var lines: [String]
    public var edits: Int
    public var isCorrupt: Bool
  }

  /// Dumps the manifest that `CURRENT` in `directory` names, or, if `path`
  /// is a manifest file, that one.
  public static func run(path: String, fileSystem: any FileSystem, verbose: Bool = true) throws -> Result {
    let name = splitPath(path).name
    guard fileSystem.fileExists(path) else { throw ManifestError.notAManifest(path, "no such file or directory") }
    let isDirectory = (try? fileSystem.listDirectory(path)) != nil
    if !isDirectory {
      guard ManifestFileNames.manifestNumber(name) != nil else {
        throw ManifestError.notAManifest(
          path, "a file not named MANIFEST-NNNNNN (give a manifest, or the database directory)")
      }
      return dump(try fileSystem.readFile(path), name: name, verbose: verbose)
    }
    guard let current = try Current.read(in: path, fileSystem: fileSystem) else {
      throw ManifestError.noDatabase(path)
    }
    return dump(
      try fileSystem.readFile(joinPath(path, current)), name: current, note: " (named by CURRENT)", verbose: verbose)
  }

  /// Dumps manifest bytes.
  public static func dump(_ bytes: Bytes, name: String, note: String = "", verbose: Bool = true) -> Result {
    var result = Result(lines: ["\(name)\(note): \(Format.plural(bytes.count, "byte"))"], edits: 0, isCorrupt: false)
    var reader = LogReader(bytes: bytes)
    var builder = VersionBuilder()
    var counters: (log: UInt64?, next: UInt64?, sequence: SequenceNumber?) = (nil, nil, nil)
    reading: while true {
      switch reader.next() {
      case .record(let record):
        let edit: VersionEdit
        do {
          edit = try VersionEdit.decode(Array(bytes[record.payloadRange]))
        } catch {
          result.lines.append("@ \(record.offset)  CORRUPT: not a valid version edit: \(error)")
          result.isCorrupt = true
          break reading
        }
        result.edits += 1
        let fields = edit.lines
        result.lines.append("@ \(record.offset)  edit \(result.edits): " + (fields.first ?? "(empty)"))
        for field in fields.dropFirst() { result.lines.append("           " + field) }
        if let problem = builder.apply(edit) {
          result.lines.append("           CORRUPT: \(problem)")
          result.isCorrupt = true
          break reading
        }
        counters = (
          edit.logNumber ?? counters.log, edit.nextFileNumber ?? counters.next,
          edit.lastSequence ?? counters.sequence
        )
        if verbose { result.lines.append("           → " + describe(builder.levels)) }
      case .end:
        break reading
      case .tornTail(let offset, let reason):
        result.lines.append("@ \(offset)  torn tail: \(reason) (recovery cuts it here)")
        break reading
      case .corrupt(let offset, let reason, _):
        result.lines.append("@ \(offset)  CORRUPT: \(reason)")
        result.isCorrupt = true
        break reading
      }
    }
    if result.edits == 0 && !result.isCorrupt {
      result.lines.append("CORRUPT: no edit at all; every manifest starts with a snapshot of its version")
      result.isCorrupt = true
    }
    result.lines.append(
      "\(Format.plural(result.edits, "edit")); version: \(describe(builder.levels)); log number "
        + "\(counters.log.map(String.init) ?? "?"), next file \(counters.next.map(String.init) ?? "?"), "
        + "last seq \(counters.sequence.map(String.init) ?? "?")")
    return result
  }

  /// `L0: 000007.sst 000005.sst, L1: 000004.sst`, or `no tables`.
  static func describe(_ levels: [[TableMetadata]]) -> String {
    let parts = levels.enumerated().filter { !$0.element.isEmpty }.map { level, tables in
      "L\(level): " + tables.map(\.name).joined(separator: " ")
    }
    return parts.isEmpty ? "no tables" : parts.joined(separator: ", ")
  }
}
