import Chapter1WAL
import Chapter2Memtable

/// Why building or reading a table failed.
///
/// Every case names the file, so that a message from deep inside a read
/// ("data block 3 checksum mismatch") still says which of a database's
/// many tables is damaged. Corruption also gives the byte offset in the
/// file where the damaged part starts, which is where `beach hexdump` or
/// `beach sst-dump --blocks` should look.
public enum TableError: Error, Equatable, CustomStringConvertible {
  /// `TableBuilder.add` was given a key that does not sort strictly after
  /// the previous one (a duplicate included).
  case outOfOrder(file: String, previous: InternalKey, key: InternalKey)
  /// A key's sequence number does not fit the 56 bits the trailer has for
  /// it (see `InternalKeyEncoding`).
  case sequenceTooLarge(file: String, key: InternalKey)
  /// `TableBuilder.finish` on a builder given no entries: a table holds at
  /// least one.
  case empty(file: String)
  /// The file's bytes are not a valid table: `what` failed, at `offset`.
  case corrupt(file: String, offset: Int, what: String)
  /// The file system failed to read or write the file.
  case io(file: String, FileSystemError)

  /// The file the error is about.
  public var file: String {
    switch self {
    case .outOfOrder(let file, _, _), .sequenceTooLarge(let file, _), .empty(let file),
      .corrupt(let file, _, _), .io(let file, _):
      file
    }
  }

  public var description: String {
    switch self {
    case .outOfOrder(let file, let previous, let key):
      "\(file): key \(key) added after \(previous); a table's keys must strictly increase"
    case .sequenceTooLarge(let file, let key):
      "\(file): key \(key) has a sequence number above 2^56 - 1, the largest a table can store"
    case .empty(let file):
      "\(file): a table needs at least one entry"
    case .corrupt(let file, let offset, let what):
      "\(file): corrupt from byte \(offset): \(what)"
    case .io(let file, let error):
      "\(file): \(error)"
    }
  }
}
