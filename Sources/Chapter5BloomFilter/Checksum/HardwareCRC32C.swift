import Chapter1WAL
import Chapter5CRC32C

/// CRC32C computed by the processor's own CRC instructions when it has them.
///
/// Chapter 1's `CRC32C` computes the checksum in Swift with lookup tables;
/// every record, block and footer pays for it on every write and every
/// read. x86-64 processors with SSE4.2 and ARMv8 processors with the CRC
/// extension compute CRC32C in one instruction per 8 bytes. The
/// instructions live in the C target `Chapter5CRC32C` (`crc32c.c` explains
/// them); this type picks one at run time and checks it against the table.
///
/// The answer is the same whichever implementation computes it:
/// `update(crc, buffer, using: x) == CRC32C.update(crc, buffer)` for every
/// supported `x`, so data checksummed one way verifies the other way, on
/// this machine and on any other.
public enum HardwareCRC32C {
  /// A way to compute CRC32C.
  public enum Implementation: String, Sendable, CaseIterable {
    /// Chapter 1's slicing-by-8 tables, in Swift: runs everywhere.
    case table
    /// x86-64's SSE4.2 `crc32` instruction.
    case sse42 = "sse4.2"
    /// ARMv8's CRC extension (`crc32cx`, `crc32cb`).
    case arm64 = "armv8-crc"
  }

  // snippet: crc-dispatch
  /// The fastest implementation this processor supports, asked once, the
  /// first time it is needed.
  ///
  /// A program compiled for x86-64 or ARMv8 may run on a processor without
  /// the instructions, so this is a question for the running processor, not
  /// for the compiler.
  public static let available: Implementation = {
    switch beach_crc32c_hardware_kind() {
    case BEACH_CRC32C_SSE42: .sse42
    case BEACH_CRC32C_ARM64: .arm64
    default: .table
    }
  }()
  // end snippet

  /// Every implementation this processor can run, the table first.
  public static let supported: [Implementation] = Implementation.allCases.filter(isSupported)

  /// Whether this processor can run `implementation`: the table always, a
  /// hardware implementation only where its instructions exist.
  public static func isSupported(_ implementation: Implementation) -> Bool {
    implementation == .table || implementation == available
  }

  /// The CRC32C of `bytes`.
  public static func checksum(_ bytes: Bytes) -> UInt32 {
    bytes.withUnsafeBytes { update(0, $0) }
  }

  /// The CRC32C of `bytes[range]`, without copying the slice.
  public static func checksum(_ bytes: Bytes, _ range: Range<Int>) -> UInt32 {
    bytes.withUnsafeBytes { update(0, UnsafeRawBufferPointer(rebasing: $0[range])) }
  }

  /// Extends `crc` (the CRC32C of some earlier bytes) over `buffer`.
  ///
  /// `update(update(0, a), b) == checksum(a + b)`, and the result equals
  /// chapter 1's `CRC32C.update(crc, buffer)` whichever implementation
  /// computes it.
  ///
  /// REQUIRES: `isSupported(implementation)`. A hardware implementation on
  /// a processor without its instructions would stop the program with an
  /// illegal instruction; this stops it first, with a message that says so.
  ///
  /// - Parameters:
  ///   - crc: the CRC32C of the bytes before `buffer`; 0 for none.
  ///   - buffer: the bytes to add.
  ///   - implementation: how to compute it; the fastest one here by default.
  /// - Returns: the CRC32C of the earlier bytes followed by `buffer`.
  /// - Complexity: O(`buffer.count`).
  public static func update(
    _ crc: UInt32, _ buffer: UnsafeRawBufferPointer, using implementation: Implementation = available
  ) -> UInt32 {
    precondition(
      isSupported(implementation),
      "CRC32C implementation \(implementation.rawValue) is not supported by this processor "
        + "(supported: \(supported.map(\.rawValue).joined(separator: ", ")))")
    // The C functions read the bytes as uint8_t, which may alias memory of
    // any type, so viewing the raw buffer as UInt8 for the call is sound;
    // an empty buffer may have no address, and C reads nothing then.
    let bytes = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
    switch implementation {
    case .table: return CRC32C.update(crc, buffer)
    case .sse42: return beach_crc32c_sse42(crc, bytes, buffer.count)
    case .arm64: return beach_crc32c_arm64(crc, bytes, buffer.count)
    }
  }
}
