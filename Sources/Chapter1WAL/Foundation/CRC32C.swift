/// CRC32C, the Castagnoli cyclic redundancy check.
///
/// Every record, block and footer on disk carries a CRC32C of its bytes so that
/// a reader can tell damaged data from good data. CRC32C (polynomial
/// 0x1EDC6F41, reflected as 0x82F63B78) is the checksum of iSCSI, ext4
/// metadata, LevelDB and RocksDB; it detects every burst error of up to 32 bits
/// and has hardware support on most processors.
///
/// This implementation is "slicing by 8": eight 256-entry tables let the loop
/// consume eight bytes per step instead of one. The standard check value is
/// `CRC32C("123456789") == 0xE3069283`.
public enum CRC32C {
  /// The CRC32C of `bytes`.
  @inlinable
  public static func checksum(_ bytes: Bytes) -> UInt32 {
    bytes.withUnsafeBytes { update(0, $0) }
  }

  /// The CRC32C of `bytes[range]`, without copying the slice.
  @inlinable
  public static func checksum(_ bytes: Bytes, _ range: Range<Int>) -> UInt32 {
    bytes.withUnsafeBytes { update(0, UnsafeRawBufferPointer(rebasing: $0[range])) }
  }

  /// Extends `crc` (the CRC32C of some earlier bytes) over `buffer`.
  ///
  /// `update(update(0, a), b) == checksum(a + b)`.
  public static func update(_ crc: UInt32, _ buffer: UnsafeRawBufferPointer) -> UInt32 {
    // The hot loop reads through a raw pointer: this is the inner loop of every
    // write and every read, and bounds checks per byte would triple its cost.
    var c = ~crc
    var i = 0
    let n = buffer.count
    tables.withUnsafeBufferPointer { t in
      while n - i >= 8 {
        let low = c ^ buffer.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian
        let high = buffer.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
        c =
          t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
          ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
          ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
          ^ t[1 * 256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
        i += 8
      }
      while i < n {
        c = t[Int((c ^ UInt32(buffer[i])) & 0xFF)] ^ (c >> 8)
        i += 1
      }
    }
    return ~c
  }

  /// A stored checksum is "masked" so that the CRC of data which itself
  /// contains CRCs stays well distributed (the trick LevelDB uses): rotate
  /// right by 15 bits and add a constant.
  @inlinable
  public static func mask(_ crc: UInt32) -> UInt32 {
    ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
  }

  /// Inverse of `mask`.
  @inlinable
  public static func unmask(_ masked: UInt32) -> UInt32 {
    let rotated = masked &- 0xA282_EAD8
    return (rotated >> 17) | (rotated << 15)
  }

  /// Eight tables of 256 entries; table k maps a byte to its CRC after k
  /// further zero bytes.
  static let tables: [UInt32] = {
    let polynomial: UInt32 = 0x82F6_3B78
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for i in 0..<256 {
      var crc = UInt32(i)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
      t[i] = crc
    }
    for i in 0..<256 {
      for k in 1..<8 {
        let previous = t[(k - 1) * 256 + i]
        t[k * 256 + i] = t[Int(previous & 0xFF)] ^ (previous >> 8)
      }
    }
    return t
  }()
}
