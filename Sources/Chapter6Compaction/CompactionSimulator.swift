import Chapter1WAL
import Chapter2Memtable
import Chapter4Manifest

// snippet: compaction-simulator
/// The picker, run on made-up flushes with no I/O: each flush is a set of
/// random keys, each compaction the union of its inputs' keys (an
/// overwritten key is stored once), cut into tables of the target size.
/// What comes out is the shape of the levels and the bytes written, so the
/// trade-off between size ratios, triggers and table sizes can be explored
/// in seconds rather than in hours of real writes.
public struct CompactionSimulator {
  public var options: CompactionOptions
  /// Bytes each key's entry takes in a table.
  public var entryBytes: Int
  /// Keys per flushed table, drawn uniformly from `0..<keySpace`.
  public var keysPerFlush: Int
  public var keySpace: UInt64
  public var seed: UInt64

  public init(options: CompactionOptions, entryBytes: Int, keysPerFlush: Int, keySpace: UInt64, seed: UInt64 = 1) {
    self.options = options
    self.entryBytes = entryBytes
    self.keysPerFlush = keysPerFlush
    self.keySpace = keySpace
    self.seed = seed
  }

  /// What `flushes` flushes, and the compactions they set off, leave.
  public struct Report: Sendable {
    /// Per level: tables and bytes.
    public var levels: [(tables: Int, bytes: UInt64)]
    public var bytesFlushed: UInt64 = 0
    public var bytesCompacted: UInt64 = 0
    public var compactions = 0
    public var moves = 0
    /// Distinct keys in the database at the end.
    public var liveKeys = 0
    /// Bytes per entry, as simulated.
    public var entryBytes = 0

    /// Table bytes written, flushes and compactions, per byte flushed.
    public var writeAmplification: Double {
      bytesFlushed == 0 ? 0 : Double(bytesFlushed + bytesCompacted) / Double(bytesFlushed)
    }
  }

  public func run(flushes: Int) -> Report {
    var rng = SeededGenerator(seed: seed)
    var levels = Array(repeating: [SimulatedTable](), count: CompactionOptions.levelCount)
    var pointers: [Int: Bytes] = [:]
    var next: UInt64 = 1
    var report = Report(levels: [])
    report.entryBytes = entryBytes
    let picker = CompactionPicker(options: options)
    let keysPerTable = max(1, Int(options.targetTableSize) / entryBytes)
    for _ in 0..<flushes {
      let keys = Set((0..<keysPerFlush).map { _ in UInt64.random(in: 0..<keySpace, using: &rng) }).sorted()
      levels[0].insert(SimulatedTable(number: next, keys: keys, entryBytes: entryBytes), at: 0)
      next += 1
      report.bytesFlushed += UInt64(keys.count * entryBytes)
      while let plan = picker.pick(levels.map { $0.map(\.metadata) }, pointers: pointers) {
        let inputs = Set(plan.allInputs.map(\.table.number))
        let taken = plan.allInputs.map { input in levels[input.level].first { $0.number == input.table.number }! }
        for level in [plan.level, plan.outputLevel] { levels[level].removeAll { inputs.contains($0.number) } }
        var outputs: [SimulatedTable] = []
        if plan.isTrivialMove {
          outputs = taken
          report.moves += 1
        } else {
          let merged = Set(taken.flatMap(\.keys)).sorted()
          for start in stride(from: 0, to: merged.count, by: keysPerTable) {
            let slice = Array(merged[start..<min(start + keysPerTable, merged.count)])
            outputs.append(SimulatedTable(number: next, keys: slice, entryBytes: entryBytes))
            next += 1
            report.bytesCompacted += UInt64(slice.count * entryBytes)
          }
          report.compactions += 1
        }
        levels[plan.outputLevel] = (levels[plan.outputLevel] + outputs).sorted { $0.keys[0] < $1.keys[0] }
        pointers[plan.level] = keyRange(plan.inputs).largest
      }
    }
    report.levels = levels.map { ($0.count, $0.reduce(0) { $0 + $1.metadata.fileSize }) }
    report.liveKeys = Set(levels.flatMap { $0.flatMap(\.keys) }).count
    return report
  }
}
// end snippet

/// A table of the simulation: its keys, and the metadata the picker reads.
struct SimulatedTable {
  let number: UInt64
  let keys: [UInt64]
  let metadata: TableMetadata

  init(number: UInt64, keys: [UInt64], entryBytes: Int) {
    self.number = number
    self.keys = keys
    metadata = TableMetadata(
      number: number, fileSize: UInt64(keys.count * entryBytes), entryCount: UInt64(keys.count),
      smallest: InternalKey(Self.encode(keys[0]), sequence: 0, kind: .value),
      largest: InternalKey(Self.encode(keys[keys.count - 1]), sequence: 0, kind: .value))
  }

  /// Big-endian, so that bytes sort as the numbers do.
  static func encode(_ key: UInt64) -> Bytes { (0..<8).map { UInt8(truncatingIfNeeded: key >> (56 - 8 * $0)) } }
}
