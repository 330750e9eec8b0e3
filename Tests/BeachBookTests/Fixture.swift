import Foundation
import TestSupport

@testable import BeachBook

/// A small repository in a temporary directory: chapters, sources and
/// notebooks given as text, for weaver tests that must not depend on the
/// real book.
struct Fixture {
  let directory: TemporaryDirectory

  var root: String { directory.path }

  /// Creates the repository with `files` (paths relative to the root).
  init(_ files: [String: String]) throws {
    directory = try TemporaryDirectory(prefix: "beach-book")
    try FileManager.default.createDirectory(atPath: root + "/Chapters", withIntermediateDirectories: true)
    for (path, text) in files { try write(path, text) }
  }

  /// Writes (or overwrites) one file, creating its folder.
  func write(_ path: String, _ text: String) throws {
    let url = URL(fileURLWithPath: root + "/" + path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
  }

  /// A file's contents.
  func read(_ path: String) throws -> String {
    try String(contentsOfFile: root + "/" + path, encoding: .utf8)
  }

  func exists(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: root + "/" + path)
  }

  func remove() { directory.remove() }

  /// The woven book.
  func weave() throws -> WovenBook { try Book.weave(root: root) }

  /// The snippet named `name` as read from the fixture.
  func snippet(_ name: String) throws -> Snippet? {
    try BookInputs.load(root: root).snippets.first { $0.name == name }
  }

  /// A Swift file with one marked snippet around `body` (already indented).
  static func swift(before: String = "", snippet name: String, _ body: String, after: String = "") -> String {
    // The marker lines are assembled here so that this test file itself
    // holds no marker line.
    let open = "// snippet: \(name)"
    let close = "// end snippet"
    return before + "\n" + indentLike(body, open) + "\n" + body + "\n" + indentLike(body, close) + "\n" + after + "\n"
  }

  /// `marker` indented like the first line of `body`.
  private static func indentLike(_ body: String, _ marker: String) -> String {
    String(body.prefix { $0 == " " }) + marker
  }
}
