// The file handles `PowerCutFileSystem` hands out, which report every
// write and sync to the model.

/// A handle's link to the model: the wrapped handle, the inode it writes,
/// and the epoch it was opened in.
struct OpenedFile {
  let base: any WritableFile
  let inode: InodeID
  let epoch: Int
}

/// A writable file whose writes and syncs go through the model.
final class PowerCutWritableFile: WritableFile {
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
final class PowerCutReadableFile: ReadableFile {
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
