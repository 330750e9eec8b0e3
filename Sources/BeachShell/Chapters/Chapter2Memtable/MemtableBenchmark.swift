import Chapter1WAL
import Chapter2Memtable
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The evidence for chapter 2: what does the arena buy?
///
/// The same skip list twice, built from the same keys with the same tower
/// heights: `SkipList`, nodes in an arena linked by 32-bit offsets, and
/// `ObjectSkipList`, a `final class Node` per entry linked by references.
/// For each size N:
///
/// 1. **Insert** N entries: 16-byte keys (`%016d` of a seeded shuffle of
///    0..<N, db_bench's fixed-size keys), 100-byte values, each list
///    copying what it is given.
/// 2. **Look up** N keys drawn at random from those inserted: a seek and a
///    key comparison, then one byte of the value read, in place for the
///    arena list (the engine's `get` then copies the value out, which
///    costs both lists the same).
/// 3. **Memory.** For the arena list its own count, `memoryUsage`; for
///    the object list, the growth of the heap while it was built,
///    measured from the allocator's own totals. The heap growth of the
///    arena list is shown too (whole chunks, so at least `arenaCapacity`).
/// 4. **Free.** The time to drop the whole structure: a handful of chunks,
///    or a million nodes one by one.
///
/// Rounds are interleaved (every size and both structures, then again),
/// and each figure is the median of its rounds. Run it in a release build:
/// `swift run -c release beach memtable-bench`.
public enum MemtableBenchmark {
  /// One structure at one size, one round.
  public struct Sample: Sendable {
    public var insertSeconds: Double
    public var lookupSeconds: Double
    /// Time to free the whole structure.
    public var dropSeconds: Double
    /// The structure's own account of its memory (arena) or the heap
    /// growth (objects).
    public var memory: Int
    /// Heap growth while the structure was built, if the allocator
    /// reports it.
    public var heapGrowth: Int?
  }

  /// Keys as db_bench makes them: the number, zero-padded to 16 digits.
  public static func key(_ number: Int) -> Bytes {
    var key = Bytes(repeating: UInt8(ascii: "0"), count: 16)
    var rest = number
    var index = 15
    while rest > 0 && index >= 0 {
      key[index] = UInt8(ascii: "0") + UInt8(rest % 10)
      rest /= 10
      index -= 1
    }
    return key
  }

  /// Measures the arena-backed skip list.
  public static func measureArena(keys: [Bytes], lookups: [Int], value: Bytes) -> Sample {
    let heapBefore = heapInUse()
    var list: SkipList? = SkipList()
    let insertSeconds = time { insertAll(into: list!, keys: keys, value: value) }
    let heapAfter = heapInUse()
    let lookupSeconds = time { lookUpAll(in: list!, keys: keys, lookups: lookups, value: value) }
    let memory = list!.memoryUsage
    let dropSeconds = time { list = nil }
    return Sample(
      insertSeconds: insertSeconds, lookupSeconds: lookupSeconds, dropSeconds: dropSeconds, memory: memory,
      heapGrowth: heapBefore.flatMap { before in heapAfter.map { $0 - before } })
  }

  /// Measures the object-per-node skip list.
  public static func measureObjects(keys: [Bytes], lookups: [Int], value: Bytes) -> Sample {
    let heapBefore = heapInUse()
    var list: ObjectSkipList? = ObjectSkipList()
    let insertSeconds = time { insertAll(into: list!, keys: keys, value: value) }
    let heapAfter = heapInUse()
    let lookupSeconds = time { lookUpAll(in: list!, keys: keys, lookups: lookups, value: value) }
    let growth = heapBefore.flatMap { before in heapAfter.map { $0 - before } }
    let dropSeconds = time { list = nil }
    return Sample(
      insertSeconds: insertSeconds, lookupSeconds: lookupSeconds, dropSeconds: dropSeconds,
      memory: growth ?? estimatedObjectBytes(entries: keys.count, keySize: 16, valueSize: value.count),
      heapGrowth: growth)
  }

  private static func insertAll(into list: SkipList, keys: [Bytes], value: Bytes) {
    for key in keys {
      list.insert(key, sequence: 1, kind: .value, value: value)
    }
  }

  private static func insertAll(into list: ObjectSkipList, keys: [Bytes], value: Bytes) {
    for key in keys {
      list.insert(key, sequence: 1, kind: .value, value: value)
    }
  }

  /// Seeks each key and reads the first byte of its value in place.
  private static func lookUpAll(in list: SkipList, keys: [Bytes], lookups: [Int], value: Bytes) {
    var iterator = list.makeIterator()
    var found = 0
    var checksum = 0
    for index in lookups {
      let key = keys[index]
      iterator.seek(InternalKey(key, sequence: .max, kind: .value))
      if iterator.isValid && iterator.userKeyEquals(key) {
        found += 1
        checksum &+= iterator.withUnsafeValue { Int($0[0]) }
      }
    }
    precondition(found == lookups.count && checksum == lookups.count * Int(value[0]), "arena lookups failed")
  }

  /// Finds each key and reads the first byte of its value.
  private static func lookUpAll(in list: ObjectSkipList, keys: [Bytes], lookups: [Int], value: Bytes) {
    var found = 0
    var checksum = 0
    for index in lookups {
      let key = keys[index]
      if let entry = list.find(greaterOrEqual: InternalKey(key, sequence: .max, kind: .value)),
        entry.key.userKey == key
      {
        found += 1
        checksum &+= Int(entry.value[0])
      }
    }
    precondition(found == lookups.count && checksum == lookups.count * Int(value[0]), "object lookups failed")
  }

  /// Seconds `body` takes.
  private static func time(_ body: () -> Void) -> Double {
    let start = DispatchTime.now()
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
  }

  /// Runs every size `rounds` times, interleaved, and returns the table as
  /// Markdown lines.
  public static func run(sizes: [Int], rounds: Int = 3, seed: UInt64 = 2) -> [String] {
    var random = SeededGenerator(seed: seed)
    var value = Bytes(repeating: 0, count: 100)
    for index in value.indices { value[index] = UInt8.random(in: 1...255, using: &random) }
    let workloads = sizes.map { size in
      let keys = (0..<size).shuffled(using: &random).map(key)
      let lookups = (0..<size).map { _ in Int.random(in: 0..<size, using: &random) }
      return (keys: keys, lookups: lookups)
    }
    var arena: [[Sample]] = Array(repeating: [], count: sizes.count)
    var objects: [[Sample]] = Array(repeating: [], count: sizes.count)
    for round in 0..<rounds {
      for (index, workload) in workloads.enumerated() {
        // Alternate which structure goes first, so neither always runs on
        // a heap the other has just warmed up.
        if round % 2 == 0 {
          arena[index].append(measureArena(keys: workload.keys, lookups: workload.lookups, value: value))
          objects[index].append(measureObjects(keys: workload.keys, lookups: workload.lookups, value: value))
        } else {
          objects[index].append(measureObjects(keys: workload.keys, lookups: workload.lookups, value: value))
          arena[index].append(measureArena(keys: workload.keys, lookups: workload.lookups, value: value))
        }
      }
    }
    var lines = [
      "| structure | N | insert ns/op | lookup ns/op | insert Mops/s | free ms | memory | bytes/entry "
        + "| heap growth | objects ÷ arena (insert, lookup, memory) |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for (index, size) in sizes.enumerated() {
      let a = median(arena[index])
      let o = median(objects[index])
      lines.append(row("arena skip list", size, a, versus: nil))
      lines.append(row("object skip list", size, o, versus: a))
    }
    lines += [
      "",
      "\(rounds) rounds, interleaved; medians. Keys: 16 bytes (`%016d`, shuffled); values: 100 bytes. "
        + "memory: the arena's `memoryUsage` (bytes used in its chunks), and for the object list the heap growth "
        + "while it was built\(heapInUse() == nil ? " (estimated: this allocator reports no totals)" : ""). "
        + "heap growth counts what malloc handed out, for the arena whole chunks and its slot table. "
        + "free: the time to drop the whole structure.",
    ]
    return lines
  }

  private static func row(_ name: String, _ size: Int, _ s: Sample, versus arena: Sample?) -> String {
    let insertNs = s.insertSeconds * 1e9 / Double(size)
    let lookupNs = s.lookupSeconds * 1e9 / Double(size)
    var ratios = "—"
    if let arena {
      ratios =
        "\(format(s.insertSeconds / arena.insertSeconds, 2))×, \(format(s.lookupSeconds / arena.lookupSeconds, 2))×, "
        + "\(format(Double(s.memory) / Double(arena.memory), 2))×"
    }
    return "| \(name) | \(size) | \(format(insertNs, 0)) | \(format(lookupNs, 0)) | "
      + "\(format(Double(size) / s.insertSeconds / 1e6, 2)) | \(format(s.dropSeconds * 1e3, 3)) | "
      + "\(Format.size(s.memory)) | "
      + "\(format(Double(s.memory) / Double(size), 1)) | \(s.heapGrowth.map(Format.size) ?? "n/a") | \(ratios) |"
  }

  /// Each figure's median across rounds, separately.
  private static func median(_ samples: [Sample]) -> Sample {
    func mid<T: Comparable>(_ values: [T]) -> T { values.sorted()[values.count / 2] }
    let heap = samples.compactMap(\.heapGrowth)
    return Sample(
      insertSeconds: mid(samples.map(\.insertSeconds)), lookupSeconds: mid(samples.map(\.lookupSeconds)),
      dropSeconds: mid(samples.map(\.dropSeconds)), memory: mid(samples.map(\.memory)),
      heapGrowth: heap.isEmpty ? nil : mid(heap))
  }

  /// When the allocator reports nothing: the object list's heap by its
  /// layout on a 64-bit platform. Per node, four allocations, each with an
  /// 8-byte malloc header, rounded up to 16: the object (16-byte header +
  /// key 8 + sequence 8 + kind 8 + value 8 + next 8), the next array (32-byte
  /// header + 8 per level, 4/3 levels on average), and the key's and
  /// value's buffers (32-byte header + the bytes).
  static func estimatedObjectBytes(entries: Int, keySize: Int, valueSize: Int) -> Int {
    func chunk(_ bytes: Int) -> Int { max(32, (bytes + 8 + 15) / 16 * 16) }
    let perNode = chunk(56) + chunk(32 + 8 * 4 / 3) + chunk(32 + keySize) + chunk(32 + valueSize)
    return entries * perNode
  }

  /// Bytes the C allocator has handed out and not taken back, or `nil` if
  /// it cannot say.
  ///
  /// glibc keeps these totals (`mallinfo2`), but Swift's Glibc module does
  /// not import `<malloc.h>`. `malloc_stats()` prints the same totals to
  /// standard error, and it has a signature Swift can call through
  /// `dlsym`, so: point file descriptor 2 at a scratch file for the call,
  /// and read "in use bytes" under "Total (incl. mmap)".
  static func heapInUse() -> Int? {
    #if canImport(Glibc)
      typealias MallocStats = @convention(c) () -> Void
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_stats") else { return nil }
      guard let scratch = tmpfile() else { return nil }
      defer { fclose(scratch) }
      let file = fileno(scratch)
      fflush(nil)
      let savedStderr = dup(2)
      guard savedStderr >= 0 else { return nil }
      dup2(file, 2)
      unsafeBitCast(symbol, to: MallocStats.self)()
      dup2(savedStderr, 2)
      close(savedStderr)
      var text = Bytes(repeating: 0, count: 1 << 16)
      let count = pread(file, &text, text.count, 0)
      guard count > 0 else { return nil }
      let report = String(decoding: text.prefix(count), as: UTF8.self)
      guard let totals = report.range(of: "Total (incl. mmap):") else { return nil }
      for line in report[totals.upperBound...].split(separator: "\n") where line.contains("in use bytes") {
        return line.split(separator: "=").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
      }
      return nil
    #else
      return nil
    #endif
  }

  private static func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
  }
}
