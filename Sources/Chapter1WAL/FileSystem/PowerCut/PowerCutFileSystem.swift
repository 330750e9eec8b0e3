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

  private let state = Locked(Model())
  /// Locks taken through this layer: a power cut ends the processes that
  /// held them, so `crash()` releases them.
  private let locks = Locked<[any FileLock]>([])

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
        model.operationsArmed = n
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

  /// Locks the file underneath, then writes the holder's pid into it again
  /// through the model (synced), so that the file is what a power cut
  /// would leave.
  public func lock(_ path: String) throws(FileSystemError) -> any FileLock {
    let lock = try base.lock(path)
    do {
      try writeFile(path, ProcessIdentity.lockContents, sync: true)
    } catch {
      lock.release()
      throw error
    }
    locks.withLock { $0.append(lock) }
    return lock
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
    for lock in locks.withLock({ $0.drained() }) { lock.release() }
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
  func append(
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
  func sync(_ kind: SyncKind, through opened: OpenedFile, path: String) throws(FileSystemError) {
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
  func isCurrent(_ epoch: Int) -> Bool { state.withLock { $0.epoch == epoch } }

  /// The bit flips to apply to reads of `path`; throws if the handle is from
  /// before a crash.
  func bitFlips(for path: String, epoch: Int) throws(FileSystemError) -> [Int: UInt8] {
    try state.withLock { model throws(FileSystemError) in
      guard model.epoch == epoch else { throw FileSystemError(.closed, operation: "pread", path: path) }
      return model.bitFlips[path] ?? [:]
    }
  }

  /// Runs a mutating operation under the lock: refuses it while the power is
  /// off, and counts it (and maybe cuts the power) once it has succeeded.
  private func mutate<Result>(
    _ operation: String, _ path: String,
    _ body: (inout Model, inout [TraceEvent]) throws(FileSystemError) -> Result
  ) throws(FileSystemError) -> Result {
    var events: [TraceEvent] = []
    defer { for event in events { tracer.emit(event) } }
    return try state.withLock { model throws(FileSystemError) -> Result in
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
              details: "the power goes out after this \(operation), operation \(model.operationsArmed) of the "
                + "\(Format.plural(model.operationsArmed, "operation")) armed (writes, syncs, renames and removals count)"
            ))
        }
      }
      return result
    }
  }
}

extension Array {
  /// Empties the array and returns what it held.
  fileprivate mutating func drained() -> [Element] {
    defer { removeAll() }
    return self
  }
}
