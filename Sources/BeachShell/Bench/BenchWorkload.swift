import Chapter1WAL

/// The bytes `beach bench` writes: keys and values laid out exactly as
/// RocksDB's `db_bench` lays them out, so that the two tools, run on the same
/// flags, move the same bytes.
///
/// **Keys.** Key number `n` is `key_size` bytes: the low bytes of `n`,
/// most significant first (up to 8 of them), then ASCII `'0'` padding. With
/// the default 16-byte keys, key 258 is `00 00 00 00 00 00 01 02` followed by
/// `"00000000"`. Big-endian numbers sort as the integers do, so `fillseq`
/// writes keys in ascending order and a scan returns them in number order.
/// (This is the layout of `GenerateKeyFromInt` in RocksDB's
/// `tools/db_bench_tool.cc`, without its optional prefix.)
///
/// **Values.** One megabyte of *compressible* text is generated once, from
/// a fixed seed, and every value is the next `value_size` bytes of it,
/// wrapping to the start when the rest is too short. The text is made of
/// 100-byte pieces; each piece is `100 × compression_ratio` random printable
/// characters repeated to fill it, so a compressor would shrink it to about
/// that ratio (0.5 by default). The random characters come from the
/// Park–Miller "minimal standard" generator seeded with 301, which is what
/// `db_bench`'s `RandomGenerator` uses; the value stream is therefore the
/// same byte for byte.
///
/// **What differs.** The random key *order* of `fillrandom`, `overwrite`,
/// `readrandom` and the rest: both tools draw key numbers uniformly (with
/// repeats) from `0..<num`, but `beach bench` draws them from this project's
/// `SeededGenerator`, so the two sequences are different samples of the
/// same distribution.
public enum BenchWorkload {
  /// Key number `n`, `size` bytes long, in db_bench's layout.
  public static func key(_ n: UInt64, size: Int) -> Bytes {
    var key = Bytes(repeating: UInt8(ascii: "0"), count: size)
    writeKey(n, into: &key)
    return key
  }

  /// Overwrites `key`'s first `min(key.count, 8)` bytes with `n`, big-endian
  /// and truncated to those bytes; the rest of `key` is left as it is (the
  /// `'0'` padding `key(_:size:)` put there).
  public static func writeKey(_ n: UInt64, into key: inout Bytes) {
    let width = min(key.count, 8)
    for index in 0..<width {
      key[index] = UInt8(truncatingIfNeeded: n >> (UInt64(width - index - 1) * 8))
    }
  }
}

/// The value stream: slices of one buffer of compressible random text.
///
/// Not shared between threads: each benchmark thread has its own, as each
/// `db_bench` thread has its own `RandomGenerator`.
public struct BenchValueGenerator: Sendable {
  /// The bytes every value is cut from.
  public let data: Bytes
  private var position = 0

  /// - Parameters:
  ///   - compressionRatio: how much of each 100-byte piece is random, 0…1
  ///     (the rest repeats it).
  ///   - minimumSize: the buffer is at least this long (the value size), and
  ///     at least 1 MiB.
  public init(compressionRatio: Double = 0.5, minimumSize: Int = 0) {
    var random = MinimalStandardRandom(seed: 301)
    var data = Bytes()
    let target = max(1 << 20, minimumSize)
    data.reserveCapacity(target + 100)
    while data.count < target {
      data += Self.compressiblePiece(length: 100, ratio: compressionRatio, random: &random)
    }
    self.data = data
  }

  /// The next `size` bytes of the stream. REQUIRES: `size <= data.count`.
  public mutating func next(_ size: Int) -> Bytes {
    if position + size > data.count { position = 0 }
    position += size
    return Array(data[position - size..<position])
  }

  /// `length` bytes made of `length × ratio` random printable characters
  /// (at least one), repeated.
  static func compressiblePiece(length: Int, ratio: Double, random: inout MinimalStandardRandom) -> Bytes {
    let rawCount = max(1, Int(Double(length) * ratio))
    var raw = Bytes()
    raw.reserveCapacity(rawCount)
    for _ in 0..<rawCount {
      raw.append(UInt8(ascii: " ") + UInt8(random.next() % 95))
    }
    var piece = Bytes()
    piece.reserveCapacity(length + rawCount)
    while piece.count < length { piece += raw }
    return Array(piece.prefix(length))
  }
}

/// The Park–Miller "minimal standard" generator: `seed × 16807 mod (2³¹−1)`.
///
/// Old and weak, and used here for one reason only: it is the generator
/// LevelDB and RocksDB build their benchmark values with, and reproducing
/// their values byte for byte needs the same sequence.
struct MinimalStandardRandom: Sendable {
  private static let modulus: UInt32 = 2_147_483_647
  private var seed: UInt32

  init(seed: UInt32) {
    let masked = seed & Self.modulus
    self.seed = masked == 0 ? 1 : masked
  }

  mutating func next() -> UInt32 {
    // seed × 16807 mod (2³¹−1), without a division: the product's high part
    // (bits 31 and up) is added back to its low 31 bits, since 2³¹ ≡ 1.
    let product = UInt64(seed) * 16807
    var result = UInt32(truncatingIfNeeded: (product >> 31) + (product & UInt64(Self.modulus)))
    if result > Self.modulus { result -= Self.modulus }
    seed = result
    return result
  }
}
