import Foundation

/// One benchmark's outcome, and its result line in `db_bench`'s format.
///
/// `db_bench` prints, for each benchmark,
///
/// ```
/// fillseq      :       2.999 micros/op 333495 ops/sec 0.300 seconds 100000 operations;   36.9 MB/s
/// readrandom   :       6.700 micros/op 149253 ops/sec 0.670 seconds 100000 operations;   16.6 MB/s (63221 of 100000 found)
/// ```
///
/// and so does `beach bench`, to the character, so that a reader can run the
/// two back to back and compare line by line (and a script can parse either).
/// The fields:
///
/// - the name, padded to 12 characters;
/// - microseconds per operation *as each thread saw it*: the threads' busy
///   time added up, divided by all their operations (with one thread, wall
///   time per operation);
/// - operations per second of wall time, all threads together;
/// - the wall time from the first thread's start to the last one's finish;
/// - the operations done, all threads together;
/// - megabytes (MiB) per second of keys and values moved, when any were;
/// - a message: how many reads found their key, say. Like db_bench's, the
///   read benchmarks' message ends in a newline, so a blank line follows.
public struct BenchResult: Sendable, Equatable {
  public var name: String
  /// Operations, all threads together.
  public var operations: Int
  /// The threads' busy time, added up.
  public var threadSeconds: Double
  /// Wall time, first start to last finish.
  public var elapsedSeconds: Double
  /// Key and value bytes moved.
  public var bytes: Int
  public var message: String
  /// Why the benchmark did not run, if it did not.
  public var skipped: String?

  public init(
    name: String, operations: Int, threadSeconds: Double, elapsedSeconds: Double, bytes: Int = 0, message: String = ""
  ) {
    self.name = name
    self.operations = operations
    self.threadSeconds = threadSeconds
    self.elapsedSeconds = elapsedSeconds
    self.bytes = bytes
    self.message = message
  }

  /// A benchmark that did not run, and why: `skipped (--use_existing_db is true)`.
  public static func skipped(_ name: String, because reason: String) -> BenchResult {
    var result = BenchResult(name: name, operations: 0, threadSeconds: 0, elapsedSeconds: 0)
    result.skipped = reason
    return result
  }

  /// db_bench counts at least one operation, so that nothing divides by zero.
  private var countedOperations: Int { max(1, operations) }

  /// Microseconds per operation, per thread.
  public var microsecondsPerOperation: Double { threadSeconds * 1e6 / Double(countedOperations) }

  /// Operations per second of wall time.
  public var operationsPerSecond: Double { Double(countedOperations) / elapsedSeconds }

  /// The result line (for a read benchmark, with the newline its message
  /// ends in).
  public var line: String {
    if let skipped { return "\(paddedName) : skipped (\(skipped))" }
    var extra = ""
    if bytes > 0 {
      extra = String(format: "%6.1f MB/s", Double(bytes) / 1_048_576.0 / elapsedSeconds)
    }
    if !message.isEmpty {
      if !extra.isEmpty { extra += " " }
      extra += message
    }
    return "\(paddedName) : " + String(format: "%11.3f", microsecondsPerOperation) + " micros/op "
      + "\(Int(operationsPerSecond)) ops/sec " + String(format: "%.3f", elapsedSeconds) + " seconds "
      + "\(countedOperations) operations;" + (extra.isEmpty ? "" : " " + extra)
  }

  private var paddedName: String {
    name.count >= 12 ? name : name + String(repeating: " ", count: 12 - name.count)
  }

  /// Parses a result line, db_bench's or ours, back into a result (the
  /// bytes are not recovered). `nil` for any other line.
  public static func parse(_ line: String) -> BenchResult? {
    let halves = line.split(separator: ":", maxSplits: 1)
    guard halves.count == 2 else { return nil }
    let name = halves[0].trimmingCharacters(in: .whitespaces)
    let words = halves[1].split(separator: " ")
    guard words.count >= 8, words[1] == "micros/op", words[3] == "ops/sec", words[5] == "seconds",
      words[7].hasPrefix("operations"), let micros = Double(words[0]), let elapsed = Double(words[4]),
      let operations = Int(words[6])
    else { return nil }
    let message = words.dropFirst(8).joined(separator: " ")
    return BenchResult(
      name: name, operations: operations, threadSeconds: micros * Double(operations) / 1e6, elapsedSeconds: elapsed,
      message: message)
  }
}
