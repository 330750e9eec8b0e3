import Foundation

/// Where the repository is, found from this file's own path, so tests can
/// read `Chapters/`, `Notebook/` and `Sources/` wherever the clone lives.
public enum Repository {
  public static let root: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // TestSupport
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()

  /// A path inside the repository.
  public static func path(_ relative: String) -> String {
    root.appendingPathComponent(relative).path
  }
}

/// A fresh directory under the system's temporary directory, removed by
/// `remove()` (call it in a `defer`).
public struct TemporaryDirectory: Sendable {
  public let path: String

  public init(prefix: String = "beach-test") throws {
    let base = FileManager.default.temporaryDirectory.path
    let name = "\(prefix)-\(UInt64.random(in: 0...UInt64.max))"
    path = base + "/" + name
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  public func remove() {
    try? FileManager.default.removeItem(atPath: path)
  }
}
