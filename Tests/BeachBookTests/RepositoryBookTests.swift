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
