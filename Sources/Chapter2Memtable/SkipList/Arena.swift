import Atomics

/// Memory for the skip list's nodes: big chunks carved up by a bump pointer,
/// addressed by offset, never moved, freed all at once.
///
/// ## Why not one object per node?
///
/// The obvious skip list in Swift has a `final class Node` with a key, a
/// value and an array of next references (that is `ObjectSkipList`, the
/// chapter's baseline). Every node then costs four heap allocations (the
/// object, its next array, the key's buffer and the value's), each with a
/// malloc header and its rounding, and every step of a search loads a
/// reference, which in Swift means retain/release traffic on the reference
/// count of each node it passes (the optimizer removes some of it, not
/// all). The nodes end up wherever malloc put them, so a search
/// that visits twenty of them touches twenty unrelated cache lines, and
/// dropping a memtable means freeing a million objects one by one.
///
/// An arena turns all of that around, as LevelDB's does:
///
/// - **No per-node malloc.** A node is a range of bytes inside a chunk;
///   allocating it is an addition and a comparison.
/// - **No reference counting.** Nodes point at each other by `UInt32`
///   offsets, which are plain integers: following one is a table lookup and
///   an add, and there is nothing to retain or release.
/// - **Locality.** Nodes written one after another sit next to each other,
///   key and value bytes inside the node, with no header between them.
/// - **One free.** The memtable's whole life ends in `deinit`, which frees a
///   handful of chunks.
///
/// The price: nothing in the arena can be freed on its own. That is exactly
/// the memtable's life cycle (it only grows, then is written out and dropped
/// whole), and the reason the arena suits it.
///
/// ## Offsets
///
/// An offset is a `UInt32` "logical address". The logical space is cut into
/// slots of `chunkSize` bytes; a fixed table, allocated once in `init` and
/// never reallocated, maps a slot to the memory behind it:
///
/// ```
///   offset = slot · chunkSize + position
///   address = table[offset >> log2(chunkSize)] + (offset & (chunkSize − 1))
/// ```
///
/// A standard chunk fills one slot. An allocation bigger than a quarter of a
/// chunk gets a chunk of its own, exactly its size, which takes as many
/// consecutive slots as it needs (slot k of it maps to its base + k ·
/// chunkSize), so the same formula finds every byte of it. Slot 0 is never
/// used, so offset 0 is free to mean "no node".
///
/// Why `UInt32` and not `UInt64` or a raw pointer? A node stores one offset
/// per level of its tower, so the width is paid on every link: four bytes
/// instead of eight saves about 5 bytes a node on average (towers average
/// 4/3 levels) and 48 on the head. Modest, but free: a memtable is flushed
/// at a few MiB (LevelDB's default write buffer is 4 MiB), so the 4 GiB an
/// offset can reach is three orders of magnitude of headroom, and the wider
/// offset would buy nothing. Unlike a pointer, an offset also stays
/// meaningful if the arena is ever written to a file or mapped elsewhere.
///
/// ## Concurrency
///
/// `allocate` is for the one writer. Readers only turn offsets into
/// addresses (`pointer(at:)`), and only offsets they found through a node
/// the writer had already published with a releasing store. The writer
/// filled the table slot before it allocated anything in it, so the
/// reader's acquiring load of the link also makes the slot visible. That is
/// why the table must never be reallocated (a reader could be reading the
/// old copy while it is freed) and why chunks never move.
/// The counters are atomics so that any thread may read them.
public final class Arena: @unchecked Sendable {
  // @unchecked: the mutable bump state (`cursor`, `limit`, `nextSlot`,
  // `chunks`) is touched only by the single writer, which the skip list's
  // contract guarantees; readers touch only `table` entries that were
  // published to them as described above, and the atomic counters.

  /// The size of a standard chunk: 1 MiB.
  public static let defaultChunkSize = 1 << 20

  /// Bytes in a standard chunk, a power of two.
  public let chunkSize: Int
  private let slotShift: UInt32
  private let slotMask: UInt32
  private let slotCount: Int
  /// The slot table: the base address behind each slot, `nil` until used.
  private let table: UnsafeMutablePointer<UnsafeMutableRawPointer?>

  // Writer-only bump state, in logical offsets (UInt64 so that the end of
  // the 4 GiB space is representable).
  private var cursor: UInt64 = 0
  private var limit: UInt64 = 0
  private var nextSlot = 1
  private var chunks: [UnsafeMutableRawPointer] = []

  private let used = ManagedAtomic<Int>(0)
  private let reserved = ManagedAtomic<Int>(0)
  private let chunkTotal = ManagedAtomic<Int>(0)

  /// Makes an empty arena; no chunk is allocated until the first `allocate`.
  ///
  /// - Parameter chunkSize: bytes in a standard chunk, a power of two from
  ///   64 KiB to 256 MiB. The slot table costs `8 · 4 GiB / chunkSize` bytes
  ///   (32 KiB for the default 1 MiB).
  public init(chunkSize: Int = Arena.defaultChunkSize) {
    precondition(
      chunkSize.nonzeroBitCount == 1 && chunkSize >= 1 << 16 && chunkSize <= 1 << 28,
      "arena chunk size must be a power of two from 64 KiB to 256 MiB")
    self.chunkSize = chunkSize
    slotShift = UInt32(chunkSize.trailingZeroBitCount)
    slotMask = UInt32(chunkSize - 1)
    slotCount = (1 << 32) / chunkSize
    table = .allocate(capacity: slotCount)
    table.initialize(repeating: nil, count: slotCount)
  }

  deinit {
    for chunk in chunks { chunk.deallocate() }
    table.deallocate()
  }

  /// Bytes handed out by `allocate`, alignment padding included.
  public var bytesUsed: Int { used.load(ordering: .relaxed) }

  /// Bytes obtained from the system: the sum of the chunk sizes.
  public var bytesReserved: Int { reserved.load(ordering: .relaxed) }

  /// Chunks obtained from the system (standard and oversized).
  public var chunkCount: Int { chunkTotal.load(ordering: .relaxed) }

  // snippet: arena-allocate
  /// Reserves `size` bytes aligned to `alignment` and returns their offset.
  ///
  /// The fast path is a bump pointer: round the cursor up to the alignment,
  /// and if the bytes fit in the current chunk, move the cursor past them.
  /// Only when they do not fit does the arena go to the system.
  ///
  /// REQUIRES: one caller at a time (the skip list's single writer).
  ///
  /// - Parameters:
  ///   - size: bytes to reserve, at least 1.
  ///   - alignment: a power of two, at most 16.
  /// - Returns: an offset, never 0, valid until the arena is freed.
  /// - Complexity: O(1).
  public func allocate(_ size: Int, alignment: Int = 8) -> UInt32 {
    precondition(size > 0 && alignment.nonzeroBitCount == 1 && alignment <= 16)
    let mask = UInt64(alignment - 1)
    let start = (cursor + mask) & ~mask
    if start + UInt64(size) <= limit {
      used.wrappingIncrement(by: Int(start - cursor) + size, ordering: .relaxed)
      cursor = start + UInt64(size)
      return UInt32(start)
    }
    return allocateInNewChunk(size)
  }
  // end snippet

  /// The slow path: a big allocation gets a chunk of its own; a small one
  /// starts a new standard chunk and abandons the rest of the current one
  /// (less than a quarter of a chunk, since anything bigger went the other
  /// way), as LevelDB's arena does.
  private func allocateInNewChunk(_ size: Int) -> UInt32 {
    if size > chunkSize / 4 {
      let offset = addChunk(byteCount: size)
      used.wrappingIncrement(by: size, ordering: .relaxed)
      return offset
    }
    let offset = addChunk(byteCount: chunkSize)
    cursor = UInt64(offset) + UInt64(size)
    limit = UInt64(offset) + UInt64(chunkSize)
    used.wrappingIncrement(by: size, ordering: .relaxed)
    return offset
  }

  /// Allocates a chunk of `byteCount` bytes, maps it into the next free
  /// slots and returns the offset of its first byte.
  private func addChunk(byteCount: Int) -> UInt32 {
    let slots = (byteCount + chunkSize - 1) / chunkSize
    precondition(
      nextSlot + slots <= slotCount,
      "arena exhausted: a memtable outgrew the 4 GiB its 32-bit offsets can address")
    let base = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 16)
    chunks.append(base)
    for k in 0..<slots { table[nextSlot + k] = base + k * chunkSize }
    let offset = UInt32(nextSlot) << slotShift
    nextSlot += slots
    reserved.wrappingIncrement(by: byteCount, ordering: .relaxed)
    chunkTotal.wrappingIncrement(ordering: .relaxed)
    return offset
  }

  /// The address of the byte at `offset`.
  ///
  /// REQUIRES: `offset` was returned by `allocate` (or lies inside such an
  /// allocation), and the caller learned of it through a publication the
  /// writer made after allocating it.
  @inline(__always)
  public func pointer(at offset: UInt32) -> UnsafeMutableRawPointer {
    table[Int(offset >> slotShift)]! + Int(offset & slotMask)
  }

  /// Whether `offset` falls in a slot that has memory behind it: a cheap
  /// sanity check for `SkipList.checkInvariants`, which must report a bad
  /// offset rather than follow it.
  public func isMapped(_ offset: UInt32) -> Bool {
    let slot = Int(offset >> slotShift)
    return offset != 0 && slot < slotCount && table[slot] != nil
  }
}
