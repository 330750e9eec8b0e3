// The durability model behind `PowerCutFileSystem`: inodes, directory
// entries, and what of each is durable.

typealias InodeID = Int

/// A file apart from its names. Its current content is in the wrapped file
/// system under `currentPath`, or in `detached` when it has no name left.
struct Inode {
  /// Leading bytes of the current content that equal the durable content.
  var agree: Int
  /// Durable bytes past `agree` that the current content no longer has.
  var durableSuffix: Bytes = []
  /// The file's name now, if it has one.
  var currentPath: String?
  /// The current content of a file that lost its last name while a durable
  /// name still points at it.
  var detached: Bytes? = nil

  var durableSize: Int { agree + durableSuffix.count }

  /// INVARIANT: `agree <= currentSize`.
  func currentSize(in base: any FileSystem) throws(FileSystemError) -> Int {
    if let detached { return detached.count }
    guard let currentPath else { return 0 }
    return try base.fileSize(currentPath)
  }

  func currentContent(in base: any FileSystem) throws(FileSystemError) -> Bytes {
    if let detached { return detached }
    guard let currentPath else { return [] }
    return try base.readFile(currentPath)
  }

  /// Whether a power cut would leave exactly the current content.
  func isDurable(in base: any FileSystem) -> Bool {
    durableSuffix.isEmpty && (try? currentSize(in: base)) == agree
  }
}

/// A directory's two name tables.
struct Directory {
  /// The names now.
  var current: [String: InodeID]
  /// The names as of the last directory sync (or of registration).
  var durable: [String: InodeID]

  var allNames: [String] { Set(current.keys).union(durable.keys).sorted() }
}

/// Everything behind the lock.
struct Model {
  var inodes: [InodeID: Inode] = [:]
  var directories: [String: Directory] = [:]
  var nextInode: InodeID = 1
  /// Bumped by every crash; handles remember the epoch they were opened in.
  var epoch = 0

  var operationCount = 0
  var operationsUntilPowerCut: Int?
  /// The `n` of the last `schedulePowerCut(afterOperations:)`, for the trace.
  var operationsArmed = 0
  var isPoweredOff = false

  /// File and directory syncs attempted so far, to number them for faults.
  var syncCount = 0
  var failingSyncs: Set<Int> = []
  var tearNextWrite: Int?
  var ignoresDirectorySyncs = false
  var bitFlips: [String: [Int: UInt8]] = [:]

  /// Starts tracking `directory`, taking what the wrapped file system holds
  /// there now as durable.
  mutating func register(_ directory: String, in base: any FileSystem) {
    guard directories[directory] == nil else { return }
    var names: [String: InodeID] = [:]
    // A directory that does not exist (yet) has no names.
    for name in (try? base.listDirectory(directory)) ?? [] {
      let path = joinPath(directory, name)
      names[name] = newInode(agree: (try? base.fileSize(path)) ?? 0, currentPath: path)
    }
    directories[directory] = Directory(current: names, durable: names)
  }

  mutating func newInode(agree: Int, currentPath: String) -> InodeID {
    let id = nextInode
    nextInode += 1
    inodes[id] = Inode(agree: agree, currentPath: currentPath)
    return id
  }

  /// The durable bytes a cut to `size` would destroy: `current[size..<agree]`
  /// (empty if the cut is above `agree`). Read before the cut, saved after
  /// it by `truncated`.
  func durableBytesCut(from id: InodeID, to size: Int, in base: any FileSystem) throws(FileSystemError) -> Bytes {
    let inode = inodes[id]!
    guard size < inode.agree, let path = inode.currentPath else { return [] }
    let file = try base.openReadable(path)
    defer { try? file.close() }
    return try file.read(at: size, count: inode.agree - size)
  }

  /// Records a cut to `size`: the durable bytes it destroyed move to the
  /// front of the suffix, and only `size` bytes can still agree.
  mutating func truncated(_ id: InodeID, to size: Int, saving saved: Bytes) {
    guard size < inodes[id]!.agree else { return }
    inodes[id]!.durableSuffix = saved + inodes[id]!.durableSuffix
    inodes[id]!.agree = size
  }

  /// Whether any directory's durable table names `id`.
  func isDurablyNamed(_ id: InodeID) -> Bool {
    directories.values.contains { $0.durable.values.contains(id) }
  }

  /// What to keep of a file that is about to lose its current name: its
  /// current content if a durable name still points at it (a crash would
  /// bring it back), else nothing.
  func contentToKeep(whenUnlinking id: InodeID, in base: any FileSystem) throws(FileSystemError) -> Bytes? {
    guard isDurablyNamed(id) else { return nil }
    return try inodes[id]!.currentContent(in: base)
  }

  /// Records that `id` lost its current name.
  mutating func unlinked(_ id: InodeID, keeping content: Bytes?) {
    guard let content else {
      inodes[id] = nil
      return
    }
    inodes[id]!.currentPath = nil
    inodes[id]!.detached = content
  }

  /// Forgets a file that has neither a current nor a durable name: no crash
  /// can bring it back.
  mutating func forgetIfUnreachable(_ id: InodeID) {
    guard let inode = inodes[id], inode.currentPath == nil, !isDurablyNamed(id) else { return }
    inodes[id] = nil
  }

  /// Counts a sync and throws if it is one that was told to fail.
  mutating func injectedSyncFailure(path: String, events: inout [TraceEvent]) throws(FileSystemError) {
    syncCount += 1
    guard failingSyncs.remove(syncCount) != nil else { return }
    events.append(
      TraceEvent(
        component: .fs, action: "fault", subject: splitPath(path).name,
        details: "injected sync failure: nothing was made durable",
        why: "disks fail; an engine must not acknowledge a write whose sync failed"))
    throw FileSystemError(.injected, operation: "fsync", path: path, message: "sync failure")
  }

  func status(of name: String, in directory: String, base: any FileSystem) -> FileStatus? {
    let path = joinPath(directory, name)
    let table = directories[directory]!
    if let id = table.current[name], let inode = inodes[id] {
      let nameIsDurable = table.durable[name] == id
      return FileStatus(
        path: path, exists: true, size: (try? inode.currentSize(in: base)) ?? 0, durableSize: inode.durableSize,
        nameIsDurable: nameIsDurable, isDurable: nameIsDurable && inode.isDurable(in: base))
    }
    guard let id = table.durable[name], let inode = inodes[id] else { return nil }
    return FileStatus(
      path: path, exists: false, size: 0, durableSize: inode.durableSize, nameIsDurable: true, isDurable: false)
  }

  /// After a crash: every name and byte is durable again, tracked afresh
  /// from the wrapped file system as directories are touched; the power is
  /// back on.
  mutating func restart() {
    inodes = [:]
    directories = [:]
    epoch += 1
    isPoweredOff = false
    operationsUntilPowerCut = nil
  }
}
