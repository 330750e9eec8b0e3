import Foundation
import TestSupport
import Testing

@testable import BeachBook

/// The real book: `Book/` is current and every directive and marker is
/// sound. These are the tests that fail when a chapter, a snippet or a
/// notebook session drifts.
@Suite struct RepositoryBookTests {
  static let root = Repository.root.path

  @Test func bookIsCurrent() throws {
    let book = try Book.weave(root: Self.root)
    let stale = BookFiles.differences(from: MarkdownBook.files(for: book), root: Self.root)
    #expect(
      stale.isEmpty,
      """
      Book/ is not what the chapters generate. Run `swift run beach book` and commit Book/.
      \(stale.map(\.description).joined(separator: "\n"))
      """)
  }

  /// `Scripts/build-it-yourself` brings a chapter's test files in the order
  /// its "Build it yourself" section numbers them, and treats any other file
  /// of the folder as a helper to bring at the start: so every test file
  /// must be in the list, or a learner starts with tests for the whole
  /// chapter.
  @Test func everyTestFileIsInItsChaptersBuildItYourselfList() throws {
    let files = FileManager.default
    for chapter in try files.contentsOfDirectory(atPath: Self.root + "/Chapters").sorted() {
      guard let number = Int(chapter.prefix(2)), number >= 2 else { continue }
      let text = try String(contentsOfFile: Self.root + "/Chapters/" + chapter, encoding: .utf8)
      guard let section = text.range(of: "## Build it yourself") else { continue }
      let rest = text[section.upperBound...]
      let body = rest.range(of: "\n## ").map { rest[..<$0.lowerBound] } ?? rest
      let listed = Set(body.matches(of: /\n\d+\. `([A-Za-z0-9]+Tests\.swift)`/).map { String($0.1) })
      let folder = try files.contentsOfDirectory(atPath: Self.root + "/Tests").first {
        $0.hasPrefix("Chapter\(number)") && $0.dropFirst("Chapter\(number)".count).first?.isLetter == true
      }
      let tests = try folder.map { try files.contentsOfDirectory(atPath: Self.root + "/Tests/" + $0) } ?? []
      for test in tests where test.hasSuffix("Tests.swift") {
        #expect(listed.contains(test), "\(chapter): \(test) is not in its Build it yourself list")
      }
    }
  }

  @Test func everyDirectiveResolves() throws {
    let problems = try Book.weave(root: Self.root).problems.filter {
      $0.kind == .unresolvedDirective || $0.kind == .malformedDirective || $0.kind == .missingTitle
    }
    #expect(problems.isEmpty, "\(problems.map(\.description).joined(separator: "\n"))")
  }

  @Test func markersAreWellFormedAndUnique() throws {
    let problems = try Book.weave(root: Self.root).problems.filter {
      $0.kind == .duplicateMarker || $0.kind == .nestedMarker || $0.kind == .unterminatedMarker
    }
    #expect(problems.isEmpty, "\(problems.map(\.description).joined(separator: "\n"))")
  }

  @Test func everyMarkerIsQuotedByAChapter() throws {
    let problems = try Book.weave(root: Self.root).problems.filter { $0.kind == .unusedMarker }
    #expect(problems.isEmpty, "\(problems.map(\.description).joined(separator: "\n"))")
  }

  @Test func notebooksQuotedByTheBookParse() throws {
    let problems = try Book.weave(root: Self.root).problems.filter { $0.kind == .badNotebook }
    #expect(problems.isEmpty, "\(problems.map(\.description).joined(separator: "\n"))")
  }

  @Test func everyChapterIsWovenAndQuotesSomething() throws {
    let book = try Book.weave(root: Self.root)
    #expect(book.chapters.first?.name == "00-introduction")
    #expect(book.chapters.contains { $0.name == "01-wal" })
    let wal = try #require(book.chapters.first { $0.name == "01-wal" })
    #expect(wal.parts.contains { if case .snippet = $0 { true } else { false } })
    #expect(wal.parts.contains { if case .session = $0 { true } else { false } })
    #expect(book.chapters.allSatisfy { !$0.summary.isEmpty })
  }
}
