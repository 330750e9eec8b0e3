import Chapter1WAL
import Foundation

/// The evidence for chapter 1: how fast can a log make writes durable?
///
/// Three measurements on the same disk, in one run:
///
/// 1. **Raw fdatasync.** Append 128 bytes to a file and `fdatasync` it, in a
///    loop. This is the disk's ceiling for one writer: no engine can
///    acknowledge synced writes faster than the disk can sync.
/// 2. **Synced puts, one writer.** `Database.put` with sync on: the same
///    fdatasync plus the engine's framing, checksums and map insert. It
///    should sit close to (1).
/// 3. **Synced puts, N writers.** N threads putting at once. Group commit
///    lets one fdatasync carry every batch queued behind the leader, so
///    throughput grows with N while the number of syncs does not.
///
/// Figures depend on the disk and the machine; run it in a release build
/// (`swift run -c release beach wal-bench`) and compare rows of one run.
public enum WALBenchmark {
  /// One row of the result table.
  public struct Row: Sendable {
    public var name: String
    public var writers: Int
    public var operations: Int
    public var seconds: Double
    public var syncs: Int

    public var operationsPerSecond: Double { Double(operations) / seconds }
    public var microsecondsPerOperation: Double { seconds * 1e6 / Double(operations) }
    /// Mean number of writes each sync made durable.
    public var writesPerSync: Double { syncs == 0 ? 0 : Double(operations) / Double(syncs) }
  }

  /// Appends `size` bytes and fdatasyncs, `count` times, in a scratch file.
  public static func rawFdatasync(directory: String, count: Int, size: Int = 128) throws -> Row {
    let fs = DiskFileSystem()
    let path = joinPath(directory, "fdatasync.bench")
    let file = try fs.openWritable(path, mode: .truncate)
    defer {
      try? file.close()
      try? fs.removeFile(path)
    }
    let payload = Bytes(repeating: 0x61, count: size)
    let start = DispatchTime.now()
    for _ in 0..<count {
      try file.append(payload)
      try file.sync(.data)
    }
    return Row(
      name: "raw fdatasync (\(size) B)", writers: 1, operations: count, seconds: elapsed(since: start), syncs: count)
  }

  /// `count` synced puts split across `writers` threads, in a fresh database.
  public static func syncedPuts(directory: String, count: Int, writers: Int, valueSize: Int = 100) throws -> Row {
    let fs = DiskFileSystem()
    let path = joinPath(directory, "puts-\(writers)")
    if fs.fileExists(path) {
      for name in try fs.listDirectory(path) { try fs.removeFile(joinPath(path, name)) }
    }
    let db = try Database.open(directory: path, fileSystem: fs)
    let value = Bytes(repeating: 0x76, count: valueSize)
    let perWriter = count / writers
    let failures = FailureBox()
    // One OS thread per writer: a dispatch queue would run only as many at
    // once as there are cores, and a writer blocked in fdatasync needs no core.
    let finished = DispatchGroup()
    let start = DispatchTime.now()
    for writer in 0..<writers {
      finished.enter()
      Thread.detachNewThread {
        defer { finished.leave() }
        for i in 0..<perWriter {
          do {
            try db.put(Bytes(utf8: "w\(writer)-\(String(i, radix: 16))"), value)
          } catch {
            failures.record(error)
            return
          }
        }
      }
    }
    finished.wait()
    let seconds = elapsed(since: start)
    if let error = failures.first { throw error }
    let stats = db.stats
    try db.close()
    for name in try fs.listDirectory(path) { try fs.removeFile(joinPath(path, name)) }
    return Row(
      name: "synced put (\(valueSize) B values)", writers: writers, operations: perWriter * writers,
      seconds: seconds, syncs: stats.syncs)
  }

  /// Runs every measurement `rounds` times, interleaved (raw, 1 writer,
  /// 4 writers, ... then again), so that a disk that speeds up or slows down
  /// during the run affects every row alike. Returns the table as lines:
  /// the median round of each row, with the spread of µs/op across rounds.
  public static func run(directory: String, operations: Int, writerCounts: [Int], rounds: Int = 3) throws
    -> [String]
  {
    try DiskFileSystem().createDirectory(directory)
    var samples: [[Row]] = Array(repeating: [], count: writerCounts.count + 1)
    for _ in 0..<rounds {
      samples[0].append(try rawFdatasync(directory: directory, count: operations))
      for (index, writers) in writerCounts.enumerated() {
        samples[index + 1].append(try syncedPuts(directory: directory, count: operations, writers: writers))
      }
    }
    let medians = samples.map { rows in rows.sorted { $0.seconds < $1.seconds }[rows.count / 2] }
    let baseline = medians[0].operationsPerSecond
    var lines = [
      "| measurement | writers | µs/op (median) | µs/op (min–max) | ops/s | writes per fdatasync | vs raw fdatasync |",
      "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (row, rows) in zip(medians, samples) {
      let spread = rows.map(\.microsecondsPerOperation)
      lines.append(
        "| \(row.name) | \(row.writers) | \(format(row.microsecondsPerOperation, 1)) | "
          + "\(format(spread.min()!, 1))–\(format(spread.max()!, 1)) | \(format(row.operationsPerSecond, 0)) | "
          + "\(format(row.writesPerSync, 2)) | \(format(row.operationsPerSecond / baseline, 2))× |")
    }
    lines.append("")
    lines.append("\(rounds) rounds of \(operations) operations per row, interleaved; the median round is shown.")
    return lines
  }

  private static func elapsed(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
  }

  private static func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
  }

  private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func record(_ error: any Error) { lock.withLock { errors.append(error) } }
    var first: (any Error)? { lock.withLock { errors.first } }
  }
}
