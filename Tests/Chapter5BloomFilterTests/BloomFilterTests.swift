import Chapter1WAL
import Chapter5BloomFilter
import Foundation
import Testing

struct BloomFilterTests {
  static func filter(_ keys: [Bytes], bitsPerKey: Double = 10, layout: BloomFilter.Layout = .standard)
    -> BloomFilter
  {
    let builder = FilterBuilder(bitsPerKey: bitsPerKey, layout: layout)
    for key in keys { key.withUnsafeBytes { builder.add(userKey: $0) } }
    return try! BloomFilter(decoding: builder.finish())
  }

  /// The example at the top of `BloomFilter.swift`, byte for byte.
  @Test func workedExample() throws {
    let filter = Self.filter([Bytes("apple".utf8), Bytes("apricot".utf8)])
    #expect(
      filter.encoded == [0x04, 0x11, 0x0c, 0x30, 0xc0, 0x40, 0x11, 0x41, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00])
    #expect(filter.positions(of: Bytes("apple".utf8)) == [46, 19, 56, 29, 2, 39, 12])
    #expect(filter.positions(of: Bytes("apricot".utf8)) == [52, 62, 8, 18, 28, 38, 48])
    #expect(filter.bitCount == 64 && filter.probes == 7 && filter.keyCount == 2)
  }

  @Test func probesFollowBitsPerKey() {
    #expect(BloomFilter.probes(forBitsPerKey: 10) == 7)
    #expect(BloomFilter.probes(forBitsPerKey: 1) == 1)
    #expect(BloomFilter.probes(forBitsPerKey: 0.1) == 1)
    #expect(BloomFilter.probes(forBitsPerKey: 100) == BloomFilter.maxProbes)
  }

  /// A filter never says no to a key that went in: for random key sets,
  /// sizes and bits per key, in both layouts.
  @Test(arguments: BloomFilter.Layout.allCases)
  func neverAFalseNegative(layout: BloomFilter.Layout) {
    var random = SeededGenerator(seed: 5)
    for _ in 0..<200 {
      let count = Int.random(in: 1...500, using: &random)
      let keys = (0..<count).map { _ in
        (0..<Int.random(in: 0...24, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
      }
      let bits = Double(Int.random(in: 1...20, using: &random))
      let filter = Self.filter(keys, bitsPerKey: bits, layout: layout)
      for key in keys { #expect(filter.mayContain(key), "\(key) at \(bits) bits per key, \(layout)") }
    }
  }

  /// The measured false-positive rate is close to (1 − e^(−kn/m))^k: within
  /// a third of it for the standard layout, and at most twice it for the
  /// cache-local one (its bits cluster in lines).
  @Test(arguments: [(6.0, BloomFilter.Layout.standard), (10, .standard), (10, .cacheLocal), (16, .cacheLocal)])
  func falsePositivesMatchTheTheory(bitsPerKey: Double, layout: BloomFilter.Layout) {
    let n = 20_000
    let filter = Self.filter((0..<n).map { Bytes("key\($0)".utf8) }, bitsPerKey: bitsPerKey, layout: layout)
    let trials = 100_000
    let positives = (0..<trials).count { filter.mayContain(Bytes("absent\($0)".utf8)) }
    let measured = Double(positives) / Double(trials)
    let expected = BloomFilter.expectedFalsePositiveRate(keys: n, bits: filter.bitCount, probes: filter.probes)
    let detail = "measured \(measured), theory \(expected)"
    if layout == .standard {
      #expect(abs(measured - expected) < expected / 3, "\(detail)")
    } else {
      #expect(measured < 2 * expected + 0.001, "\(detail)")
    }
  }

  @Test func damagedFieldsAreNamed() {
    let good = Self.filter([Bytes("k".utf8)]).encoded
    func problem(_ bytes: Bytes) -> String? {
      do {
        _ = try BloomFilter(decoding: bytes)
        return nil
      } catch {
        return error.description
      }
    }
    var noProbes = good
    noProbes[noProbes.count - 2] = 0
    #expect(problem(noProbes)?.contains("probes 0") == true)
    var badLayout = good
    badLayout[badLayout.count - 1] = 7
    #expect(problem(badLayout)?.contains("unknown filter layout 7") == true)
    var notLines = good
    notLines[notLines.count - 1] = 1
    #expect(problem(notLines)?.contains("whole 64-byte lines") == true)
    #expect(problem(Array(good.suffix(6)))?.contains("too short") == true)
  }

  /// Every truncation and thousands of random byte strings decode to a
  /// filter or an error, never a trap.
  @Test func hostileBytesNeverTrap() {
    let good = Self.filter((0..<50).map { Bytes("k\($0)".utf8) }, layout: .cacheLocal).encoded
    for length in 0...good.count { _ = try? BloomFilter(decoding: Array(good.prefix(length))) }
    var random = SeededGenerator(seed: 9)
    for _ in 0..<5000 {
      let bytes = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
      if let filter = try? BloomFilter(decoding: bytes) { _ = filter.mayContain(Bytes("x".utf8)) }
    }
  }
}
