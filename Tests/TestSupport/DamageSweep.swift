import Chapter1WAL
import Testing

/// The whole-database damage sweep, for any chapter's engine: every file of
/// a small database damaged in turn (a byte flipped at a stride, or the file
/// cut at a few lengths). Each case must be refused with an error, or read
/// every key and a full scan exactly right, or fail a read with an error:
/// never a wrong answer, never a trap.
public enum DamageSweep {
  /// How one damaged copy fared: refused, read right, or failed a read.
  public enum Outcome: String, Sendable { case refused, right, readError }

  /// What the sweep's database holds, and the keys to ask it about.
  public struct Contents {
    public var expected: [Bytes: Bytes]
    public var keys: [Bytes]
    /// What a cut live log may read as: the state with any suffix of its
    /// writes (`key100` … `key103`, in order) missing.
    public var liveLogEarlier: [[Bytes: Bytes]]
  }

  /// Writes the sweep's small database into `store`: 60 writes over 40
  /// keys with `merge` after the 31st (tables on two levels, a manifest of
  /// several edits), a delete, `flush`, then four writes that stay in the
  /// live log only.
  public static func write(
    into store: any KeyValueStore, merge: () throws -> Void, flush: () throws -> Void
  ) throws -> Contents {
    func key(_ i: Int) -> Bytes { Bytes(utf8: "key\(i)") }
    var expected: [Bytes: Bytes] = [:]
    for i in 0..<60 {
      let value = Bytes(utf8: "value\(i * 7)")
      try store.put(key(i % 40), value)
      expected[key(i % 40)] = value
      if i == 30 { try merge() }
    }
    try store.delete(key(3))
    expected[key(3)] = nil
    try flush()
    for i in 100..<104 {
      try store.put(key(i), Bytes(utf8: "value\(i)"))
      expected[key(i)] = Bytes(utf8: "value\(i)")
    }
    let earlier = (0...4).map { kept in expected.filter { k, _ in !(100 + kept..<104).map(key).contains(k) } }
    return Contents(expected: expected, keys: (Array(0..<40) + Array(100..<104)).map(key), liveLogEarlier: earlier)
  }

  /// Damages each file of `files` (a database in `/db`, as
  /// `MemoryFileSystem` holds it) in turn and checks every copy.
  ///
  /// - Parameters:
  ///   - files: the database's files by name.
  ///   - keys: the keys to read from each copy.
  ///   - expected: what they hold.
  ///   - liveLogEarlier: the states a cut live log may read as (a torn
  ///     tail loses a suffix of its writes, which recovery cannot tell from
  ///     a crash during an append); `[expected]` if none.
  ///   - open: opens a copy.
  /// - Returns: how many copies had each outcome.
  public static func run(
    _ files: [String: Bytes], keys: [Bytes], expected: [Bytes: Bytes], liveLogEarlier: [[Bytes: Bytes]],
    open: (any FileSystem) throws -> any KeyValueStore
  ) throws -> [Outcome: Int] {
    let liveLog = files.keys.filter { LogFormat.number(fromFileName: $0) != nil }.max()
    var outcomes: [Outcome: Int] = [:]
    for (name, bytes) in files.sorted(by: { $0.key < $1.key }) where name != "LOCK" {
      // Flips at a stride that reaches every part of a small file.
      for offset in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 40)) {
        var damaged = files
        damaged[name]![offset] ^= 0x5A
        outcomes[try check(damaged, keys, [expected], "\(name) flipped at \(offset)", open), default: 0] += 1
      }
      // Cuts: empty, half, all but one byte.
      for length in Set([0, bytes.count / 2, max(0, bytes.count - 1)]) where length < bytes.count {
        var cut = files
        cut[name] = Array(bytes.prefix(length))
        let acceptable = name == liveLog ? liveLogEarlier : [expected]
        let what = "\(name) cut to \(length) of \(bytes.count) bytes"
        outcomes[try check(cut, keys, acceptable, what, open), default: 0] += 1
      }
    }
    return outcomes
  }

  /// Opens the copy and reads every key and a full scan; the answers must
  /// be one of the `acceptable` states.
  static func check(
    _ files: [String: Bytes], _ keys: [Bytes], _ acceptable: [[Bytes: Bytes]], _ what: String,
    _ open: (any FileSystem) throws -> any KeyValueStore
  ) throws -> Outcome {
    let fs = MemoryFileSystem()
    try fs.createDirectory("/db")
    for (name, bytes) in files { try fs.writeFile("/db/" + name, bytes, sync: true) }
    let db: any KeyValueStore
    do { db = try open(fs) } catch { return .refused }
    defer { try? db.close() }
    var read: [Bytes: Bytes] = [:]
    let scanned: [KeyValuePair]
    do {
      for key in keys { read[key] = try db.get(key) }
      scanned = try db.scan()
    } catch {
      return .readError
    }
    #expect(acceptable.contains(read), "\(what): a wrong answer")
    #expect(Dictionary(uniqueKeysWithValues: scanned.map { ($0.key, $0.value) }) == read, "\(what): a wrong scan")
    return .right
  }
}
