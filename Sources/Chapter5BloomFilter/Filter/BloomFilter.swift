import Chapter1WAL
import Chapter3SSTable
import Foundation

/// # The filter block
///
/// A bloom filter answers "might this table hold key K?" with *no* (then it
/// certainly does not) or *maybe*, from a bit array kept in memory, so a
/// lookup can skip a table without reading a block of it. Each table
/// carries one filter over all its user keys (a *full* filter, as RocksDB
/// writes: one probe per table, wherever the key would fall), stored as the
/// table's meta block (format version 2, see chapter 3's `TableFormat`:
/// the block between the last data block and the index, with the usual
/// 5-byte trailer).
///
/// ```
///  offset      field       contents
///  0           bits        the bit array: m bits, m = 8 × its length;
///                          bit i is bit (i % 8) of byte i / 8
///  m / 8       keyCount    fixed32: distinct keys added (for `show bloom`)
///  m / 8 + 4   probes      u8: k, bits set per key, 1...30
///  m / 8 + 5   layout      u8: 0 standard, 1 cache-local
/// ```
///
/// **Hashing.** A key is hashed once, to 64 bits (`BloomHash`); its low 32
/// bits are h1 and its high 32 bits h2. The standard layout sets bits
/// g_i = h1 + i·h2 (mod 2^32), i = 0 ..< k, each mapped onto 0 ..< m by a
/// multiply and shift rather than a division: (g_i · m) >> 32. Two hashes
/// give k nearly independent positions: Kirsch and Mitzenmacher showed
/// ("Less Hashing, Same Performance", 2006) that this double hashing keeps
/// the false-positive rate of k independent hash functions.
///
/// **The cache-local layout** spends the k probes in one 64-byte cache line
/// (512 bits): h1 picks the line, and h2, multiplied by a constant after
/// each probe, gives 9 bits per probe for the position inside it. One
/// cache miss per lookup instead of k, for a slightly higher
/// false-positive rate at the same size (bits cluster in lines: some lines
/// get more keys than others). RocksDB's format_version 5 filters
/// (FastLocalBloom) take the same idea further.
///
/// **Sizing.** With b bits per key, m = max(64, n·b) rounded up to a
/// whole byte (a whole line for cache-local) and k = round(b · ln 2), the
/// k that minimizes the false-positive rate (1 − e^(−kn/m))^k; 10 bits per
/// key gives k = 7 and about 0.8 %.
///
/// ## A worked example
///
/// The keys `apple` and `apricot`, 10 bits per key, standard layout:
/// m = max(64, 20) = 64 bits, k = 7.
///
/// ```
///  0   04 11 0c 30 c0 40 11 41      the 64 bits: apple sets bits 46 19 56 29
///                                   2 39 12, apricot 52 62 8 18 28 38 48
///                                   (bit 2 is 0x04 in byte 0)
///  8   02 00 00 00                  keyCount 2
///  12  07                           probes 7
///  13  00                           layout standard
/// ```
///
/// (`BloomFilterTests.workedExample` builds this block, checks every byte
/// and lists each key's seven bits.)
public struct BloomFilter: Sendable, Equatable {
  /// How the probes of one key are laid out.
  public enum Layout: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// k positions anywhere in the array.
    case standard = 0
    /// k positions inside one 64-byte line.
    case cacheLocal = 1

    public var description: String { self == .standard ? "standard" : "cache-local" }
  }

  /// The bit array.
  public let bits: Bytes
  /// Bits set per key.
  public let probes: Int
  public let layout: Layout
  /// Distinct keys added.
  public let keyCount: Int

  /// The bytes after the bit array.
  public static let trailerSize = 6
  /// The most probes a filter may ask for.
  public static let maxProbes = 30
  /// Bytes in a cache line.
  public static let lineSize = 64

  /// The k that minimizes the false-positive rate for `bitsPerKey`:
  /// round(b · ln 2), at least 1 and at most `maxProbes`.
  public static func probes(forBitsPerKey bitsPerKey: Double) -> Int {
    min(maxProbes, max(1, Int((bitsPerKey * 0.693_147_180_559_945).rounded())))
  }

  /// The false-positive rate theory predicts for `n` keys in `m` bits with
  /// `k` probes: (1 − e^(−kn/m))^k.
  public static func expectedFalsePositiveRate(keys n: Int, bits m: Int, probes k: Int) -> Double {
    guard n > 0, m > 0 else { return 0 }
    return pow(1 - exp(-Double(k) * Double(n) / Double(m)), Double(k))
  }

  /// A filter over the keys whose hashes are `hashes`.
  public init(hashes: [UInt64], bitsPerKey: Double, layout: Layout = .standard) {
    let wanted = max(64, Int((Double(hashes.count) * bitsPerKey).rounded(.up)))
    let quantum = layout == .standard ? 8 : 8 * Self.lineSize
    let bitCount = (wanted + quantum - 1) / quantum * quantum
    var bits = Bytes(repeating: 0, count: bitCount / 8)
    let probes = Self.probes(forBitsPerKey: bitsPerKey)
    bits.withUnsafeMutableBufferPointer { array in
      for hash in hashes {
        Self.forEachPosition(hash, bitCount: bitCount, probes: probes, layout: layout) { position in
          array[position >> 3] |= 1 << UInt8(position & 7)
          return true
        }
      }
    }
    self.bits = bits
    self.probes = probes
    self.layout = layout
    self.keyCount = hashes.count
  }

  /// Decodes a filter block, checking everything a probe relies on.
  ///
  /// - Throws: `DecodingError` with the offset of the field that is wrong.
  public init(decoding contents: Bytes) throws(DecodingError) {
    guard contents.count > Self.trailerSize else {
      throw DecodingError(offset: 0, "filter block of \(contents.count) B is too short (no bits)")
    }
    let end = contents.count - Self.trailerSize
    var reader = ByteReader(contents, offset: end)
    let keyCount = try reader.readFixed32()
    let probes = try reader.readByte()
    let rawLayout = try reader.readByte()
    guard (1...UInt8(Self.maxProbes)).contains(probes) else {
      throw DecodingError(offset: end + 4, "filter probes \(probes) is outside 1...\(Self.maxProbes)")
    }
    guard let layout = Layout(rawValue: rawLayout) else {
      throw DecodingError(offset: end + 5, "unknown filter layout \(rawLayout) (0 standard, 1 cache-local)")
    }
    guard layout == .standard || end % Self.lineSize == 0 else {
      throw DecodingError(offset: end, "cache-local filter of \(end) B is not whole 64-byte lines")
    }
    self.bits = Array(contents[..<end])
    self.probes = Int(probes)
    self.layout = layout
    self.keyCount = Int(keyCount)
  }

  /// The filter block's contents.
  public var encoded: Bytes {
    var out = bits
    out.appendFixed32(UInt32(clamping: keyCount))
    out.append(UInt8(probes))
    out.append(layout.rawValue)
    return out
  }

  /// Bits in the array.
  public var bitCount: Int { bits.count * 8 }

  /// False if `key` was certainly not added; true if it may have been.
  public func mayContain(_ key: Bytes) -> Bool {
    key.withUnsafeBytes { mayContain(hash: BloomHash.hash($0)) }
  }

  /// `mayContain` for a key already hashed with `BloomHash`.
  public func mayContain(hash: UInt64) -> Bool {
    bits.withUnsafeBufferPointer { array in
      Self.forEachPosition(hash, bitCount: array.count * 8, probes: probes, layout: layout) { position in
        array[position >> 3] & (1 << UInt8(position & 7)) != 0
      }
    }
  }

  /// The bit positions of a key, in probe order (for traces and tests).
  public func positions(of key: Bytes) -> [Int] {
    var result: [Int] = []
    let hash = key.withUnsafeBytes { BloomHash.hash($0) }
    Self.forEachPosition(hash, bitCount: bitCount, probes: probes, layout: layout) { position in
      result.append(position)
      return true
    }
    return result
  }

  // snippet: bloom-probe
  /// Calls `body` with each of the k bit positions of `hash`, stopping as
  /// soon as it returns false; returns whether it never did.
  @inline(__always)
  static func forEachPosition(
    _ hash: UInt64, bitCount: Int, probes: Int, layout: Layout, _ body: (Int) -> Bool
  ) -> Bool {
    let h1 = UInt32(truncatingIfNeeded: hash)
    var h2 = UInt32(truncatingIfNeeded: hash >> 32)
    switch layout {
    case .standard:
      // Double hashing: g_i = h1 + i·h2, mapped onto 0 ..< m by a
      // multiply-shift (no division on the read path).
      var g = h1
      for _ in 0..<probes {
        if !body(Int((UInt64(g) &* UInt64(bitCount)) >> 32)) { return false }
        g &+= h2
      }
    case .cacheLocal:
      // h1 picks the line; each probe takes 9 bits of h2, which is then
      // remixed by a multiply, so k probes touch one cache line.
      let lines = bitCount / (8 * lineSize)
      let base = Int((UInt64(h1) &* UInt64(lines)) >> 32) * 8 * lineSize
      for _ in 0..<probes {
        if !body(base + Int(h2 >> 23)) { return false }
        h2 &*= 0x9E37_79B9
      }
    }
    return true
  }
  // end snippet
}

/// The 64-bit hash every filter uses for a key: stable across runs and
/// machines (it is stored, in effect, in every filter), and fast on short
/// keys, eight bytes per step.
public enum BloomHash {
  /// The hash of `key`.
  @inline(__always)
  public static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ (UInt64(key.count) &* 0xC2B2_AE3D_27D4_EB4F)
    var i = 0
    while key.count - i >= 8 {
      h = step(h, key.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian)
      i += 8
    }
    if i < key.count {
      var tail: UInt64 = 0
      var shift: UInt64 = 0
      while i < key.count {
        tail |= UInt64(key[i]) << shift
        shift += 8
        i += 1
      }
      h = step(h, tail)
    }
    // The finalizer of MurmurHash3: every input bit reaches every output bit.
    h ^= h >> 33
    h &*= 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33
    h &*= 0xC4CE_B9FE_1A85_EC53
    h ^= h >> 33
    return h
  }

  /// The hash of `key`.
  public static func hash(_ key: Bytes) -> UInt64 { key.withUnsafeBytes { hash($0) } }

  @inline(__always)
  private static func step(_ h: UInt64, _ word: UInt64) -> UInt64 {
    var w = word &* 0x87C3_7B91_1142_53D5
    w = (w << 31) | (w >> 33)
    w &*= 0x4CF5_AD43_2745_937F
    let mixed = h ^ w
    return ((mixed << 27) | (mixed >> 37)) &* 5 &+ 0x52DC_E729
  }
}

/// Builds a table's filter as the table is written: chapter 3's builder
/// hands it every user key, and it keeps one 64-bit hash per distinct key
/// (versions of a key are adjacent, so a repeat is the previous hash).
public final class FilterBuilder: TableMetaBlockBuilder {
  public let bitsPerKey: Double
  public let layout: BloomFilter.Layout
  private var hashes: [UInt64] = []

  public init(bitsPerKey: Double, layout: BloomFilter.Layout) {
    self.bitsPerKey = bitsPerKey
    self.layout = layout
  }

  public func add(userKey: UnsafeRawBufferPointer) {
    let hash = BloomHash.hash(userKey)
    if hashes.last != hash { hashes.append(hash) }
  }

  public func finish() -> Bytes { BloomFilter(hashes: hashes, bitsPerKey: bitsPerKey, layout: layout).encoded }
}
