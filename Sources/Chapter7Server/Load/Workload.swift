import Chapter1WAL

/// What a load run asks for: which operations, on which keys, with what
/// values.
///
/// Everything is drawn from seeded generators, so one workload is one
/// sequence of requests: run it against `beach serve` and then against
/// `redis-server` and both servers see the same keys in the same order.
/// Each connection has a stream of its own (seeded with the workload's seed
/// and the connection's number), so the sequence does not depend on the
/// order in which replies come back.
public struct Workload: Sendable, Codable, Equatable {
  /// The share of GETs and SETs.
  public var mix = LoadMix(getPercent: 90)
  /// Keys are `Workload.key(0)` to `Workload.key(keyCount - 1)`.
  public var keyCount = 100_000
  /// How often each key is chosen.
  public var distribution = KeyDistribution.zipfian
  /// Every SET writes a value of this many bytes.
  public var valueSize = 100
  /// The seed of every random choice: keys, operations and the value's bytes.
  public var seed: UInt64 = 1

  public init() {}

  /// The key with number `index`: 16 bytes, `key` and 13 decimal digits
  /// (`key0000000000042`), so keys sort in number order, as `beach bench`'s do.
  ///
  /// REQUIRES: `0 <= index < 10^13`.
  public static func key(_ index: Int) -> Bytes {
    var key: Bytes = [0x6b, 0x65, 0x79] + Bytes(repeating: 0x30, count: 13)  // "key0000000000000"
    var rest = index
    var position = key.count - 1
    while rest > 0 && position >= 3 {
      key[position] = 0x30 + UInt8(rest % 10)
      rest /= 10
      position -= 1
    }
    return key
  }

  /// The one value every SET writes: `valueSize` bytes drawn from the seed
  /// (random bytes, so nothing on the way can shrink them).
  public var value: Bytes {
    var random = SeededGenerator(seed: seed ^ 0x5eed_00da_7a00_0000)
    return (0..<valueSize).map { _ in UInt8.random(in: 0...255, using: &random) }
  }

  /// The key chooser this workload's distribution needs. Zipfian's setup
  /// sums over every key (O(keyCount)), so make it once per run and share it.
  public func makeChooser() -> KeyChooser {
    switch distribution {
    case .uniform: .uniform(count: keyCount)
    case .zipfian: .zipfian(ZipfianGenerator(count: keyCount))
    }
  }

  /// Connection `connection`'s requests, in the order it sends them.
  public func operations(forConnection connection: Int, chooser: KeyChooser, value: Bytes) -> OperationStream {
    OperationStream(
      random: SeededGenerator(seed: seed &+ 0x9E37_79B9 &* UInt64(connection + 1)), chooser: chooser, mix: mix,
      value: value)
  }
}

/// The shares of GET and SET, as `--mix` spells them: `get` (all GETs),
/// `set` (all SETs), or `G/S`, two whole percentages that add up to 100:
/// `90/10` is 90% GET and 10% SET.
public struct LoadMix: Sendable, Codable, Equatable, CustomStringConvertible {
  /// Out of 100, how many requests are GETs; the rest are SETs.
  public var getPercent: Int

  public init(getPercent: Int) {
    precondition((0...100).contains(getPercent), "a mix's GET share is 0 to 100 percent")
    self.getPercent = getPercent
  }

  /// Parses `get`, `set` or `G/S`; `nil` for anything else.
  public init?(parsing text: String) {
    switch text.lowercased() {
    case "get": self.init(getPercent: 100)
    case "set": self.init(getPercent: 0)
    default:
      let parts = text.split(separator: "/", omittingEmptySubsequences: false)
      guard parts.count == 2, let get = Int(parts[0]), let set = Int(parts[1]), get >= 0, set >= 0,
        get + set == 100
      else { return nil }
      self.init(getPercent: get)
    }
  }

  /// `get`, `set` or `90/10 get/set`.
  public var description: String {
    switch getPercent {
    case 100: "get"
    case 0: "set"
    default: "\(getPercent)/\(100 - getPercent) get/set"
    }
  }
}

/// How keys are chosen.
public enum KeyDistribution: String, Sendable, Codable, CaseIterable {
  /// Every key equally often.
  case uniform
  /// A few keys very often and most keys rarely (YCSB's default, theta 0.99).
  case zipfian
}

/// Chooses key numbers in `0..<count`.
public enum KeyChooser: Sendable {
  case uniform(count: Int)
  case zipfian(ZipfianGenerator)

  /// The next key number.
  public func next(using random: inout SeededGenerator) -> Int {
    switch self {
    case .uniform(let count): Int.random(in: 0..<count, using: &random)
    case .zipfian(let zipfian): zipfian.next(using: &random)
    }
  }
}

/// One connection's sequence of requests.
public struct OperationStream: Sendable {
  var random: SeededGenerator
  let chooser: KeyChooser
  let mix: LoadMix
  let value: Bytes

  /// The next request: a GET or a SET by the mix, of a key by the chooser.
  public mutating func next() -> LoadOperation {
    let isGet =
      mix.getPercent == 100 || (mix.getPercent > 0 && Int.random(in: 0..<100, using: &random) < mix.getPercent)
    let key = Workload.key(chooser.next(using: &random))
    return isGet ? .get(key: key) : .set(key: key, value: value)
  }
}
