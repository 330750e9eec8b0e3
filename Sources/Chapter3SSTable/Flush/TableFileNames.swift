import Chapter1WAL

/// Names of the files a chapter 3 database keeps: `000007.sst` for a table,
/// `000007.sst.tmp` while it is being written, `000008.log` for a log. Logs
/// and tables share one counter, so a number names exactly one file.
public enum TableFileNames {
  /// `000007.sst`.
  public static func table(_ number: UInt64) -> String { padded(number) + ".sst" }

  /// `000007.sst.tmp`: a table not yet published.
  public static func temporary(_ number: UInt64) -> String { table(number) + ".tmp" }

  /// The number of a published table's name, or `nil` if `name` is not
  /// exactly a name the engine gives a table (`2.sst` is not).
  public static func tableNumber(_ name: String) -> UInt64? {
    guard name.hasSuffix(".sst"), let number = UInt64(name.dropLast(4)), table(number) == name else { return nil }
    return number
  }

  /// Whether `name` is a table that was never published (a crash mid-flush).
  public static func isTemporary(_ name: String) -> Bool {
    name.hasSuffix(".sst.tmp") && tableNumber(String(name.dropLast(4))) != nil
  }

  private static func padded(_ number: UInt64) -> String {
    let digits = String(number)
    return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
  }
}

/// Hands out file numbers, one counter for logs and tables, from any thread.
public final class FileNumbers: Sendable {
  private let next: Locked<UInt64>

  public init(next: UInt64) { self.next = Locked(next) }

  /// The next number; never the same twice.
  public func take() -> UInt64 {
    next.withLock {
      $0 += 1
      return $0 - 1
    }
  }
}
