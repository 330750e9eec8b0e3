import Chapter1WAL
import Chapter2Memtable

@testable import Chapter3SSTable

/// One entry of a table under test.
struct Entry: Hashable, Sendable, CustomStringConvertible {
  var key: InternalKey
  var value: Bytes

  init(_ userKey: String, _ sequence: SequenceNumber, _ kind: ValueKind, _ value: String = "") {
    self.key = InternalKey(Bytes(utf8: userKey), sequence: sequence, kind: kind)
    self.value = Bytes(utf8: value)
  }

  init(key: InternalKey, value: Bytes) {
    self.key = key
    self.value = key.kind == .deletion ? [] : value
  }

  var description: String { key.kind == .deletion ? "\(key)" : "\(key) = \(Format.printable(value))" }
}

/// Builds tables in a `MemoryFileSystem` and reads them back.
enum TableFixture {
  /// Writes `entries` (sorted) as a table at `path` and returns its properties.
  @discardableResult
  static func build(
    _ entries: [Entry], in fileSystem: MemoryFileSystem, path: String = "000007.sst",
    options: TableOptions = .init(), tracer: Tracer = .disabled
  ) throws -> TableProperties {
    let file = try fileSystem.openWritable(path, mode: .createNew)
    defer { try? file.close() }
    let builder = TableBuilder(file: file, name: splitPath(path).name, options: options, tracer: tracer)
    for entry in entries { try builder.add(entry.key, value: entry.value) }
    return try builder.finish()
  }

  /// The bytes of a table holding `entries`.
  static func bytes(_ entries: [Entry], options: TableOptions = .init()) throws -> Bytes {
    let fileSystem = MemoryFileSystem()
    try build(entries, in: fileSystem, options: options)
    return try fileSystem.readFile("000007.sst")
  }

  /// Opens `bytes` as a table named `000007.sst`.
  static func open(_ bytes: Bytes, tracer: Tracer = .disabled) throws -> TableReader {
    let fileSystem = MemoryFileSystem()
    try fileSystem.writeFile("000007.sst", bytes, sync: false)
    return try TableReader.open(path: "000007.sst", name: "000007.sst", fileSystem: fileSystem, tracer: tracer)
  }

  /// Every entry, read with a full forward scan.
  static func scan(_ table: TableReader) throws -> [Entry] {
    var iterator = table.makeIterator()
    var result: [Entry] = []
    try iterator.seekToFirst()
    while iterator.isValid {
      result.append(Entry(key: iterator.key, value: iterator.value))
      try iterator.next()
    }
    return result
  }

  /// Every entry, read with a full backward scan, in forward order.
  static func scanBackward(_ table: TableReader) throws -> [Entry] {
    var iterator = table.makeIterator()
    var result: [Entry] = []
    try iterator.seekToLast()
    while iterator.isValid {
      result.append(Entry(key: iterator.key, value: iterator.value))
      try iterator.prev()
    }
    return result.reversed()
  }

  /// The model's answer to `get(key, snapshot)` over sorted `entries`: the
  /// first version of `key` with a sequence at most `snapshot`.
  static func modelGet(_ entries: [Entry], _ key: Bytes, snapshot: SequenceNumber) -> LookupResult {
    guard let entry = entries.first(where: { $0.key.userKey == key && $0.key.sequence <= snapshot }) else {
      return .notFound
    }
    return entry.key.kind == .deletion ? .deleted(at: entry.key.sequence) : .found(entry.value)
  }

  /// The two-entry table of the format documentation.
  static let tinyTable: [Entry] = [Entry("apple", 1, .value, "red"), Entry("apricot", 2, .deletion)]
}

/// Renders bytes as `hexdump -C` would, without the text column: the form
/// the format documentation shows.
func hexdump(_ bytes: Bytes) -> String {
  stride(from: 0, to: bytes.count, by: 16).map { start in
    let row = bytes[start..<min(start + 16, bytes.count)]
    let offset = String(start, radix: 16)
    var line = String(repeating: "0", count: 8 - offset.count) + offset + " "
    for (index, byte) in row.enumerated() {
      line += (index == 8 ? "  " : " ") + (byte < 16 ? "0" : "") + String(byte, radix: 16)
    }
    return line
  }.joined(separator: "\n")
}
