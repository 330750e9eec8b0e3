import ArgumentParser
import Chapter1WAL
import Foundation

/// `beach crash-worker`: the child process of the SIGKILL crash test.
///
/// It opens a chapter's database over the real disk (sync on; chapter 1's
/// unless `--chapter` says otherwise, with the tiny memtables and levels of
/// `crashTestConfiguration`, so that a short run flushes and compacts) and
/// performs random operations, deterministic from the seed. Around each one it prints
/// a line, written with one `write(2)` so nothing waits in a buffer:
///
///     begin put k17 v3-0                   before the write is submitted
///     ack 12 put k17 v3-0                  after it returned: it is durable
///     begin put k4 v3-1;del k9;put k60 v3-2
///     ack 15 put k4 v3-1;del k9;put k60 v3-2
///
/// `ack SEQ OPS` carries the sequence number of the write's last operation.
/// Keys are `k0`…`k99`; every put writes a value never used before in this
/// run, `v<seed>-<n>`. The parent kills the process at a random moment,
/// reopens the directory and checks that every acknowledged write is there
/// and the one in flight is either all there or not at all.
public struct CrashWorkerCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "crash-worker",
    abstract: "Write random operations, printing each acknowledgement (for the SIGKILL crash test).",
    shouldDisplay: false
  )

  @Option(help: "The database directory.")
  var dir: String

  @Option(help: "The seed of the operations.")
  var seed: UInt64

  @Option(help: "How many operations to perform.")
  var ops: Int

  @Flag(help: "A deliberate bug, for the crash loop that must catch it: acknowledge writes without syncing them.")
  var unsynced = false

  @Option(help: "The chapter whose engine to run (default: chapter 1's).")
  var chapter = 1

  /// How the worker (and the test that checks its directory) opens a
  /// chapter's engine: through the benchmark's descriptor, with memtables
  /// of 4 KiB, a level 1 of 16 KiB and tables of 4 KiB.
  static var crashTestConfiguration: BenchConfiguration {
    var configuration = BenchConfiguration()
    configuration.writeBufferSize = 4096
    configuration.compaction = ["max_bytes_for_level_base": 16 << 10, "target_file_size_base": 4 << 10]
    return configuration
  }

  /// Opens `chapter`'s engine on `directory` as the crash test does.
  public static func openStore(chapter: Int, directory: String) throws -> any KeyValueStore {
    guard let descriptor = BenchEngineRegistry.engine(chapter: chapter) else {
      throw ValidationError("no chapter \(chapter) engine in this build (chapters: \(BenchEngineRegistry.chapterList))")
    }
    return try descriptor.open(directory, crashTestConfiguration).store
  }

  public init() {}

  public func run() throws {
    let database = try Self.openStore(chapter: chapter, directory: dir)
    var random = SeededGenerator(seed: seed)
    var puts = 0

    func operation() -> (WriteBatch.Operation, String) {
      let key = "k\(random.next() % 100)"
      if random.next() % 10 < 7 {
        let value = "v\(seed)-\(puts)"
        puts += 1
        return (.put(key: Bytes(utf8: key), value: Bytes(utf8: value)), "put \(key) \(value)")
      }
      return (.delete(key: Bytes(utf8: key)), "del \(key)")
    }

    for _ in 0..<ops {
      let count = random.next() % 5 == 0 ? 2 + Int(random.next() % 3) : 1  // one write in five is a batch of 2–4
      let operations = (0..<count).map { _ in operation() }
      let text = operations.map(\.1).joined(separator: ";")
      StandardStream.output.write("begin \(text)\n")
      let sequence = try database.write(WriteBatch(operations.map(\.0)), options: WriteOptions(sync: !unsynced))
      StandardStream.output.write("ack \(sequence) \(text)\n")
    }
    try database.close()
  }
}
