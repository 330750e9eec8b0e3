// Planning a crash: what the next boot finds, decided from the model.

/// The rewrite of the wrapped file system that a crash performs, and the
/// losses it causes.
///
/// Built in two phases so that no rewrite destroys content another one still
/// needs: `build` reads everything it needs and decides, `apply` writes.
struct CrashPlan {
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
