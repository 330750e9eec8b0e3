import Chapter1WAL
import Chapter2Memtable

/// How the keys in a block are ordered.
///
/// A block does not know what its keys mean; it only needs to compare two
/// of them to binary-search its restart points. Tables store encoded
/// internal keys in every block, so they use `.internalKey`; `.bytewise` is
/// there for blocks of plain keys (and for tests of the block format on its
/// own).
///
/// Both comparisons work on unsafe buffers so that a search can compare a
/// key where it lies in the block, without copying it out.
public struct KeyComparator: Sendable {
  /// A name for messages and dumps.
  public let name: String
  /// Negative, zero or positive as the first key sorts before, with or
  /// after the second. Must be total on any bytes (see `compareInternalKeys`).
  public let compare: @Sendable (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Int

  public init(name: String, compare: @escaping @Sendable (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Int) {
    self.name = name
    self.compare = compare
  }

  /// Plain bytewise order (`memcmp`, then length).
  public static let bytewise = KeyComparator(name: "bytewise") { compareBytes($0, $1) }

  /// The order of encoded internal keys (see `InternalKeyEncoding`).
  public static let internalKey = KeyComparator(name: "internal key") { compareInternalKeys($0, $1) }

  /// Compares two keys held in arrays.
  public func callAsFunction(_ a: Bytes, _ b: Bytes) -> Int {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in compare(x, y) } }
  }
}
