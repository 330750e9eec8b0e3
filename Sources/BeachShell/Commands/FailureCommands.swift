import Chapter1WAL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `sync`, `crash`, `reopen`, `corrupt`: the failures a durable engine must
/// survive, on demand.
extension Shell {
  static let failureCommands: [Command] = [
    Command(
      name: "sync", usage: "sync [on|off]", summary: "whether writes are fsynced before `ok` (default on)",
      help: """
        on: each write is acknowledged only after the log is synced (fdatasync), \
        so it survives a power cut. off: writes are acknowledged as soon as they \
        are in the page cache; they survive the process dying but a power cut \
        (`crash`) may lose them. Without an argument, prints the setting.
        """,
      arity: 0...1, completions: [.words(["on", "off"])]
    ) { shell, arguments in
      if !arguments.isEmpty { shell.syncWrites = try arguments.choice(0, ["on", "off"]) == "on" }
      shell.say("sync \(shell.syncWrites ? "on" : "off")")
    },
    Command(
      name: "crash", usage: "crash [tear N]", summary: "cut the power, then recover",
      help: """
        Simulates a power cut: the engine is abandoned without closing, every \
        byte written but not synced is lost and every file name created since \
        the last directory sync disappears (the trace lists each loss); then \
        the database is opened again with recovery traced.
        crash tear N keeps the first N unsynced bytes of each file instead, as \
        when the disk had written part of the last write: a torn write, which \
        recovery must cut off.
        """,
      arity: 0...2, completions: [.words(["tear"]), .none]
    ) { shell, arguments in
      var mode = CrashMode.dropUnsynced
      if !arguments.isEmpty {
        guard arguments.count == 2, arguments.text(0) == "tear" else { throw ShellError.usage(arguments.command) }
        mode = .keepUnsynced(bytes: try arguments.integer(1, "N"))
      }
      try shell.crash(mode)
    },
    Command(
      name: "reopen", usage: "reopen", summary: "close cleanly and open again (recovery traced)",
      help: """
        Closes the engine (no power cut: nothing is lost) and opens the database \
        again, replaying the log with the trace on. After `corrupt`, this is \
        where recovery refuses a damaged log.
        """,
      arity: 0...0
    ) { shell, _ in
      try shell.closeEngine()
      if shell.openEngine() { shell.say("ok  reopened: \(shell.engine!.summary)") }
    },
    Command(
      name: "corrupt", usage: "corrupt FILE OFFSET", summary: "flip one byte of a file on disk",
      help: """
        XORs the byte at OFFSET of FILE (a name in the database directory) with \
        0xff, on disk, behind the engine's back: bit rot. Prints the old and new \
        byte. Doing it again at the same offset restores the file. `reopen` then \
        shows what recovery makes of the damage.
        """,
      arity: 2...2, completions: [.databaseFile, .none]
    ) { shell, arguments in
      let name = try shell.databaseFile(arguments.text(0))
      let offset = try arguments.integer(1, "OFFSET")
      let (old, new) = try shell.flipByte(of: name, at: offset)
      shell.say("ok  \(name) @ \(offset): 0x\(Hexdump.hex(Int(old), width: 2)) → 0x\(Hexdump.hex(Int(new), width: 2))")
    },
    Command(
      name: "fault", usage: "fault dirsync-ignored|sync-fails [N]|power-cut-after N|clear",
      summary: "inject a file-system fault into the power-cut layer",
      help: """
        fault dirsync-ignored: from now on, directory syncs succeed without \
        making any file name durable, as if the engine had forgotten the call \
        (or the disk lied). Files created afterwards vanish in a `crash`.
        fault sync-fails [N]: the Nth file or directory sync from now (default \
        the next) fails; the engine must refuse further writes.
        fault power-cut-after N: the power goes after N more file-system \
        operations (writes, syncs, renames, removals): whatever the next \
        command was doing stops there, half done. Then `crash` reboots and \
        recovers. With `trace steps` you can count the operations of a flush \
        and cut the power between any two of them.
        fault clear: disarm every fault.
        """,
      arity: 1...2, completions: [.words(["dirsync-ignored", "sync-fails", "power-cut-after", "clear"]), .none]
    ) { shell, arguments in
      switch try arguments.choice(0, ["dirsync-ignored", "sync-fails", "power-cut-after", "clear"]) {
      case "power-cut-after":
        guard arguments.count == 2 else { throw ShellError.usage(arguments.command) }
        let n = try arguments.integer(1, "N", in: 0...1_000_000)
        shell.fileSystem.schedulePowerCut(afterOperations: n)
        shell.say("ok  the power goes after \(Format.plural(n, "more file-system operation"))")
      case "dirsync-ignored":
        guard arguments.count == 1 else { throw ShellError.usage(arguments.command) }
        shell.fileSystem.ignoreDirectorySyncs()
        shell.say("ok  directory syncs are now ignored: new file names will not survive a crash")
      case "sync-fails":
        let n = arguments.count == 2 ? try arguments.integer(1, "N", in: 1...1_000_000) : 1
        shell.fileSystem.failSync(number: n)
        shell.say("ok  sync number \(n) from now will fail")
      default:
        guard arguments.count == 1 else { throw ShellError.usage(arguments.command) }
        shell.fileSystem.clearFaults()
        shell.say("ok  no faults armed")
      }
    },
    Command(
      name: "wipe", usage: "wipe", summary: "delete the database's files; `reopen` starts afresh",
      help: """
        Closes the engine and removes every file of the database (the names \
        its engines make: logs, tables, manifests, CURRENT), durably (the \
        directory is synced, unless `fault dirsync-ignored` is armed). Any \
        other file stays. No database is open afterwards: arm a fault first \
        if you like, then `reopen` creates a new, empty one.
        """,
      arity: 0...0
    ) { shell, _ in
      try shell.closeEngine()
      let names = try shell.fileSystem.listDirectory(shell.directory)
      let owned = names.filter(Shell.ownsFile)
      for name in owned { try shell.fileSystem.removeFile(joinPath(shell.directory, name)) }
      try shell.fileSystem.syncDirectory(shell.directory)
      shell.openFailure = "wiped; `reopen` creates a new database"
      let kept = names.count - owned.count
      shell.say(
        "ok  removed \(Format.plural(owned.count, "file")); no database open (`reopen` starts afresh)"
          + (kept > 0 ? "; kept \(Format.plural(kept, "file")) beach did not make" : ""))
    },
  ]

  /// Cuts the power under the engine and opens the database again.
  ///
  /// The old engine is abandoned, not closed: a power cut gives it no chance
  /// to tidy up. Its handles die with the crash; they are released afterwards
  /// only so the process does not leak descriptors.
  func crash(_ mode: CrashMode) throws {
    let abandoned = engine
    engine = nil
    if let abandoned { noteEndedHandles(of: abandoned) }
    let report: CrashReport
    do {
      report = try fileSystem.crash(mode)
    } catch {
      openFailure = "the power cut could not be simulated: \(describe(error)); try reopen"
      throw error
    }
    try? abandoned?.store.close()  // releases descriptors; throws `.closed`, as a dead machine's handles do
    let lost = report.losses.filter(\.losesData).count
    let undone = report.losses.count - lost
    let summary =
      (lost == 0 ? "nothing lost" : "\(lost) loss\(lost == 1 ? "" : "es")")
      + (undone == 0 ? "" : ", \(undone) removal or rename undone")
    if openEngine() { say("ok  power cut (\(summary)); recovered: \(engine!.summary)") }
  }

  /// The files in the database directory with what a power cut would leave
  /// of each: what `files` prints.
  func fileLines() -> [String] {
    var lines: [String] = []
    let files = fileSystem.files(in: directory)
    let width = files.map(\.name.count).max() ?? 0
    for file in files {
      let name = file.name + String(repeating: " ", count: width - file.name.count)
      guard file.exists else {
        lines.append("\(name)  (gone, but not durably: a power cut would bring it back with \(file.durableSize) B)")
        continue
      }
      var line = "\(name)  \(file.size) B  "
      let lost = file.size - file.durableSize
      if file.durableSize == file.size {
        line += "all bytes durable"
      } else if lost > 0 {
        line += "\(file.durableSize) B durable, \(lost) B not"
      } else {
        line += "\(file.durableSize) B durable content differs (cut since its last sync)"
      }
      line += file.nameIsDurable ? ", name durable" : ", name NOT durable (a power cut removes the file)"
      lines.append(line)
    }
    lines.append("(\(files.count) file\(files.count == 1 ? "" : "s"))")
    return lines
  }

  /// XORs one byte of a file with 0xff, directly on disk (not through the
  /// power-cut layer: this is damage to bytes the disk already holds).
  ///
  /// - Returns: the byte before and after.
  func flipByte(of name: String, at offset: Int) throws -> (old: UInt8, new: UInt8) {
    let descriptor = open(path(of: name), O_RDWR)
    guard descriptor >= 0 else {
      throw ShellError(
        errno == ENOENT ? "no file \(name) in the database directory" : "cannot open \(name): errno \(errno)")
    }
    defer { close(descriptor) }
    var byte: UInt8 = 0
    let read = pread(descriptor, &byte, 1, off_t(offset))
    guard read == 1 else {
      let size = lseek(descriptor, 0, SEEK_END)
      throw ShellError("offset \(offset) is past the end of \(name) (\(size) bytes)")
    }
    var flipped = byte ^ 0xFF
    guard pwrite(descriptor, &flipped, 1, off_t(offset)) == 1, fsync(descriptor) == 0 else {
      throw ShellError("cannot write \(name): errno \(errno)")
    }
    return (byte, flipped)
  }
}
