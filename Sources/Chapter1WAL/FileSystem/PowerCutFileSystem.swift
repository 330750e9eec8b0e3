import Synchronization

/// A file system that knows what a power cut would take away.
///
/// `PowerCutFileSystem` wraps another file system (a `MemoryFileSystem` in
/// tests, a `DiskFileSystem` over a real directory in the shell), passes
/// every call through to it, and keeps a second set of books on the side:
/// which bytes and which names are *durable*. Its `crash()` then rewrites the
/// wrapped file system into the state a machine would find on its disk after
/// losing power at that moment, and reports every byte and every name that
/// did not make it.
///
/// ## What survives a power cut
///
/// Read POSIX strictly and a power cut keeps only what was explicitly made
/// durable:
///
/// - `write` copies bytes into the kernel's page cache and returns. The
///   bytes are readable at once, by every process, and survive the process
///   crashing. They do not survive the machine losing power: the page cache
///   is memory.
/// - `fsync` (or `fdatasync`) on a file waits until the file's bytes are on
///   the disk. After it returns, a power cut keeps them.
/// - A file's *name* is not part of the file. It is an entry in the table of
///   names that is the directory's own content. Creating, renaming or
///   removing a file changes that table, and the change is durable only after
///   `fsync` on the *directory*. A new file that was written and fsynced, but
///   whose directory was never fsynced, may vanish whole in a power cut, with
///   all its synced bytes. So may a `rename` that was meant to replace
///   `CURRENT` atomically: the disk may still show the old file under the
///   name.
///
/// Real file systems are often kinder (ext4 in its default mode commits a
/// rename together with the data of the renamed file), but the kindness is
/// not promised, differs between file systems and mount options, and an
/// engine that relies on it loses data on some machine someday. This type
/// models the strict reading, so a test that passes here passes on any
/// POSIX file system.
///
/// ## The books
///
/// Every file is an *inode* (the file itself, apart from its names). Its
/// current content is in the wrapped file system. For each inode the model
/// keeps just enough to rebuild its *durable* content, the bytes a power cut
/// would leave:
///
///     durable content = current[0 ..< agree] + durableSuffix
///
/// - `agree` is the number of leading bytes of the current content known to
///   equal the durable content.
/// - `durableSuffix` holds durable bytes past `agree` that are no longer in
///   the current content.
///
/// The operations keep this true:
///
/// - *append* adds bytes after the end. Nothing durable changes, so neither
///   does `agree`: the new bytes are the unsynced tail, `current[agree...]`.
/// - *sync* makes everything durable: `agree` = current size, suffix empty.
/// - *truncate* to `n` below `agree` is about to destroy durable bytes that
///   exist nowhere else, so it first saves `current[n ..< agree]` in front
///   of the suffix, then sets `agree = n`. (A truncate above `agree` cuts
///   only unsynced bytes and changes nothing.)
/// - an inode that loses its last current name (removed, or replaced by a
///   rename) while some durable name still points at it has its current
///   content copied into the model, since the wrapped file system no longer
///   has it under any name.
///
/// Names are kept per directory in two tables: the current one (what
/// `listDirectory` shows) and the durable one, which becomes a copy of the
/// current one when the directory is synced. Create, rename and remove touch
/// only the current table.
///
/// ## Crashing
///
/// `crash()` walks every directory the model has seen. A name in the durable
/// table comes back with its inode's durable content (plus, in the modes that
/// allow it, some of the unsynced tail: a torn write). A name only in the
/// current table disappears. Then the model starts over: everything is
/// durable again, handles opened before the crash are dead (they throw
/// `.closed`), and the power is back on.
///
/// Directories and files that already exist in the wrapped file system when
/// the model first meets them (the shell opening an existing database) are
/// taken to be durable as they are: the first time a directory is touched,
/// its listing becomes both its current and its durable name table.
///
/// The model does not track directories themselves: a created directory is
/// assumed to survive. Real engines fsync the parent after `mkdir`; the
/// engine in this book creates its one directory before it writes anything.
///
/// ## Power cuts at a chosen moment and other faults
///
/// `schedulePowerCut(afterOperations:)` turns the power off after the next
/// `n` mutating operations (`openWritable`, `append`, `sync`,
/// `syncDirectory`, `rename`, `removeFile`, `truncateFile`,
/// `createDirectory`) have succeeded. Counting the operations of a workload
/// with `operationCount` and then cutting the power after each count in turn
/// visits every crash point of that workload. While the power is off every
/// mutating call, including writes through handles already open, throws
/// `.poweredOff` and changes nothing; reads still work (they see the page
/// cache of the dying machine), and `crash()` decides what the next boot
/// finds.
///
/// `failSync(number:)`, `tearNextWrite(keeping:)` and
/// `flipBitOnRead(path:offset:bit:)` inject the faults an engine must
/// survive. They stay armed across a crash until they fire or `clearFaults()`
/// is called.
///
/// Every call goes through one lock, including the calls to the wrapped file
/// system: this type is for tests and for teaching, not for speed.
public final class PowerCutFileSystem: FileSystem {
  /// The file system that holds the current content.
  public let base: any FileSystem
  /// Where power-cut losses and injected faults are reported (component `fs`).
  public let tracer: Tracer

  private let state = Mutex(Model())

  /// The directory tree the simulation covers, or `nil` for everything.
  public let scope: String?

  /// Wraps `base`. Nothing is tracked until a directory is first touched.
  ///
  /// - Parameter scope: if given, only directories at or below it are
  ///   simulated; calls on other paths go straight to `base`, untracked, and
  ///   a crash never touches them. Over a real disk, always give a scope:
  ///   otherwise syncing a parent such as `/tmp` would put every file in it
  ///   under the simulation, and a crash would rewrite other programs' files.
  public init(wrapping base: any FileSystem, scope: String? = nil, tracer: Tracer = .disabled) {
    self.base = base
    self.scope = scope.map(normalizeDirectory)
    self.tracer = tracer
  }

  /// Whether `directory` is simulated.
  private func simulates(_ directory: String) -> Bool {
    guard let scope else { return true }
    return directory == scope || directory.hasPrefix(scope == "/" ? "/" : scope + "/")
  }

  // MARK: Power and faults

  /// How many mutating operations have succeeded since this object was
  /// made. Crashes do not reset it.
  public var operationCount: Int { state.withLock { $0.operationCount } }

  /// Whether the simulated machine has lost power (until the next `crash()`).
  public var isPoweredOff: Bool { state.withLock { $0.isPoweredOff } }

  /// Turns the power off after `n` more mutating operations succeed; `0`
  /// turns it off now.
  public func schedulePowerCut(afterOperations n: Int) {
    precondition(n >= 0, "REQUIRES: n >= 0")
    state.withLock { model in
      if n == 0 {
        model.isPoweredOff = true
        model.operationsUntilPowerCut = nil
      } else {
        model.operationsUntilPowerCut = n
      }
    }
  }

  /// Makes the `n`th file or directory sync from now (1 = the next one) fail
  /// with `.injected`. That sync makes nothing durable.
  ///
  /// Real kernels are worse: after a failed `fsync` Linux may mark the dirty
  /// pages clean, so a retry "succeeds" without writing them. That is why an
  /// engine treats a failed sync as fatal rather than retrying it.
  public func failSync(number n: Int) {
    precondition(n >= 1, "REQUIRES: n >= 1")
    state.withLock { _ = $0.failingSyncs.insert($0.syncCount + n) }
  }

  /// Makes the next append write only its first `bytes` bytes, then turns
  /// the power off; the append throws `.poweredOff`.
  public func tearNextWrite(keeping bytes: Int) {
    precondition(bytes >= 0, "REQUIRES: bytes >= 0")
    state.withLock { $0.tearNextWrite = bytes }
  }

  /// Makes every read through this file system that covers `offset` of the
  /// file at `path` see bit `bit` (0 = least significant) of that byte
  /// flipped. The stored bytes do not change.
  public func flipBitOnRead(path: String, offset: Int, bit: UInt8) {
    precondition(offset >= 0 && bit < 8, "REQUIRES: offset >= 0 && bit < 8")
    let path = canonical(path)
    state.withLock { model in
      let mask = (model.bitFlips[path]?[offset] ?? 0) ^ (1 << bit)
      model.bitFlips[path, default: [:]][offset] = mask == 0 ? nil : mask
    }
  }

  /// Makes directory syncs succeed without making any name durable, as a
  /// disk that lies about its cache, or an engine that forgot the call, would.
  /// The shell uses it to show what the directory sync is for.
  public func ignoreDirectorySyncs(_ ignore: Bool = true) {
    state.withLock { $0.ignoresDirectorySyncs = ignore }
  }

  /// Disarms every injected fault: failing syncs, the torn write, bit flips,
  /// ignored directory syncs. A scheduled power cut stays scheduled.
  public func clearFaults() {
    state.withLock { model in
      model.failingSyncs = []
      model.tearNextWrite = nil
      model.ignoresDirectorySyncs = false
      model.bitFlips = [:]
    }
  }

  // MARK: FileSystem

  public func createDirectory(_ path: String) throws(FileSystemError) {
    try mutate("mkdir", path) { _, _ throws(FileSystemError) in try base.createDirectory(path) }
  }

  public func fileExists(_ path: String) -> Bool { base.fileExists(path) }

  public func listDirectory(_ path: String) throws(FileSystemError) -> [String] { try base.listDirectory(path) }

  public func fileSize(_ path: String) throws(FileSystemError) -> Int { try base.fileSize(path) }

  public func openWritable(_ path: String, mode: OpenMode) throws(FileSystemError) -> any WritableFile {
    let (directory, name) = locate(path)
    let path = joinPath(directory, name)
    guard simulates(directory) else { return try base.openWritable(path, mode: mode) }
    let opened = try mutate("open", path) { model, _ throws(FileSystemError) -> OpenedFile in
      model.register(directory, in: base)
      if let id = model.directories[directory]!.current[name] {
        guard mode == .truncate else {
          return OpenedFile(base: try base.openWritable(path, mode: mode), inode: id, epoch: model.epoch)
        }
        // O_TRUNC keeps the inode and cuts it to zero: a truncate like any other.
        let saved = try model.durableBytesCut(from: id, to: 0, in: base)
        let file = try base.openWritable(path, mode: mode)
        model.truncated(id, to: 0, saving: saved)
        return OpenedFile(base: file, inode: id, epoch: model.epoch)
      }
      let file = try base.openWritable(path, mode: mode)
      // A file the model did not know but `.append` found was made behind
      // its back; like files found at registration, it counts as durable.
      let id = model.newInode(agree: mode == .append ? file.size : 0, currentPath: path)
      model.directories[directory]!.current[name] = id
      if mode == .append { model.directories[directory]!.durable[name] = id }
      return OpenedFile(base: file, inode: id, epoch: model.epoch)
    }
    return PowerCutWritableFile(fileSystem: self, opened: opened, path: path)
  }

  public func openReadable(_ path: String) throws(FileSystemError) -> any ReadableFile {
    let path = canonical(path)
    let file = try base.openReadable(path)
    return PowerCutReadableFile(fileSystem: self, base: file, epoch: state.withLock { $0.epoch })
  }

  public func rename(_ from: String, to: String) throws(FileSystemError) {
    let (fromDirectory, fromName) = locate(from)
    let (toDirectory, toName) = locate(to)
    let from = joinPath(fromDirectory, fromName)
    let to = joinPath(toDirectory, toName)
    guard simulates(fromDirectory) || simulates(toDirectory) else { return try base.rename(from, to: to) }
    try mutate("rename", from) { model, _ throws(FileSystemError) in
      model.register(fromDirectory, in: base)
      model.register(toDirectory, in: base)
      guard let id = model.directories[fromDirectory]!.current[fromName], from != to else {
        try base.rename(from, to: to)
        return
      }
      let replaced = model.directories[toDirectory]!.current[toName]
      var content: Bytes? = nil
      if let replaced { content = try model.contentToKeep(whenUnlinking: replaced, in: base) }
      try base.rename(from, to: to)
      model.directories[fromDirectory]!.current[fromName] = nil
      model.directories[toDirectory]!.current[toName] = id
      model.inodes[id]!.currentPath = to
      if let replaced { model.unlinked(replaced, keeping: content) }
    }
  }

  public func removeFile(_ path: String) throws(FileSystemError) {
    let (directory, name) = locate(path)
    let path = joinPath(directory, name)
    guard simulates(directory) else { return try base.removeFile(path) }
    try mutate("unlink", path) { model, _ throws(FileSystemError) in
      model.register(directory, in: base)
      guard let id = model.directories[directory]!.current[name] else {
        try base.removeFile(path)
        return
      }
      let content = try model.contentToKeep(whenUnlinking: id, in: base)
      try base.removeFile(path)
      model.directories[directory]!.current[name] = nil
      model.unlinked(id, keeping: content)
    }
  }

  public func truncateFile(_ path: String, to size: Int) throws(FileSystemError) {
    precondition(size >= 0, "REQUIRES: size >= 0")
    let (directory, name) = locate(path)
    let path = joinPath(directory, name)
    guard simulates(directory) else { return try base.truncateFile(path, to: size) }
    try mutate("truncate", path) { model, _ throws(FileSystemError) in
      model.register(directory, in: base)
      guard let id = model.directories[directory]!.current[name] else {
        try base.truncateFile(path, to: size)
        return
      }
      let saved = try model.durableBytesCut(from: id, to: size, in: base)
      try base.truncateFile(path, to: size)
      model.truncated(id, to: size, saving: saved)
    }
  }

  public func syncDirectory(_ path: String) throws(FileSystemError) {
    let directory = normalizeDirectory(path)
    guard simulates(directory) else { return try base.syncDirectory(directory) }
    try mutate("fsync", directory) { model, events throws(FileSystemError) in
      model.register(directory, in: base)
      try model.injectedSyncFailure(path: directory, events: &events)
      try base.syncDirectory(directory)
      if model.ignoresDirectorySyncs {
        events.append(
          TraceEvent(
            component: .fs, action: "fault", subject: "directory sync ignored",
            details: "it returns success, but no name in the directory became durable",
            why: "an injected fault: this is what an engine that forgets the directory sync gets"))
        return
      }
      let before = model.directories[directory]!.durable
      model.directories[directory]!.durable = model.directories[directory]!.current
      for id in before.values { model.forgetIfUnreachable(id) }
    }
  }

  // MARK: Crash

  // snippet: power-cut-crash
  /// Cuts the power (if it is still on) and boots again: rewrites the
  /// wrapped file system to what a disk would hold after a power cut now.
  ///
  /// Afterwards everything on it counts as durable, handles opened before
  /// the crash throw `.closed`, the power is on and no cut is scheduled.
  /// Injected faults stay armed. Each loss is reported to the tracer as an
  /// `fs power-cut` event.
  ///
  /// - Parameter mode: what happens to bytes written but not synced.
  /// - Returns: every loss, in path order; empty if nothing was lost.
  /// - Throws: if the wrapped file system fails while being rewritten; it is
  ///   then left partly rewritten.
  @discardableResult
  public func crash(_ mode: CrashMode = .dropUnsynced) throws(FileSystemError) -> CrashReport {
    let report = try state.withLock { model throws(FileSystemError) -> CrashReport in
      var plan = CrashPlan(mode: mode)
      try plan.build(from: model, base: base)
      try plan.apply(to: base)
      model.restart()
      return CrashReport(losses: plan.losses)
    }
    if report.losses.isEmpty {
      tracer(.fs, "power-cut", "all files", "nothing lost: every byte and every name was durable")
    }
    for loss in report.losses {
      tracer(.fs, "power-cut", loss.name, loss.details, why: loss.why)
    }
    return report
  }
  // end snippet

  // MARK: Introspection

  /// What a power cut would do to the file at `path`, or `nil` if no such
  /// name exists now or would come back after a crash.
  public func status(of path: String) -> FileStatus? {
    let (directory, name) = locate(path)
    return state.withLock { model in
      model.register(directory, in: base)
      return model.status(of: name, in: directory, base: base)
    }
  }

  /// The status of every file in `directory`, by name: the files there now
  /// and the ones a power cut would bring back.
  public func files(in directory: String) -> [FileStatus] {
    let directory = normalizeDirectory(directory)
    return state.withLock { model in
      model.register(directory, in: base)
      let names = model.directories[directory]!.allNames
      return names.compactMap { model.status(of: $0, in: directory, base: base) }
    }
  }

  /// The files in `directory` that a power cut would change.
  public func unsyncedFiles(in directory: String) -> [FileStatus] {
    files(in: directory).filter { !$0.isDurable }
  }

  // MARK: Handles

  /// Appends through a handle, unless the power is off or a torn write is due.
  fileprivate func append(
    _ bytes: UnsafeRawBufferPointer, through opened: OpenedFile, path: String
  ) throws(FileSystemError) {
    try mutate("write", path) { model, events throws(FileSystemError) in
      guard opened.epoch == model.epoch else { throw FileSystemError(.closed, operation: "write", path: path) }
      if let keep = model.tearNextWrite {
        model.tearNextWrite = nil
        let written = UnsafeRawBufferPointer(rebasing: bytes[..<min(keep, bytes.count)])
        try opened.base.append(written)
        model.inodes[opened.inode]?.detached?.append(contentsOf: written)
        model.isPoweredOff = true
        model.operationsUntilPowerCut = nil
        events.append(
          TraceEvent(
            component: .fs, action: "fault", subject: splitPath(path).name,
            details: "torn write: \(written.count) of \(bytes.count) bytes reached the file, then the power went out",
            why: "a disk writes sectors, not appends: a power cut mid-write leaves a prefix"))
        throw FileSystemError(.poweredOff, operation: "write", path: path, message: "torn write")
      }
      try opened.base.append(bytes)
      model.inodes[opened.inode]?.detached?.append(contentsOf: bytes)
    }
  }

  /// Syncs through a handle: afterwards the inode's content is all durable.
  fileprivate func sync(_ kind: SyncKind, through opened: OpenedFile, path: String) throws(FileSystemError) {
    try mutate("fsync", path) { model, events throws(FileSystemError) in
      guard opened.epoch == model.epoch else { throw FileSystemError(.closed, operation: "fsync", path: path) }
      try model.injectedSyncFailure(path: path, events: &events)
      try opened.base.sync(kind)
      guard var inode = model.inodes[opened.inode] else { return }
      inode.agree = try inode.currentSize(in: base)
      inode.durableSuffix = []
      model.inodes[opened.inode] = inode
    }
  }

  /// Whether handles from `epoch` are still alive.
  fileprivate func isCurrent(_ epoch: Int) -> Bool { state.withLock { $0.epoch == epoch } }

  /// The bit flips to apply to reads of `path`; throws if the handle is from
  /// before a crash.
  fileprivate func bitFlips(for path: String, epoch: Int) throws(FileSystemError) -> [Int: UInt8] {
    try state.withLock { model throws(FileSystemError) in
      guard model.epoch == epoch else { throw FileSystemError(.closed, operation: "pread", path: path) }
      return model.bitFlips[path] ?? [:]
    }
  }

  /// Runs a mutating operation under the lock: refuses it while the power is
  /// off, and counts it (and maybe cuts the power) once it has succeeded.
  private func mutate<Result>(
    _ operation: String, _ path: String,
    _ body: (inout Model, inout [TraceEvent]) throws(FileSystemError) -> sending Result
  ) throws(FileSystemError) -> sending Result {
    var events: [TraceEvent] = []
    defer { for event in events { tracer.emit(event) } }
    return try state.withLock { model throws(FileSystemError) -> sending Result in
      guard !model.isPoweredOff else { throw FileSystemError(.poweredOff, operation: operation, path: path) }
      let result = try body(&model, &events)
      model.operationCount += 1
      if let remaining = model.operationsUntilPowerCut {
        model.operationsUntilPowerCut = remaining > 1 ? remaining - 1 : nil
        if remaining <= 1 {
          model.isPoweredOff = true
          events.append(
            TraceEvent(
              component: .fs, action: "power-off", subject: splitPath(path).name,
              details: "the power goes out after operation \(model.operationCount) (\(operation))"))
        }
      }
      return result
    }
  }
}

// MARK: - Crash modes and reports

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

    /// What happened, in words: `lost 38 unsynced bytes (kept 512 durable)`.
    public var details: String {
      switch kind {
      case .unsyncedBytesDropped(let lost, let durable):
        "lost \(plural(lost, "unsynced byte")) (kept \(durable) durable)"
      case .tornWrite(let kept, let total): "torn: kept \(kept) of \(plural(total, "unsynced byte"))"
      case .contentReverted(let from, let to):
        "reverted to its \(plural(to, "durable byte")) (was \(plural(from, "byte")), not synced)"
      case .removed(let size): "removed (\(plural(size, "byte"))): its name was never made durable by a directory sync"
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

// MARK: - The model

private typealias InodeID = Int

/// A file apart from its names. Its current content is in the wrapped file
/// system under `currentPath`, or in `detached` when it has no name left.
private struct Inode {
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
private struct Directory {
  /// The names now.
  var current: [String: InodeID]
  /// The names as of the last directory sync (or of registration).
  var durable: [String: InodeID]

  var allNames: [String] { Set(current.keys).union(durable.keys).sorted() }
}

/// Everything behind the lock.
private struct Model {
  var inodes: [InodeID: Inode] = [:]
  var directories: [String: Directory] = [:]
  var nextInode: InodeID = 1
  /// Bumped by every crash; handles remember the epoch they were opened in.
  var epoch = 0

  var operationCount = 0
  var operationsUntilPowerCut: Int?
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

// MARK: - Planning a crash

/// The rewrite of the wrapped file system that a crash performs, and the
/// losses it causes.
///
/// Built in two phases so that no rewrite destroys content another one still
/// needs: `build` reads everything it needs and decides, `apply` writes.
private struct CrashPlan {
  enum Action {
    case remove
    case truncate(to: Int)
    case write(Bytes)
  }

  let mode: CrashMode
  var actions: [(path: String, action: Action)] = []
  var losses: [CrashReport.Loss] = []
  private var random: SeededGenerator
  private var contents: [InodeID: Bytes] = [:]

  init(mode: CrashMode) {
    self.mode = mode
    if case .random(let seed) = mode {
      random = SeededGenerator(seed: seed)
    } else {
      random = SeededGenerator(seed: 0)
    }
  }

  mutating func build(from model: Model, base: any FileSystem) throws(FileSystemError) {
    for directoryPath in model.directories.keys.sorted() {
      let directory = model.directories[directoryPath]!
      for name in directory.allNames {
        let path = joinPath(directoryPath, name)
        let now = directory.current[name]
        if let was = directory.durable[name] {
          try planDurableName(path, was: was, now: now, model: model, base: base)
        } else if let now {
          // A name only in the current table vanishes. If its file is durable
          // under another name, that name's "rename undone" tells the story.
          actions.append((path, .remove))
          if !model.isDurablyNamed(now) {
            losses.append(.init(path: path, kind: .removed(size: (try? model.inodes[now]!.currentSize(in: base)) ?? 0)))
          }
        }
      }
    }
  }

  /// A name in the durable table comes back with its file's durable content,
  /// plus whatever part of the unsynced tail the mode keeps.
  private mutating func planDurableName(
    _ path: String, was: InodeID, now: InodeID?, model: Model, base: any FileSystem
  ) throws(FileSystemError) {
    let inode = model.inodes[was]!
    if let now, now != was { losses.append(.init(path: path, kind: .replacementUndone)) }
    if inode.currentPath != path {
      if let moved = inode.currentPath {
        losses.append(.init(path: path, kind: .renameUndone(to: splitPath(moved).name)))
      } else if now == nil {
        losses.append(.init(path: path, kind: .restored))
      }
    }

    let size = try inode.currentSize(in: base)
    let inPlace = inode.currentPath == path
    guard inode.durableSuffix.isEmpty else {
      // Cut (and perhaps appended to) since the last sync: the disk holds
      // the durable content, or, if the page cache was all written out, the
      // current one.
      if mode == .keepAllUnsynced {
        if !inPlace { actions.append((path, .write(try content(of: was, inode, base)))) }
      } else {
        let current = try content(of: was, inode, base)
        actions.append((path, .write(Array(current[..<inode.agree]) + inode.durableSuffix)))
        losses.append(.init(path: path, kind: .contentReverted(from: size, to: inode.durableSize)))
      }
      return
    }

    let tail = max(0, size - inode.agree)
    let kept = keptBytes(ofTail: tail)
    if inPlace {
      if kept < tail { actions.append((path, .truncate(to: inode.agree + kept))) }
    } else {
      actions.append((path, .write(Array(try content(of: was, inode, base)[..<(inode.agree + kept)]))))
    }
    if kept < tail {
      let kind: CrashReport.Loss.Kind =
        kept == 0 ? .unsyncedBytesDropped(lost: tail, durable: inode.agree) : .tornWrite(kept: kept, of: tail)
      losses.append(.init(path: path, kind: kind))
    }
  }

  /// How many bytes of an unsynced tail of `tail` bytes survive.
  private mutating func keptBytes(ofTail tail: Int) -> Int {
    switch mode {
    case .dropUnsynced: return 0
    case .keepUnsynced(let bytes): return min(bytes, tail)
    case .keepAllUnsynced: return tail
    case .random: return tail == 0 ? 0 : Int(random.next() % UInt64(tail + 1))
    }
  }

  private mutating func content(of id: InodeID, _ inode: Inode, _ base: any FileSystem) throws(FileSystemError)
    -> Bytes
  {
    if let cached = contents[id] { return cached }
    let content = try inode.currentContent(in: base)
    contents[id] = content
    return content
  }

  func apply(to base: any FileSystem) throws(FileSystemError) {
    for (path, action) in actions {
      switch action {
      case .remove: try base.removeFile(path)
      case .truncate(let size): try base.truncateFile(path, to: size)
      case .write(let bytes): try base.writeFile(path, bytes, sync: false)
      }
    }
  }
}

// MARK: - Handles

/// A handle's link to the model: the wrapped handle, the inode it writes,
/// and the epoch it was opened in.
private struct OpenedFile {
  let base: any WritableFile
  let inode: InodeID
  let epoch: Int
}

/// A writable file whose writes and syncs go through the model.
private final class PowerCutWritableFile: WritableFile {
  let path: String
  private let fileSystem: PowerCutFileSystem
  private let opened: OpenedFile
  private var isClosed = false

  init(fileSystem: PowerCutFileSystem, opened: OpenedFile, path: String) {
    self.fileSystem = fileSystem
    self.opened = opened
    self.path = path
  }

  var size: Int { opened.base.size }

  func append(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
    guard !isClosed else { throw FileSystemError(.closed, operation: "write", path: path) }
    try fileSystem.append(bytes, through: opened, path: path)
  }

  func sync(_ kind: SyncKind) throws(FileSystemError) {
    guard !isClosed else { throw FileSystemError(.closed, operation: "fsync", path: path) }
    try fileSystem.sync(kind, through: opened, path: path)
  }

  /// Closes the wrapped handle. A handle from before a crash is released
  /// too, but the call throws `.closed`: that machine is gone.
  func close() throws(FileSystemError) {
    guard !isClosed else { return }
    isClosed = true
    try opened.base.close()
    guard fileSystem.isCurrent(opened.epoch) else { throw FileSystemError(.closed, operation: "close", path: path) }
  }
}

/// A readable file that applies injected bit flips and dies with a crash.
private final class PowerCutReadableFile: ReadableFile {
  private let fileSystem: PowerCutFileSystem
  private let base: any ReadableFile
  private let epoch: Int

  init(fileSystem: PowerCutFileSystem, base: any ReadableFile, epoch: Int) {
    self.fileSystem = fileSystem
    self.base = base
    self.epoch = epoch
  }

  var path: String { base.path }
  var size: Int { base.size }

  func read(at offset: Int, count: Int) throws(FileSystemError) -> Bytes {
    var bytes = try base.read(at: offset, count: count)
    let flips = try fileSystem.bitFlips(for: path, epoch: epoch)
    for (position, mask) in flips where position >= offset && position < offset + bytes.count {
      bytes[position - offset] ^= mask
      fileSystem.tracer(
        .fs, "fault", splitPath(path).name, "bit flip read at offset \(position) (mask 0x\(String(mask, radix: 16)))",
        why: "disks and buses corrupt bits now and then; checksums are how a reader notices")
    }
    return bytes
  }

  func close() throws(FileSystemError) {
    try base.close()
    guard fileSystem.isCurrent(epoch) else { throw FileSystemError(.closed, operation: "close", path: path) }
  }
}

// MARK: - Paths

/// A path's directory (without a trailing `/`) and name.
private func locate(_ path: String) -> (directory: String, name: String) {
  let (directory, name) = splitPath(normalizeDirectory(path))
  return (normalizeDirectory(directory), name)
}

/// The path the model uses for `path`.
private func canonical(_ path: String) -> String {
  let (directory, name) = locate(path)
  return joinPath(directory, name)
}

/// Drops trailing `/`s, except from the root itself.
private func normalizeDirectory(_ path: String) -> String {
  var path = path
  while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
  return path
}
