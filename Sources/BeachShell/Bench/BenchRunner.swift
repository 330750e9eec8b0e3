import Chapter1WAL
import Foundation
import Synchronization

/// Where `beach bench` writes: result lines, notes, and a progress bar.
public struct BenchOutput: Sendable {
  /// Header and result lines (standard output).
  public var line: @Sendable (String) -> Void
  /// Notes about ignored flags and skipped features (standard error).
  public var note: @Sendable (String) -> Void
  /// Shows a transient status line, `nil` clears it; `nil` itself when
  /// standard output is not a terminal, so that a pipe gets result lines only.
  public var progress: (@Sendable (String?) -> Void)?

  public init(
    line: @escaping @Sendable (String) -> Void, note: @escaping @Sendable (String) -> Void,
    progress: (@Sendable (String?) -> Void)? = nil
  ) {
    self.line = line
    self.note = note
    self.progress = progress
  }

  /// Standard output and standard error, with a progress bar on standard
  /// output when it is a terminal.
  public static func standard(terminal: Bool) -> BenchOutput {
    let progress: @Sendable (String?) -> Void = { status in
      // Carriage return, the status, then erase whatever was longer before.
      StandardStream.output.write("\r" + (status ?? "") + "\u{1B}[K")
    }
    return BenchOutput(
      line: { StandardStream.output.write($0 + "\n") }, note: { StandardStream.error.write($0 + "\n") },
      progress: terminal ? progress : nil)
  }
}

/// One engine's results.
public struct BenchRun: Sendable, Equatable {
  public var chapter: Int
  public var title: String
  public var results: [BenchResult]

  public init(chapter: Int, title: String, results: [BenchResult]) {
    self.chapter = chapter
    self.title = title
    self.results = results
  }
}

/// A benchmark could not run: the database directory is not one, say.
public struct BenchError: Error, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}

/// Runs `db_bench`'s workloads against a chapter's engine.
///
/// Each benchmark is run by `--threads` threads at once, each doing *all*
/// of the benchmark's operations (as in `db_bench`, so 4 threads of
/// `fillrandom --num=1000` make 4000 writes). Several writers at once is
/// what group commit is for: one leader writes and syncs the log for a
/// whole group of waiting writers.
///
/// The fill benchmarks (`fillseq`, `fillrandom`, `fillsync`) start from an
/// empty database: the engine is closed, its files removed and it is opened
/// again. The others work on whatever the benchmarks before them left.
public final class BenchRunner {
  private let configuration: BenchConfiguration
  private let output: BenchOutput
  private let descriptor: BenchEngineDescriptor
  private let directory: String
  private let seedBase: UInt64
  /// Threads started so far; each thread's seed is `seedBase` plus its
  /// number, so no two threads of a run draw the same keys.
  private var threadCount: UInt64 = 0
  private var engine: BenchEngine?
  /// The value stream's buffer, built once and shared by every thread.
  private let values: BenchValueGenerator

  init(
    configuration: BenchConfiguration, descriptor: BenchEngineDescriptor, directory: String, seedBase: UInt64,
    output: BenchOutput
  ) {
    self.configuration = configuration
    self.descriptor = descriptor
    self.directory = directory
    self.seedBase = seedBase
    self.output = output
    self.values = BenchValueGenerator(
      compressionRatio: configuration.compressionRatio, minimumSize: configuration.valueSize)
  }

  /// Runs `configuration`'s benchmarks on each engine it names, printing
  /// the header and result lines as it goes.
  ///
  /// - Throws: `BenchError` or the engine's error if a database cannot be
  ///   opened, written or read; `BenchFlags.Error` is thrown earlier, by
  ///   `BenchFlags.parse`.
  public static func run(_ configuration: BenchConfiguration, output: BenchOutput) throws -> [BenchRun] {
    for note in configuration.notes { output.note("note: " + note) }
    var seed = configuration.seed
    if seed == 0 {
      seed = UInt64(Date().timeIntervalSince1970 * 1e6)
      output.line("Set seed to \(seed) because --seed was 0")
    }
    var runs: [BenchRun] = []
    let comparing = configuration.chapters != nil
    for chapter in configuration.engineChapters {
      guard let descriptor = BenchEngineRegistry.engine(chapter: chapter) else {
        throw BenchError("no chapter \(chapter) engine in this build (chapters: \(BenchEngineRegistry.chapterList))")
      }
      let directory =
        comparing ? configuration.databasePath.deletingLastComponent + "/chapter\(chapter)" : configuration.databasePath
      let runner = BenchRunner(
        configuration: configuration, descriptor: descriptor, directory: directory, seedBase: seed, output: output)
      runs.append(BenchRun(chapter: chapter, title: descriptor.title, results: try runner.run()))
      if comparing { try destroyDatabase(at: directory) }
    }
    return runs
  }

  private func run() throws -> [BenchResult] {
    noteIgnoredEngineFlags()
    printHeader()
    if !configuration.useExistingDB { try Self.destroyDatabase(at: directory) }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    engine = try descriptor.open(directory, configuration)
    defer { try? closeEngine() }
    var results: [BenchResult] = []
    for name in configuration.benchmarks {
      let result = try runBenchmark(name)
      output.line(result.line)
      results.append(result)
    }
    if let engine, let report = engine.report {
      engine.waitForBackgroundWork()
      for line in report() { output.line(line) }
    }
    try closeEngine()
    return results
  }

  private func noteIgnoredEngineFlags() {
    let engineName = "chapter \(descriptor.chapter)'s engine"
    if configuration.bloomBits >= 0, !descriptor.hasFilters {
      output.note(
        "note: --bloom_bits=\(configuration.bloomBits) is ignored: \(engineName) has no bloom filters "
          + "(they come in chapter 5)")
    }
    if configuration.cacheSizeGiven, !descriptor.hasFilters {
      output.note("note: --cache_size is ignored: \(engineName) has no block cache (it comes in chapter 5)")
    }
    if configuration.openFilesGiven, !descriptor.hasFilters {
      output.note("note: --open_files is ignored: \(engineName) keeps every table open (chapter 5 bounds them)")
    }
    if !configuration.compaction.isEmpty, !descriptor.compacts {
      let flags = configuration.compaction.keys.sorted().map { "--\($0)" }.joined(separator: ", ")
      output.note("note: \(flags) ignored: \(engineName) does not compact (compaction comes in chapter 6)")
    }
    if configuration.writeBufferSize != nil, !descriptor.flushes {
      output.note("note: --write_buffer_size is ignored: \(engineName) keeps everything in memory and never flushes")
    }
  }

  private func printHeader() {
    let c = configuration
    let raw = Double((c.keySize + c.valueSize) * c.num) / 1_048_576.0
    let random = Int((Double(c.valueSize) * c.compressionRatio).rounded())
    output.line("Engine:     chapter \(descriptor.chapter), \(descriptor.title)")
    output.line("Keys:       \(c.keySize) bytes each")
    output.line("Values:     \(c.valueSize) bytes each (about \(random) random; stored uncompressed)")
    output.line("Entries:    \(c.num)")
    output.line("RawSize:    " + String(format: "%.1f", raw) + " MB (estimated)")
    output.line("Writes:     " + (c.sync ? "synced (--sync)" : "logged, not synced"))
    output.line("Threads:    \(c.threads)")
    output.line("DB path:    [\(directory)]")
    output.line(String(repeating: "-", count: 48))
  }

  // MARK: The benchmarks

  private func runBenchmark(_ name: String) throws -> BenchResult {
    let c = configuration
    switch name {
    case "fillseq", "fillrandom":
      if c.useExistingDB { return .skipped(name, because: "--use_existing_db is true") }
      try startFresh()
      return try write(name, sequential: name == "fillseq", keySpace: c.num, sync: c.sync)
    case "fillsync":
      if c.useExistingDB { return .skipped(name, because: "--use_existing_db is true") }
      try startFresh()
      let keySpace = max(1, c.num / 1000)
      var result = try write(name, sequential: false, keySpace: keySpace, sync: true)
      result.message = "(\(keySpace) ops)"
      return result
    case "overwrite":
      return try write(name, sequential: false, keySpace: c.num, sync: c.sync)
    case "readrandom":
      return try readRandom(name, keySize: c.keySize)
    case "readmissing":
      // One byte longer than every key written: each is missing, and sorts
      // among the present ones.
      return try readRandom(name, keySize: c.keySize + 1)
    case "readseq":
      return try readSequential(name, reverse: false)
    case "readreverse":
      guard descriptor.iteratesBackward else {
        return .skipped(name, because: "chapter \(descriptor.chapter)'s engine iterates forward only")
      }
      return try readSequential(name, reverse: true)
    case "seekrandom":
      return try seekRandom(name)
    case "deleterandom":
      return try write(name, sequential: false, keySpace: c.num, sync: c.sync, deleting: true)
    case "reopen":
      return try reopen(name)
    case "compact":
      guard let compact = try openEngine().compactAll else {
        return .skipped(name, because: "chapter \(descriptor.chapter)'s engine does not compact")
      }
      try openEngine().waitForBackgroundWork()
      let start = monotonicSeconds()
      try compact()
      let seconds = monotonicSeconds() - start
      return BenchResult(name: name, operations: 1, threadSeconds: seconds, elapsedSeconds: seconds)
    default:
      throw BenchError("unknown benchmark '\(name)'")
    }
  }

  /// Writes `num` keys per thread in batches of `batch_size`: puts of the
  /// next value, or (`deleting`) deletes.
  private func write(_ name: String, sequential: Bool, keySpace: Int, sync: Bool, deleting: Bool = false) throws
    -> BenchResult
  {
    let c = configuration
    let store = try openEngine().store
    let options = WriteOptions(sync: sync)
    return try parallel(name, operationsPerThread: c.num) { thread in
      var key = BenchWorkload.key(0, size: c.keySize)
      var index = 0
      while index < c.num {
        let count = min(c.batchSize, c.num - index)
        var batch = WriteBatch()
        for offset in 0..<count {
          let number = sequential ? UInt64(index + offset) : thread.random.next() % UInt64(keySpace)
          BenchWorkload.writeKey(number, into: &key)
          if deleting { batch.delete(key) } else { batch.put(key, thread.values.next(c.valueSize)) }
        }
        try store.write(batch, options: options)
        if !deleting { thread.bytes += count * (c.keySize + c.valueSize) }
        index += count
        thread.finished(count)
      }
    }.result
  }

  private func readRandom(_ name: String, keySize: Int) throws -> BenchResult {
    let c = configuration
    let engine = try openEngine()
    let store = engine.store
    let before = engine.readCounters?()
    var result = try parallel(name, operationsPerThread: c.effectiveReads) { thread in
      var key = BenchWorkload.key(0, size: keySize)
      for _ in 0..<c.effectiveReads {
        BenchWorkload.writeKey(thread.random.next() % UInt64(c.num), into: &key)
        if let value = try store.get(key) {
          thread.found += 1
          thread.bytes += key.count + value.count
        }
        thread.finished(1)
      }
    }
    let cost = before.flatMap { before in engine.readCounters.map { $0().since(before).perGet } } ?? ""
    result.message =
      "(\(result.found) of \(c.effectiveReads * c.threads) found)" + (cost.isEmpty ? "" : " \(cost)") + "\n"
    return result.result
  }

  private func readSequential(_ name: String, reverse: Bool) throws -> BenchResult {
    let c = configuration
    let engine = try openEngine()
    return try parallel(name, operationsPerThread: c.effectiveReads) { thread in
      var iterator = try engine.makeIterator()
      if reverse {
        guard var backward = iterator as? any ReversibleKeyValueIterator else { return }
        try backward.seekToLast()
        var read = 0
        while read < c.effectiveReads, backward.isValid {
          thread.bytes += backward.key.count + backward.value.count
          read += 1
          try backward.prev()
          thread.finished(1)
        }
        return
      }
      try iterator.seekToFirst()
      var read = 0
      while read < c.effectiveReads, iterator.isValid {
        thread.bytes += iterator.key.count + iterator.value.count
        read += 1
        try iterator.next()
        thread.finished(1)
      }
    }.result
  }

  private func seekRandom(_ name: String) throws -> BenchResult {
    let c = configuration
    let engine = try openEngine()
    var result = try parallel(name, operationsPerThread: c.effectiveReads) { thread in
      // One iterator per thread, repositioned for every seek, as db_bench does.
      var iterator = try engine.makeIterator()
      var key = BenchWorkload.key(0, size: c.keySize)
      for _ in 0..<c.effectiveReads {
        BenchWorkload.writeKey(thread.random.next() % UInt64(c.num), into: &key)
        try iterator.seek(key)
        if iterator.isValid, iterator.key == key { thread.found += 1 }
        thread.finished(1)
      }
    }
    result.message = "(\(result.found) of \(c.effectiveReads * c.threads) found)\n"
    return result.result
  }

  /// Closes the database (waiting for background work, untimed), then
  /// times opening it again: recovery, which replays the logs.
  private func reopen(_ name: String) throws -> BenchResult {
    try closeEngine()
    let start = monotonicSeconds()
    engine = try descriptor.open(directory, configuration)
    let seconds = monotonicSeconds() - start
    return BenchResult(name: name, operations: 1, threadSeconds: seconds, elapsedSeconds: seconds)
  }

  // MARK: Threads

  /// One benchmark thread's generators and counters.
  struct ThreadState {
    var random: SeededGenerator
    var values: BenchValueGenerator
    var done = 0
    var bytes = 0
    var found = 0
    var start = 0.0
    var finish = 0.0
    /// Calls `progress` with the fraction done, now and then (thread 0 only).
    fileprivate var progress: ((Int) -> Void)?
    fileprivate var nextProgress = 0
    fileprivate var progressStep = Int.max
    /// Every thread's finished operations, for the stats sampler (nil
    /// without `--stats_interval_seconds`).
    fileprivate var sampled: StatsSampler?

    /// Counts `count` finished operations.
    mutating func finished(_ count: Int) {
      done += count
      sampled?.operations.add(count, ordering: .relaxed)
      if done >= nextProgress, let progress {
        progress(done)
        nextProgress = done + progressStep
      }
    }
  }

  /// A benchmark's merged counters.
  struct Merged {
    var result: BenchResult
    var found: Int
    var message: String {
      get { result.message }
      set { result.message = newValue }
    }
  }

  /// Runs `body` on `--threads` threads at once (on this one if there is one),
  /// then merges their counters as db_bench does.
  private func parallel(
    _ name: String, operationsPerThread: Int, _ body: @escaping @Sendable (inout ThreadState) throws -> Void
  ) throws -> Merged {
    let threads = configuration.threads
    var states: [ThreadState] = []
    for index in 0..<threads {
      threadCount += 1
      var state = ThreadState(random: SeededGenerator(seed: seedBase &+ threadCount), values: values)
      if index == 0, let progress = output.progress, operationsPerThread > 0 {
        state.progress = { done in progress(Self.progressBar(name, done: done, of: operationsPerThread)) }
        state.progressStep = max(1, operationsPerThread / 200)
      }
      states.append(state)
    }
    defer { output.progress?(nil) }
    let sampler = StatsSampler.start(
      name, every: configuration.statsIntervalSeconds, shape: engine?.shape,
      entryBytes: configuration.keySize + configuration.valueSize, output: output)
    defer { sampler?.stop() }
    for index in states.indices { states[index].sampled = sampler }

    let finished: [ThreadState]
    if threads == 1 {
      var state = states[0]
      state.start = monotonicSeconds()
      try body(&state)
      state.finish = monotonicSeconds()
      finished = [state]
    } else {
      finished = try runOnThreads(states, body)
    }

    var result = BenchResult(
      name: name, operations: finished.reduce(0) { $0 + $1.done },
      threadSeconds: finished.reduce(0) { $0 + ($1.finish - $1.start) },
      elapsedSeconds: (finished.map(\.finish).max() ?? 0) - (finished.map(\.start).min() ?? 0),
      bytes: finished.reduce(0) { $0 + $1.bytes })
    result.elapsedSeconds = max(result.elapsedSeconds, 1e-9)
    return Merged(result: result, found: finished.reduce(0) { $0 + $1.found })
  }

  /// Starts one thread per state, lets them all go at once, and waits for
  /// them; rethrows the first error any of them met.
  private func runOnThreads(
    _ states: [ThreadState], _ body: @escaping @Sendable (inout ThreadState) throws -> Void
  ) throws -> [ThreadState] {
    let outcomes = OutcomeBox(count: states.count)
    let ready = DispatchSemaphore(value: 0)
    let go = DispatchSemaphore(value: 0)
    let done = DispatchGroup()
    for (index, state) in states.enumerated() {
      let box = StateBox(state)
      done.enter()
      let thread = Thread {
        var state = box.state
        ready.signal()
        go.wait()
        state.start = monotonicSeconds()
        do {
          try body(&state)
          state.finish = monotonicSeconds()
          outcomes.set(index, .success(StateBox(state)))
        } catch {
          state.finish = monotonicSeconds()
          outcomes.set(index, .failure(BenchError("\(error)")))
        }
        done.leave()
      }
      thread.stackSize = 1 << 20
      thread.start()
    }
    for _ in states { ready.wait() }
    for _ in states { go.signal() }
    done.wait()
    return try outcomes.values.map { try $0.get().state }
  }

  /// `fillrandom   [#########.....................]  30%`
  static func progressBar(_ name: String, done: Int, of total: Int) -> String {
    let width = 30
    let filled = min(width, done * width / max(total, 1))
    let percent = min(100, done * 100 / max(total, 1))
    let paddedName = name.count >= 12 ? name : name + String(repeating: " ", count: 12 - name.count)
    return paddedName + " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
      + "] " + String(percent) + "%"
  }

  // MARK: The database

  private func openEngine() throws -> BenchEngine {
    if let engine { return engine }
    let opened = try descriptor.open(directory, configuration)
    engine = opened
    return opened
  }

  private func closeEngine() throws {
    guard let engine else { return }
    self.engine = nil
    engine.waitForBackgroundWork()
    try engine.store.close()
  }

  /// Closes the database, removes its files and opens an empty one.
  private func startFresh() throws {
    try closeEngine()
    try Self.destroyDatabase(at: directory)
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    engine = try descriptor.open(directory, configuration)
  }

  /// Removes a database's files and its directory, refusing (and removing
  /// nothing) if the directory holds anything that is not a database file:
  /// `--db=$HOME` by mistake must not cost anyone their home directory.
  static func destroyDatabase(at directory: String) throws {
    let files = FileManager.default
    var isDirectory: ObjCBool = false
    guard files.fileExists(atPath: directory, isDirectory: &isDirectory) else { return }
    guard isDirectory.boolValue else { throw BenchError("--db=\(directory) is a file, not a directory") }
    let names = try files.contentsOfDirectory(atPath: directory)
    for name in names {
      var entryIsDirectory: ObjCBool = false
      _ = files.fileExists(atPath: directory + "/" + name, isDirectory: &entryIsDirectory)
      guard !entryIsDirectory.boolValue, isDatabaseFileName(name) else {
        throw BenchError(
          "--db=\(directory) holds '\(name)', which is not a database file; refusing to empty it "
            + "(choose a new or empty directory)")
      }
    }
    for name in names { try files.removeItem(atPath: directory + "/" + name) }
    try files.removeItem(atPath: directory)
  }

  /// `000004.log`, `000007.sst`, `000007.sst.tmp`, `CURRENT`, `MANIFEST-000002`,
  /// and the other names an engine of this project, or RocksDB, writes.
  static func isDatabaseFileName(_ name: String) -> Bool {
    if ["CURRENT", "LOCK", "LOG", "IDENTITY", "FORMAT"].contains(name) { return true }
    if ["MANIFEST-", "OPTIONS-", "LOG.old", "CURRENT.", "FORMAT."].contains(where: name.hasPrefix) { return true }
    let number = name.prefix { $0.isASCII && $0.isNumber }
    return !number.isEmpty && name.dropFirst(number.count).hasPrefix(".")
  }
}

/// Seconds on a clock that only moves forward.
func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Carries a thread's state into and out of its thread.
private final class StateBox: @unchecked Sendable {
  let state: BenchRunner.ThreadState
  init(_ state: BenchRunner.ThreadState) { self.state = state }
}

/// Each thread's outcome, written once by that thread and read after all
/// have finished.
private final class OutcomeBox: Sendable {
  private let storage: Locked<[Result<StateBox, BenchError>]>
  init(count: Int) {
    storage = Locked(Array(repeating: .failure(BenchError("thread did not finish")), count: count))
  }
  func set(_ index: Int, _ outcome: Result<StateBox, BenchError>) { storage.withLock { $0[index] = outcome } }
  var values: [Result<StateBox, BenchError>] { storage.withLock { $0 } }
}

extension String {
  /// `/tmp/beachtest-0/dbbench` → `/tmp/beachtest-0`.
  fileprivate var deletingLastComponent: String {
    guard let slash = lastIndex(of: "/") else { return "." }
    return slash == startIndex ? "/" : String(self[..<slash])
  }
}

/// `--stats_interval_seconds=N`: a thread that prints, every N seconds of a
/// benchmark and once at its end, one line of what the engine has written
/// so far, as `key=value` pairs a script can read:
///
/// ```
/// stats: benchmark=fillrandom seconds=3.0 operations=612000 user_bytes=70992000
///   table_bytes_written=157286400 table_bytes=63045632 tables=5,10,40
/// ```
///
/// `user_bytes` is operations times key and value size; write
/// amplification is `table_bytes_written / user_bytes`. The line is one
/// line; it is folded here only to fit.
final class StatsSampler: Sendable {
  let operations = Atomic<Int>(0)
  private let stopped = DispatchSemaphore(value: 0)
  private let finished = DispatchSemaphore(value: 0)

  private init() {}

  /// Starts sampling, or returns nil if `seconds` is 0 or the engine has no
  /// shape to report.
  static func start(
    _ name: String, every seconds: Int, shape: (@Sendable () -> BenchShape)?, entryBytes: Int, output: BenchOutput
  ) -> StatsSampler? {
    guard seconds > 0, let shape else { return nil }
    let sampler = StatsSampler()
    let start = monotonicSeconds()
    Thread {
      var last = false
      while !last {
        last = sampler.stopped.wait(timeout: .now() + .seconds(seconds)) == .success
        let operations = sampler.operations.load(ordering: .relaxed)
        let now = shape()
        output.line(
          "stats: benchmark=\(name) seconds=\(String(format: "%.1f", monotonicSeconds() - start)) "
            + "operations=\(operations) user_bytes=\(operations * entryBytes) "
            + "table_bytes_written=\(now.tableBytesWritten) table_bytes=\(now.tableBytes) "
            + "tables=\(now.tablesPerLevel.map(String.init).joined(separator: ","))")
      }
      sampler.finished.signal()
    }.start()
    return sampler
  }

  /// Prints the last line and waits for the thread to end.
  func stop() {
    stopped.signal()
    finished.wait()
  }
}
