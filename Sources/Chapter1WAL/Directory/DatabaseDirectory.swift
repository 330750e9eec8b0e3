/// The database's claim on its directory.
///
/// Two files make a directory a database's own, and both are taken at open,
/// before anything else is read:
///
/// - `LOCK`, locked with `FileSystem.lock` (`flock` on disk) for as long as
///   the database is open, so that a second process (or a second open in
///   this one) gets `DirectoryError.inUse` instead of becoming a second
///   writer that silently loses the first one's acknowledged writes. The
///   file holds the holder's pid, for that error.
/// - `FORMAT`, one line, `beachdb chapter 4`: the newest chapter whose
///   engine has opened the directory. Each chapter's files are a superset
///   of the one before's (chapter 3 adds tables, chapter 4 a manifest), so a
///   chapter can open what an earlier chapter wrote, but not what a later
///   one did: chapter 1 would replay logs that chapter 3 already retired
///   into tables, and chapter 3 would write tables chapter 4's manifest does
///   not name. An earlier chapter refuses such a directory, naming both
///   chapters, and changes nothing. A later chapter records itself before
///   it writes anything of its own.
///
/// `FORMAT` is replaced as any small file that must not be half written:
/// written to `FORMAT.tmp`, synced, renamed, and the directory synced.
public final class DatabaseDirectory: Sendable {
  /// `LOCK`.
  public static let lockName = "LOCK"
  /// `FORMAT`.
  public static let formatName = "FORMAT"
  /// `FORMAT.tmp`, while `FORMAT` is being replaced.
  public static let temporaryFormatName = "FORMAT.tmp"

  /// The directory.
  public let path: String
  /// The chapter `FORMAT` named before this open; `nil` for a directory
  /// without one (new, or written before directories recorded it).
  public let recordedChapter: Int?
  private let lock: any FileLock

  private init(path: String, recordedChapter: Int?, lock: any FileLock) {
    self.path = path
    self.recordedChapter = recordedChapter
    self.lock = lock
  }

  // snippet: directory-claim
  /// Claims `directory` for chapter `chapter`'s engine: creates it if
  /// asked, takes the lock, checks `FORMAT` and records `chapter` in it.
  ///
  /// - Throws: `DirectoryError.inUse` if another holder has the lock;
  ///   `DirectoryError.laterChapter` (nothing changed) if a later chapter
  ///   wrote the directory; `DirectoryError.badFormat` if `FORMAT` is not
  ///   one of ours; a `FileSystemError` if the files cannot be read or
  ///   written.
  public static func claim(
    _ directory: String, for chapter: Int, fileSystem: any FileSystem, create: Bool, tracer: Tracer
  ) throws -> DatabaseDirectory {
    try fileSystem.prepareDatabaseDirectory(directory, create: create)
    let lock = try takeLock(in: directory, fileSystem: fileSystem)
    do {
      let recorded = try readFormat(in: directory, fileSystem: fileSystem)
      if let recorded, recorded > chapter {
        throw DirectoryError.laterChapter(directory: directory, wrote: recorded, opening: chapter)
      }
      if recorded != chapter {
        try writeFormat(chapter, in: directory, fileSystem: fileSystem)
        tracer(
          .db, "format", "FORMAT → chapter \(chapter)", recorded.map { "was chapter \($0)" } ?? "a new format record",
          why: "an earlier chapter's engine must not open what this one writes; FORMAT tells it so")
      }
      return DatabaseDirectory(path: directory, recordedChapter: recorded, lock: lock)
    } catch {
      lock.release()
      throw error
    }
  }
  // end snippet

  /// The lock on `LOCK`, or `DirectoryError.inUse`.
  private static func takeLock(in directory: String, fileSystem: any FileSystem) throws -> any FileLock {
    do {
      return try fileSystem.lock(joinPath(directory, lockName))
    } catch {
      guard case .locked(let pid) = error.code else { throw error }
      throw DirectoryError.inUse(directory: directory, pid: pid)
    }
  }

  /// Lets the directory go: releases the lock (idempotent).
  public func release() { lock.release() }

  deinit { lock.release() }

  /// The chapter `FORMAT` names, or `nil` if there is no `FORMAT`.
  static func readFormat(in directory: String, fileSystem: any FileSystem) throws -> Int? {
    let path = joinPath(directory, formatName)
    guard fileSystem.fileExists(path) else { return nil }
    let text = String(decoding: try fileSystem.readFile(path).prefix(64), as: UTF8.self)
    let words = text.split(whereSeparator: \.isWhitespace)
    guard words.count == 3, words[0] == "beachdb", words[1] == "chapter", let chapter = Int(words[2]), chapter > 0
    else { throw DirectoryError.badFormat(directory: directory, content: String(text.prefix(40))) }
    return chapter
  }

  private static func writeFormat(_ chapter: Int, in directory: String, fileSystem: any FileSystem) throws {
    let temporary = joinPath(directory, temporaryFormatName)
    try fileSystem.writeFile(temporary, Array("beachdb chapter \(chapter)\n".utf8), sync: true)
    try fileSystem.rename(temporary, to: joinPath(directory, formatName))
    try fileSystem.syncDirectory(directory)
  }
}

/// Why a database directory cannot be claimed.
public enum DirectoryError: Error, Equatable, CustomStringConvertible {
  /// Another process (or another open database) holds its lock.
  case inUse(directory: String, pid: Int32?)
  /// A later chapter's engine wrote it.
  case laterChapter(directory: String, wrote: Int, opening: Int)
  /// Its `FORMAT` file is not one a chapter wrote.
  case badFormat(directory: String, content: String)

  public var description: String {
    switch self {
    case .inUse(let directory, let pid):
      "the database in \(directory) is in use by another process" + (pid.map { " (pid \($0))" } ?? "")
    case .laterChapter(let directory, let wrote, let opening):
      "\(directory) was written by chapter \(wrote)'s engine, which chapter \(opening)'s cannot read "
        + "(its files would be misread or removed); open it with chapter \(wrote) or later"
    case .badFormat(let directory, let content):
      "\(directory)/FORMAT does not name a chapter (it holds '\(content)'); it is not a BeachDB directory"
    }
  }
}
