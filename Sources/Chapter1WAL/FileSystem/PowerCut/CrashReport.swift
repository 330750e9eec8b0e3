// What a power cut may do, and what it did: the crash modes, the report of
// losses, and the durability status of a file.

/// What a power cut does to bytes that were written but not synced.
///
/// Every mode is a legal outcome under POSIX: the disk may have written any
/// prefix of the unsynced tail of a file before the power went (sectors are
/// written in order here; real disks may reorder them, which a checksum
/// catches all the same).
public enum CrashMode: Sendable, Equatable {
  /// Every unsynced byte is lost: the worst case, and the default.
  case dropUnsynced
  /// The first `bytes` bytes of each file's unsynced tail survive: a torn
  /// write.
  case keepUnsynced(bytes: Int)
  /// Every unsynced byte of a file whose name is durable survives, as if
  /// the page cache had been written out just before the cut.
  case keepAllUnsynced
  /// Each file keeps a prefix of its unsynced tail of a length drawn from a
  /// generator seeded with `seed`: the same seed, the same outcome.
  case random(seed: UInt64)
}

/// What a crash took away.
public struct CrashReport: Sendable, Equatable, CustomStringConvertible {
  /// One entry per lost byte range or name, in path order.
  public var losses: [Loss]

  public init(losses: [Loss]) { self.losses = losses }

  /// The losses of the file at `path` (or with that name).
  public func losses(of path: String) -> [Loss] {
    losses.filter { $0.path == path || $0.name == path }
  }

  /// One line per loss, or "nothing lost".
  public var description: String {
    losses.isEmpty ? "nothing lost" : losses.map(\.description).joined(separator: "\n")
  }

  /// One thing a crash did not keep.
  public struct Loss: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
      /// The unsynced tail, `lost` bytes, was dropped; the file keeps its
      /// `durable` synced bytes.
      case unsyncedBytesDropped(lost: Int, durable: Int)
      /// Only the first `kept` of the `of` unsynced bytes survived.
      case tornWrite(kept: Int, of: Int)
      /// The file was cut or rewritten since its last sync and is back to its
      /// durable content: `from` bytes before the crash, `to` after.
      case contentReverted(from: Int, to: Int)
      /// The file's name was never made durable, so the file is gone with its
      /// `size` bytes.
      case removed(size: Int)
      /// The file had been removed, but not durably: it is back.
      case restored
      /// The file had been renamed to `to`, but not durably: it is back
      /// under its old name (this one).
      case renameUndone(to: String)
      /// A rename had replaced this file, but not durably: the old file is
      /// back under this name.
      case replacementUndone
    }

    /// The file's path, as the engine named it.
    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
      self.path = path
      self.kind = kind
    }

    /// The file's name, without its directory: what traces show.
    public var name: String { splitPath(path).name }

    /// Whether the crash took bytes or a file away, rather than bringing
    /// back one that had been removed or renamed (a change undone loses no
    /// data, though recovery may have to undo it again).
    public var losesData: Bool {
      switch kind {
      case .unsyncedBytesDropped, .tornWrite, .contentReverted, .removed: true
      case .restored, .renameUndone, .replacementUndone: false
      }
    }

    /// What happened, in words: `lost 38 unsynced bytes (kept 512 durable)`.
    public var details: String {
      switch kind {
      case .unsyncedBytesDropped(let lost, let durable):
        "lost \(Format.plural(lost, "unsynced byte")) (kept \(durable) durable)"
      case .tornWrite(let kept, let total): "torn: kept \(kept) of \(Format.plural(total, "unsynced byte"))"
      case .contentReverted(let from, let to):
        "reverted to its \(Format.plural(to, "durable byte")) (was \(Format.plural(from, "byte")), not synced)"
      case .removed(let size):
        "removed (\(Format.plural(size, "byte"))): its name was never made durable by a directory sync"
      case .restored: "restored: its removal was never made durable by a directory sync"
      case .renameUndone(let target): "rename to \(target) undone"
      case .replacementUndone: "old file back: the rename over it was never made durable by a directory sync"
      }
    }

    /// Why a power cut does this; shown by `trace explain`.
    public var why: String {
      switch kind {
      case .unsyncedBytesDropped:
        "written bytes wait in the page cache, which is memory, until an fsync puts them on the disk"
      case .tornWrite:
        "the disk had written part of the unsynced tail when the power went: a torn write"
      case .contentReverted:
        "the file was cut since its last fsync; the disk still holds the synced bytes"
      case .removed:
        "fsync on a file saves its bytes, not its name: the name lives in the directory, which was not fsynced"
      case .restored, .renameUndone, .replacementUndone:
        "names are the directory's content: a change to them is durable only after fsync on the directory"
      }
    }

    /// `name: details`.
    public var description: String { "\(name): \(details)" }
  }
}

/// The durability of one file, for the shell's `files` command.
public struct FileStatus: Sendable, Equatable {
  /// The file's path.
  public var path: String
  /// Whether a file has this name now. `false` for a file removed or renamed
  /// away without a directory sync, which a power cut would bring back.
  public var exists: Bool
  /// Bytes in the file now (0 if it does not exist).
  public var size: Int
  /// Bytes of the file's durable content: what a power cut would leave of it
  /// (if its name survives).
  public var durableSize: Int
  /// Whether the directory's durable table maps this name to this file.
  public var nameIsDurable: Bool
  /// Whether a power cut would leave the file exactly as it is.
  public var isDurable: Bool

  /// The file's name, without its directory.
  public var name: String { splitPath(path).name }
}
