import TestSupport
import Testing

@testable import Chapter1WAL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The two file systems that hold bytes, driven through the same tests: the
/// memory one must behave like the disk wherever the engine could tell.
enum FileSystemKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
  case memory
  case disk

  var testDescription: String { rawValue }

  /// Runs `body` with a file system of this kind and an empty directory in
  /// it; the disk's temporary directory is removed afterwards.
  func withDirectory(_ body: (any FileSystem, String) throws -> Void) throws {
    switch self {
    case .memory:
      let fs = MemoryFileSystem()
      try fs.createDirectory("/db")
      try body(fs, "/db")
    case .disk:
      let directory = try TemporaryDirectory(prefix: "beach-fs")
      defer { directory.remove() }
      try body(DiskFileSystem(), directory.path)
    }
  }
}

private func text(_ fs: any FileSystem, _ path: String) throws -> String {
  String(decoding: try fs.readFile(path), as: UTF8.self)
}

@Suite struct FileSystemTests {
  @Test(arguments: FileSystemKind.allCases)
  func createAppendSyncRead(kind: FileSystemKind) throws {
    try kind.withDirectory { fs, dir in
      let path = joinPath(dir, "000001.log")
      let file = try fs.openWritable(path, mode: .createNew)
      #expect(file.path == path)
      #expect(file.size == 0)
      try file.append(Bytes(utf8: "hello"))
      try file.append(Bytes(utf8: ", world"))
      #expect(file.size == 12)
      try file.sync(.data)
      try file.sync(.full)
      try file.close()
      try file.close()  // a second close is harmless

      #expect(fs.fileExists(path))
      #expect(try fs.fileSize(path) == 12)
      #expect(try text(fs, path) == "hello, world")
    }
  }

  @Test(arguments: FileSystemKind.allCases)
  func readAtOffsets(kind: FileSystemKind) throws {
    try kind.withDirectory { fs, dir in
      let path = joinPath(dir, "data")
      try fs.writeFile(path, Bytes(utf8: "0123456789"), sync: true)
      let file = try fs.openReadable(path)
      defer { try? file.close() }
      #expect(file.size == 10)
      #expect(try file.read(at: 2, count: 3) == Bytes(utf8: "234"))
      #expect(try file.read(at: 8, count: 5) == Bytes(utf8: "89"))
      #expect(try file.read(at: 10, count: 1) == [])
      #expect(try file.read(at: 0, count: 0) == [])
    }
  }

  @Test(arguments: FileSystemKind.allCases)
  func openModes(kind: FileSystemKind) throws {
    try kind.withDirectory { fs, dir in
      let path = joinPath(dir, "CURRENT")
      let missing = #expect(throws: FileSystemError.self) { try fs.openWritable(path, mode: .append) }
      #expect(missing?.code == .notFound)

      try fs.writeFile(path, Bytes(utf8: "abc"), sync: false)
      let exists = #expect(throws: FileSystemError.self) { try fs.openWritable(path, mode: .createNew) }
      #expect(exists?.code == .alreadyExists)

      let appender = try fs.openWritable(path, mode: .append)
      #expect(appender.size == 3)
      try appender.append(Bytes(utf8: "de"))
      try appender.close()
      #expect(try text(fs, path) == "abcde")

      let truncator = try fs.openWritable(path, mode: .truncate)
      #expect(truncator.size == 0)
      try truncator.append(Bytes(utf8: "x"))
      try truncator.close()
      #expect(try text(fs, path) == "x")

      let inMissingDirectory = #expect(throws: FileSystemError.self) {
        try fs.openWritable(joinPath(dir, "no/such/file"), mode: .truncate)
      }
      #expect(inMissingDirectory?.code == .notFound)
    }
  }

  @Test(arguments: FileSystemKind.allCases)
  func renameReplacesTarget(kind: FileSystemKind) throws {
    try kind.withDirectory { fs, dir in
      let temporary = joinPath(dir, "CURRENT.tmp")
      let current = joinPath(dir, "CURRENT")
      try fs.writeFile(current, Bytes(utf8: "old"), sync: true)
      try fs.writeFile(temporary, Bytes(utf8: "new"), sync: true)
      try fs.rename(temporary, to: current)
      try fs.syncDirectory(dir)
      #expect(!fs.fileExists(temporary))
      #expect(try text(fs, current) == "new")

      let missing = #expect(throws: FileSystemError.self) { try fs.rename(temporary, to: current) }
      #expect(missing?.code == .notFound)
    }
  }

  @Test(arguments: FileSystemKind.allCases)
  func handleFollowsItsFileThroughRename(kind: FileSystemKind) throws {
    try kind.withDirectory { fs, dir in
      let file = try fs.openWritable(joinPath(dir, "a"), mode: .createNew)
      try file.append(Bytes(utf8: "12"))
      try fs.rename(joinPath(dir, "a"), to: joinPath(dir, "b"))
      try file.append(Bytes(utf8: "34"))
      try file.close()
      #expect(try text(fs, joinPath(dir, "b")) == "1234")
      let closed = #expect(throws: FileSystemError.self) { try file.append(Bytes(utf8: "5")) }
      #expect(closed?.code == .closed)
    }
  }

  @Test(arguments: FileSystemKind.allCases)
  func removeAndTruncate(kind: FileSystemKind) throws {
    try kind.withDirectory { fs, dir in
      let path = joinPath(dir, "data")
      try fs.writeFile(path, Bytes(utf8: "0123456789"), sync: false)
      try fs.truncateFile(path, to: 4)
      #expect(try text(fs, path) == "0123")
      try fs.truncateFile(path, to: 6)
      #expect(try fs.readFile(path) == Bytes(utf8: "0123") + [0, 0])

      try fs.removeFile(path)
      #expect(!fs.fileExists(path))
      for error in [
        #expect(throws: FileSystemError.self) { try fs.removeFile(path) },
        #expect(throws: FileSystemError.self) { try fs.truncateFile(path, to: 0) },
        #expect(throws: FileSystemError.self) { try fs.fileSize(path) },
        #expect(throws: FileSystemError.self) { try fs.openReadable(path) },
      ] {
        #expect(error?.code == .notFound)
      }
    }
  }

  @Test(arguments: FileSystemKind.allCases)
  func directories(kind: FileSystemKind) throws {
    try kind.withDirectory { fs, dir in
      try fs.createDirectory(joinPath(dir, "x/y/z"))
      try fs.createDirectory(joinPath(dir, "x/y/z"))  // exists: fine
      #expect(fs.fileExists(joinPath(dir, "x/y")))
      try fs.syncDirectory(joinPath(dir, "x/y"))
      try fs.syncDirectory(dir + "/")

      for name in ["b.log", "a.log", "MANIFEST"] {
        try fs.writeFile(joinPath(dir, name), [1], sync: false)
      }
      // Files only, sorted; the subdirectory `x` is not listed.
      #expect(try fs.listDirectory(dir) == ["MANIFEST", "a.log", "b.log"])
      #expect(try fs.listDirectory(joinPath(dir, "x/y/z")) == [])

      let missing = #expect(throws: FileSystemError.self) { try fs.listDirectory(joinPath(dir, "nope")) }
      #expect(missing?.code == .notFound)
      let unsynced = #expect(throws: FileSystemError.self) { try fs.syncDirectory(joinPath(dir, "nope")) }
      #expect(unsynced?.code == .notFound)
    }
  }

  @Test func diskKeepsErrnoAndItsText() throws {
    let directory = try TemporaryDirectory(prefix: "beach-fs")
    defer { directory.remove() }
    let fs = DiskFileSystem()
    // unlink on a directory is refused with EISDIR (Linux) or EPERM (macOS).
    let error = #expect(throws: FileSystemError.self) { try fs.removeFile(directory.path) }
    guard case .system(let code)? = error?.code else {
      Issue.record("expected a system error, got \(String(describing: error))")
      return
    }
    #expect(code == EISDIR || code == EPERM)
    #expect(error?.operation == "unlink")
    #expect(error?.message.isEmpty == false)
    #expect(error?.description.contains("errno \(code)") == true)
  }

  @Test func diskReadsShareOneDescriptorAcrossTasks() async throws {
    let directory = try TemporaryDirectory(prefix: "beach-fs")
    defer { directory.remove() }
    let fs = DiskFileSystem()
    let path = joinPath(directory.path, "000005.sst")
    let content = Bytes((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    try fs.writeFile(path, content, sync: false)
    let file = try fs.openReadable(path)
    defer { try? file.close() }
    let chunks = try await withThrowingTaskGroup(of: (Int, Bytes).self) { group in
      for chunk in 0..<16 {
        group.addTask { (chunk, try file.read(at: chunk * 256, count: 256)) }
      }
      return try await group.reduce(into: [Int: Bytes]()) { $0[$1.0] = $1.1 }
    }
    #expect((0..<16).flatMap { chunks[$0]! } == content)
  }
}
