import Chapter1WAL
import PropertyBased
import Testing

@testable import Chapter5BloomFilter

@Suite struct HardwareCRC32CTests {
  /// The check value of every CRC catalogue, and the iSCSI test vectors of
  /// RFC 3720, appendix B.4: 32 bytes of zeros, of 0xFF, ascending and
  /// descending.
  static let vectors: [(name: String, bytes: Bytes, crc: UInt32)] = [
    ("123456789", Bytes(utf8: "123456789"), 0xE306_9283),
    ("32 zeros", Bytes(repeating: 0, count: 32), 0x8A91_36AA),
    ("32 0xFF", Bytes(repeating: 0xFF, count: 32), 0x62A8_AB43),
    ("0 to 31", Bytes(0...31), 0x46DD_794E),
    ("31 to 0", Bytes((0...31).reversed()), 0x113F_DB5C),
    ("empty", [], 0),
  ]

  @Test(arguments: HardwareCRC32C.supported)
  func standardVectors(_ implementation: HardwareCRC32C.Implementation) {
    for vector in Self.vectors {
      let crc = vector.bytes.withUnsafeBytes { HardwareCRC32C.update(0, $0, using: implementation) }
      #expect(crc == vector.crc, "\(implementation.rawValue): \(vector.name)")
    }
  }

  @Test func defaultsToTheBestAvailable() {
    #expect(HardwareCRC32C.supported.first == .table)
    #expect(HardwareCRC32C.supported.last == HardwareCRC32C.available)
    #expect(HardwareCRC32C.isSupported(HardwareCRC32C.available))
    #if arch(x86_64)
      #expect(!HardwareCRC32C.isSupported(.arm64))
    #elseif arch(arm64)
      #expect(!HardwareCRC32C.isSupported(.sse42))
    #else
      #expect(HardwareCRC32C.supported == [.table])
    #endif
    for vector in Self.vectors {
      #expect(HardwareCRC32C.checksum(vector.bytes) == vector.crc)
      #expect(HardwareCRC32C.checksum([7] + vector.bytes + [9], 1..<(vector.bytes.count + 1)) == vector.crc)
    }
  }

  /// Random bytes (0 to 5000 of them) behind 0 to 15 bytes of padding, so
  /// the data starts at every alignment; a random earlier CRC; a random
  /// point to split the update at.
  static let inputs = zip(
    Gen<UInt8>.value().array(of: 0...5000), Gen<Int>.value(in: 0...15), Gen<UInt32>.value(),
    Gen<Int>.value(in: 0...5000))

  /// Every supported implementation computes chapter 1's table's answer,
  /// whole and in two pieces.
  @Test func agreesWithTheTable() async {
    await propertyCheck(count: 300, input: Self.inputs) { data, padding, initial, split in
      let bytes = Bytes(repeating: 0xA5, count: padding) + data
      let cut = padding + min(split, data.count)
      bytes.withUnsafeBytes { all in
        let whole = UnsafeRawBufferPointer(rebasing: all[padding...])
        let first = UnsafeRawBufferPointer(rebasing: all[padding..<cut])
        let rest = UnsafeRawBufferPointer(rebasing: all[cut...])
        let expected = CRC32C.update(initial, whole)
        for implementation in HardwareCRC32C.supported {
          let name = implementation.rawValue
          #expect(HardwareCRC32C.update(initial, whole, using: implementation) == expected, "\(name)")
          let incremental = HardwareCRC32C.update(
            HardwareCRC32C.update(initial, first, using: implementation), rest, using: implementation)
          #expect(incremental == expected, "\(name), split at \(cut - padding) of \(data.count)")
        }
      }
    }
  }
}
