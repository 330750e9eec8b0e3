import BeachShell
import Chapter1WAL
import Testing

/// `beach bench` must move the same bytes as RocksDB's db_bench. The expected
/// bytes here were read back from a database db_bench 7.8.3 wrote
/// (`db_bench --benchmarks=fillrandom --value_size=8`, then `ldb dump_wal`).
@Suite struct BenchWorkloadTests {
  @Test func keysAreTheNumberBigEndianThenZeroDigits() {
    #expect(BenchWorkload.key(258, size: 16) == [0, 0, 0, 0, 0, 0, 1, 2] + Array("00000000".utf8))
    #expect(BenchWorkload.key(979, size: 16) == [0, 0, 0, 0, 0, 0, 0x03, 0xD3] + Array("00000000".utf8))
    // Shorter than 8 bytes: the low bytes only, still most significant first.
    #expect(BenchWorkload.key(0x0102_0304_0506_0708, size: 4) == [5, 6, 7, 8])
    #expect(BenchWorkload.key(1, size: 9) == [0, 0, 0, 0, 0, 0, 0, 1, UInt8(ascii: "0")])
  }

  @Test func keysSortAsTheirNumbers() {
    let keys = [0, 1, 255, 256, 65_535, 65_536, 1_000_000].map { BenchWorkload.key(UInt64($0), size: 16) }
    #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) })
  }

  @Test func valuesAreDbBenchsValueStream() {
    var values = BenchValueGenerator()
    // db_bench's first two 8-byte values.
    #expect(values.next(8) == Array("^{Vhz\"!/".utf8))
    #expect(values.next(8) == Array("%wMZ;'a ".utf8))
  }

  @Test func valuesAreHalfRandomAndRepeatWithinEachPiece() {
    let data = BenchValueGenerator(compressionRatio: 0.5).data
    #expect(data.count >= 1 << 20)
    #expect(Array(data[0..<50]) == Array(data[50..<100]))
    #expect(Array(data[0..<50]) != Array(data[100..<150]))
    #expect(data.allSatisfy { $0 >= 32 && $0 < 127 })
  }

  @Test func valuesWrapAroundTheBuffer() {
    var values = BenchValueGenerator()
    let first = values.next(100)
    let size = values.data.count
    for _ in 0..<(size / 100 - 1) { _ = values.next(100) }
    // Too little left for another 100 bytes: back to the start.
    #expect(values.next(100) == first)
  }

  @Test func largeValuesGrowTheBuffer() {
    var values = BenchValueGenerator(minimumSize: 3 << 20)
    #expect(values.next(3 << 20).count == 3 << 20)
  }
}
