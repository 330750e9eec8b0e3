import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable
import Chapter4Manifest
import Chapter5BloomFilter
import Foundation

/// What one compaction did.
public struct CompactionResult: Sendable {
  public var plan: CompactionPlan
  /// The tables written (none for a move, or if every entry was dropped).
  public var outputs: [TableMetadata]
  public var entriesKept = 0
  public var dropped: [DropReason: Int] = [:]
  public var bytesWritten: UInt64 { outputs.reduce(0) { $0 + $1.fileSize } }

  /// `L0 → L1: 4 tables (12.1 KiB) into 2 (9.8 KiB); dropped 31 shadowed, 2 tombstones`.
  public var summary: String {
    let from = plan.allInputs.count
    if plan.isTrivialMove {
      return "L\(plan.level) → L\(plan.outputLevel): moved \(plan.inputs[0].name), no bytes rewritten"
    }
    let droppedText = [DropReason.shadowed, .tombstone].compactMap { reason in
      dropped[reason].map { "\($0) \(reason.rawValue)" }
    }
    return "L\(plan.level) → L\(plan.outputLevel): \(Format.plural(from, "table")) "
      + "(\(Format.size(Int(clamping: plan.inputBytes)))) into \(outputs.count) (\(Format.size(Int(clamping: bytesWritten))))"
      + (droppedText.isEmpty ? "" : "; dropped " + droppedText.joined(separator: ", "))
  }
}

/// Runs compactions: on a background thread that wakes whenever a new
/// version is made, or inline, when the database asks.
///
/// One compaction runs at a time. Flushes go on meanwhile (they only add
/// tables to level 0, which a running compaction of level 0 leaves alone:
/// its inputs were chosen before), and so do reads, each on the version it
/// pinned. The compaction's edit deletes exactly the tables it read and
/// adds what it wrote, so a flush that lands in between changes nothing it
/// relies on.
public final class Compactor: @unchecked Sendable {
  public let options: CompactionOptions
  public let picker: CompactionPicker
  private let database: Chapter5BloomFilter.Database
  private let tracer: Tracer

  /// Held for the length of a compaction: one at a time.
  private let running = NSLock()
  /// Guards `wanted`, `stopping` and `threadDone`; signalled when a
  /// compaction ends, for writers waiting out a stall.
  private let state = NSCondition()
  private var wanted = false
  private var stopping = false
  private var threadDone = true
  /// Per level, the largest key its last compaction took (guarded by
  /// `running`); recorded in the manifest with each compaction's edit, and
  /// read back from it at open.
  private var pointers: [Int: Bytes] = [:]
  private let stats = Locked(CompactionStatistics())
  /// Level 0's tables as the last version had them, to see which are new
  /// (flushed) in the next.
  private let knownLevel0 = Locked<Set<UInt64>>([])
  /// The picker's estimate of the bytes compaction owes, as of the newest
  /// version (`WriteStalls` reads it at every write).
  private let pending = Locked<UInt64>(0)

  /// The bytes compaction owes now (`CompactionPicker.pendingBytes`).
  public var pendingBytes: UInt64 { pending.withLock { $0 } }

  init(database: Chapter5BloomFilter.Database, options: CompactionOptions, tracer: Tracer) {
    self.database = database
    self.options = options
    self.picker = CompactionPicker(options: options)
    self.tracer = tracer
  }

  private var versions: VersionSet { database.versions }

  /// Starts listening for new versions and, in background mode, the
  /// thread; then looks once, for a database opened with work to do.
  func start() {
    pointers = versions.compactPointers.mapValues(\.userKey)
    knownLevel0.withLock { $0 = Set(versions.current.levels[0].map(\.number)) }
    pending.withLock { $0 = picker.pendingBytes(currentLevels) }
    versions.observe { [weak self] version in self?.noticed(version) }
    if options.background {
      state.withLock { threadDone = false }
      let thread = Thread { [self] in loop() }
      thread.name = "compaction"
      thread.start()
    }
    if options.automatic { wake() }
  }

  /// A new version: count what it flushed, and look for work.
  private func noticed(_ version: Version) {
    let level0 = version.levels[0]
    let flushed = knownLevel0.withLock { known in
      let new = level0.filter { !known.contains($0.number) }
      known = Set(level0.map(\.number))
      return new.reduce(UInt64(0)) { $0 + $1.metadata.fileSize }
    }
    if flushed > 0 { stats.withLock { $0.bytesFlushed += flushed } }
    pending.withLock { $0 = picker.pendingBytes(version.levels.map { $0.map(\.metadata) }) }
    if options.automatic { wake() }
  }

  /// Asks for a look at the levels.
  func wake() {
    state.withLock {
      wanted = true
      state.broadcast()
    }
  }

  /// Inline mode: runs whatever is due, if a new version asked for it.
  func runIfWanted() {
    guard !options.background else { return }
    let asked = state.withLock {
      defer { wanted = false }
      return wanted
    }
    if asked { runRecordingFailure() }
  }

  private func loop() {
    while true {
      let go = state.withLock {
        while !wanted && !stopping { state.wait() }
        wanted = false
        return !stopping
      }
      guard go else { break }
      runRecordingFailure()
    }
    state.withLock {
      threadDone = true
      state.broadcast()
    }
  }

  /// Runs what is due; a failure stops writes, as a failed flush does.
  private func runRecordingFailure() {
    do {
      _ = try compactWhileDue()
    } catch {
      database.engine.fail(error, "compaction")
    }
    state.withLock { state.broadcast() }
  }

  /// Runs compactions until no level is due; returns what each did.
  @discardableResult
  public func compactWhileDue() throws -> [CompactionResult] {
    running.lock()
    defer { running.unlock() }
    var results: [CompactionResult] = []
    while !isStopping, database.engine.background.error == nil,
      let plan = picker.pick(currentLevels, pointers: pointers)
    {
      results.append(try execute(plan))
      state.withLock { state.broadcast() }
    }
    return results
  }

  /// Runs the compaction the picker chooses now, if any level is due.
  public func compactNext() throws -> CompactionResult? {
    running.lock()
    defer { running.unlock() }
    guard let plan = picker.pick(currentLevels, pointers: pointers) else { return nil }
    let result = try execute(plan)
    state.withLock { state.broadcast() }
    return result
  }

  // snippet: compact-range
  /// Compacts every table whose keys meet `from...to` (`nil`: open-ended)
  /// down the levels, one level at a time, as LevelDB's `CompactRange`
  /// does: level 0 into 1, then 1 into 2, and so on to the deepest level
  /// holding such a table, so that afterwards the range is on that level
  /// alone, with whatever it could drop dropped.
  public func compactRange(from: Bytes?, to: Bytes?) throws -> [CompactionResult] {
    running.lock()
    defer { running.unlock() }
    func overlapping(_ level: Int) -> [TableMetadata] {
      currentLevels[level].filter { table in
        (from.map { compareBytes(table.largest.userKey, $0) >= 0 } ?? true)
          && (to.map { compareBytes(table.smallest.userKey, $0) <= 0 } ?? true)
      }
    }
    let deepest = (1..<CompactionOptions.levelCount).last { !overlapping($0).isEmpty } ?? 1
    var results: [CompactionResult] = []
    for level in 0..<deepest {
      let seeds = overlapping(level)
      guard !seeds.isEmpty else { continue }
      let reason = "compact range \(from.map(Format.printable) ?? "-")..\(to.map(Format.printable) ?? "-")"
      results.append(try execute(picker.plan(level: level, seeds: seeds, levels: currentLevels, reason: reason)))
      state.withLock { state.broadcast() }
    }
    return results
  }
  // end snippet

  private var currentLevels: [[TableMetadata]] { versions.current.levels.map { $0.map(\.metadata) } }

  /// What the picker would run next, for `show compaction`.
  public func nextPlan() -> CompactionPlan? {
    running.lock()
    defer { running.unlock() }
    return picker.pick(currentLevels, pointers: pointers)
  }

  /// Runs `plan` (the tests' way in; it must fit the current version).
  public func run(_ plan: CompactionPlan) throws -> CompactionResult {
    running.lock()
    defer { running.unlock() }
    return try execute(plan)
  }

  private var isStopping: Bool { state.withLock { stopping } }

  /// The statistics so far.
  public var statistics: CompactionStatistics { stats.withLock { $0 } }

  /// Counts a stalled write (`WriteStalls`).
  func recordStall(stopped: Bool, seconds: Double) {
    stats.withLock {
      if stopped { $0.stoppedWrites += 1 } else { $0.slowedWrites += 1 }
      $0.stallSeconds += seconds
    }
  }

  /// Waits until `condition` holds, a compaction fails, or the compactor
  /// stops; wakes the compactor first. Returns whether `condition` holds.
  func waitUntil(_ condition: () -> Bool) -> Bool {
    if !options.background {
      runRecordingFailure()
      return condition()
    }
    return state.withLock {
      wanted = true
      state.broadcast()
      while !condition() && !stopping && database.engine.background.error == nil {
        _ = state.wait(until: Date(timeIntervalSinceNow: 0.1))
      }
      return condition()
    }
  }

  /// Waits for the compaction running now, and stops the thread.
  func stop() {
    state.withLock {
      stopping = true
      state.broadcast()
      while !threadDone { state.wait() }
    }
    running.lock()
    running.unlock()
  }

  // snippet: compaction-run
  /// Runs one compaction: a move, or a merge of the inputs into new tables
  /// on the level below, then one edit that swaps them in.
  private func execute(_ plan: CompactionPlan) throws -> CompactionResult {
    let started = DispatchTime.now()
    let files = Dictionary(uniqueKeysWithValues: versions.current.tables.map { ($0.number, $0) })
    if let missing = plan.allInputs.first(where: { files[$0.table.number] == nil }) {
      throw CompactionError.notInVersion(missing.table.name)
    }
    tracer(
      .compaction, "pick", "L\(plan.level) → L\(plan.outputLevel)", plan.reason,
      why: "a level over its limit costs reads (level 0) or space (deeper levels)")
    var result = CompactionResult(plan: plan, outputs: [])
    var edit = VersionEdit()
    edit.deleted = plan.allInputs.map { ($0.level, $0.table.number) }
    let pointer = plan.inputs.map(\.largest).max()!
    edit.compactPointers = [(plan.level, pointer)]
    if plan.isTrivialMove {
      let table = plan.inputs[0]
      edit.added = [(plan.outputLevel, table)]
      try versions.apply(edit, added: [files[table.number]!], why: "moved to L\(plan.outputLevel)")
      tracer(
        .compaction, "move", table.name, "L\(plan.level) → L\(plan.outputLevel), \(table.keyRange)",
        why: "nothing on L\(plan.outputLevel) overlaps it: the manifest edit alone moves it, no byte is rewritten")
    } else {
      tracer(
        .compaction, "inputs", plan.allInputs.map { "L\($0.level) \($0.table.name)" }.joined(separator: ", "),
        "\(Format.size(Int(clamping: plan.inputBytes))) to merge")
      let outputs = try mergeInputs(plan, files: files, into: &result)
      edit.added = outputs.map { (plan.outputLevel, $0.metadata) }
      result.outputs = outputs.map(\.metadata)
      try versions.apply(
        edit, added: outputs,
        why: "compacted into " + (outputs.isEmpty ? "nothing" : outputs.map(\.name).joined(separator: " ")))
    }
    pointers[plan.level] = pointer.userKey
    record(result, seconds: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9)
    tracer(.compaction, "done", result.summary, why: "the edit is durable; the inputs go once no reader holds them")
    return result
  }
  // end snippet

  // snippet: compaction-outputs
  /// Merges the plan's inputs into tables on the output level: entries in
  /// internal-key order, minus what `CompactionMerge` drops, cut into
  /// tables of about the target size, at a user key's end only (a key's
  /// versions never straddle two tables of one level), and early where an
  /// output would overlap too much of the level below it.
  private func mergeInputs(
    _ plan: CompactionPlan, files: [UInt64: TableFile], into result: inout CompactionResult
  ) throws -> [TableFile] {
    let levels = versions.current.levels.map { $0.map(\.metadata) }
    var merge = CompactionMerge(
      snapshots: database.snapshots.all.map(\.sequence),
      levelsBelowOutput: Array(levels[(plan.outputLevel + 1)...]),
      dropTombstonesEverywhere: options.dropTombstonesEverywhere)
    var merged = MergingIterator(try plan.allInputs.map { try files[$0.table.number]!.reader().makeIterator() })
    var grandparents = GrandparentOverlap(plan.grandparents, limit: options.grandparentLimit * options.targetTableSize)
    var dropped: [DropReason: Int] = [:]
    var kept = 0
    /// Moves past the entries the merge drops, to the next one kept.
    func skipDropped() throws {
      while merged.isValid, let reason = merge.decide(merged.key) {
        dropped[reason, default: 0] += 1
        try merged.next()
      }
    }
    try merged.seekToFirst()
    try skipDropped()
    var outputs: [TableFile] = []
    while merged.isValid {
      let (table, _) = try database.engine.tables.writeTable { builder in
        var last: Bytes?
        while merged.isValid {
          let key = merged.key
          if last.map({ compareBytes($0, key.userKey) != 0 }) ?? true {
            let cutHere = grandparents.shouldCut(before: key.userKey)
            if last != nil, cutHere || UInt64(builder.estimatedSize) >= options.targetTableSize { return }
          }
          try builder.add(key, value: merged.value)
          kept += 1
          last = key.userKey
          try merged.next()
          try skipDropped()
        }
      }
      tracer(
        .compaction, "write", table.name,
        "\(Format.plural(Int(table.metadata.entryCount), "entry", "entries")), "
          + "\(Format.size(Int(clamping: table.metadata.fileSize))), \(table.metadata.keyRange)")
      outputs.append(table)
    }
    result.entriesKept = kept
    result.dropped = dropped
    return outputs
  }
  // end snippet

  private func record(_ result: CompactionResult, seconds: Double) {
    stats.withLock { stats in
      var level = stats.levels[result.plan.outputLevel]
      if result.plan.isTrivialMove {
        level.moves += 1
      } else {
        level.compactions += 1
        level.bytesReadAbove += totalBytes(result.plan.inputs)
        level.bytesReadHere += totalBytes(result.plan.overlapping)
        level.bytesWritten += result.bytesWritten
        level.tablesIn += result.plan.allInputs.count
        level.tablesOut += result.outputs.count
        level.entriesDropped += result.dropped.values.reduce(0, +)
        level.seconds += seconds
      }
      stats.levels[result.plan.outputLevel] = level
    }
  }
}

/// How much of the grandparent level an output table spans so far.
private struct GrandparentOverlap {
  let tables: [TableMetadata]
  let limit: UInt64
  var index = 0
  var bytes: UInt64 = 0
  var started = false

  init(_ tables: [TableMetadata], limit: UInt64) {
    self.tables = tables
    self.limit = limit
  }

  /// Whether to end the output table before `userKey`: the table would
  /// then overlap more than `limit` bytes of the grandparents.
  mutating func shouldCut(before userKey: Bytes) -> Bool {
    while index < tables.count, compareBytes(userKey, tables[index].largest.userKey) > 0 {
      if started { bytes += tables[index].fileSize }
      index += 1
    }
    started = true
    guard bytes > limit else { return false }
    bytes = 0
    return true
  }
}

/// A compaction that cannot run as asked.
public enum CompactionError: Error, CustomStringConvertible {
  /// A plan names a table the current version does not hold (the plan was
  /// made from an older version).
  case notInVersion(String)

  public var description: String {
    switch self {
    case .notInVersion(let name): "\(name) is not in the current version; plan the compaction again"
    }
  }
}

extension TraceComponent {
  /// Chapter 6's compactor.
  public static let compaction: TraceComponent = "compact"
}
