import Testing

@testable import BeachBook

/// Captions: where a snippet sits, computed from the syntax tree.
@Suite struct SnippetLocationTests {
  /// The caption of the only snippet in a one-file fixture.
  private func caption(of swift: String, name: String = "s") throws -> String {
    let fixture = try Fixture(["Sources/Geometry/Point.swift": swift])
    defer { fixture.remove() }
    let snippet = try #require(try fixture.snippet(name))
    return snippet.caption
  }

  @Test func methodInsideAStructNamesTheStructAndTheMethod() throws {
    let swift = Fixture.swift(
      before: "public struct Point {\n  var x = 0.0\n  var y = 0.0\n",
      snippet: "s",
      """
        /// The distance from the origin.
        public func length(squared: Bool = false) -> Double {
          let sum = x * x + y * y
          return squared ? sum : sum.squareRoot()
        }
      """,
      after: "}")
    #expect(
      try caption(of: swift)
        == "Sources/Geometry/Point.swift — in `struct Point`: `func length(squared:)`")
  }

  @Test func memberOfAnExtensionNamesTheExtension() throws {
    let swift = Fixture.swift(
      before: "struct Point { var x = 0 }\n\nextension Point: CustomStringConvertible {",
      snippet: "s",
      """
        public var description: String { "(\\(x))" }

        static func == (a: Point, b: Point) -> Bool { a.x == b.x }
      """,
      after: "}")
    #expect(
      try caption(of: swift)
        == "Sources/Geometry/Point.swift — in `extension Point: CustomStringConvertible`:"
        + " `var description`, `static func ==(_:_:)`")
  }

  @Test func topLevelDeclarationIsNamedAlone() throws {
    let swift = Fixture.swift(
      before: "import Foundation",
      snippet: "s",
      """
      /// Distance between two points.
      public func distance(_ a: Point, to b: Point) -> Double { 0 }
      """)
    #expect(try caption(of: swift) == "Sources/Geometry/Point.swift — `func distance(_:to:)`")
  }

  @Test func wholeTypeAtTopLevelIsNamedWithItsKind() throws {
    let swift = Fixture.swift(
      snippet: "s",
      """
      public final class Cache<Key: Hashable> {
        private var items: [Key: Int] = [:]
      }
      """)
    #expect(try caption(of: swift) == "Sources/Geometry/Point.swift — `final class Cache<Key: Hashable>`")
  }

  @Test func fragmentOfAFunctionNamesTheFunction() throws {
    let swift = Fixture.swift(
      before: "struct Point {\n  mutating func normalize() {",
      snippet: "s",
      """
          let n = 2.0
          func show(_ value: Double) { print(value) }
          for _ in 0..<3 {
            print(n)
          }
      """,
      after: "  }\n}")
    #expect(try caption(of: swift) == "Sources/Geometry/Point.swift — in `struct Point` › `mutating func normalize()`")
  }

  @Test func nestedTypesAreAPath() throws {
    let swift = Fixture.swift(
      before: "enum Outer {\n  struct Inner {",
      snippet: "s",
      """
          init?(value: Int) { return nil }
          subscript(index: Int) -> Int { index }
      """,
      after: "  }\n}")
    #expect(
      try caption(of: swift)
        == "Sources/Geometry/Point.swift — in `enum Outer` › `struct Inner`: `init?(value:)`, `subscript(_:)`")
  }

  @Test func markersAndCommonIndentationAreRemovedFromTheCode() throws {
    let swift = Fixture.swift(
      before: "struct Point {",
      snippet: "s",
      """
        func a() {
          b()
        }
      """,
      after: "}")
    let fixture = try Fixture(["Sources/Geometry/Point.swift": swift])
    defer { fixture.remove() }
    let snippet = try #require(try fixture.snippet("s"))
    #expect(snippet.code == ["func a() {", "  b()", "}"])
    #expect(snippet.line == 2)
    #expect(snippet.endLine == 6)
  }

  @Test func describeFormatsEachShape() {
    let code: (String) -> String = { "<\($0)>" }
    #expect(
      SnippetLocation(containers: ["A", "B"], declarations: ["f", "g"]).describe(code: code) == "in <A> › <B>: <f>, <g>"
    )
    #expect(SnippetLocation(containers: ["A"]).describe(code: code) == "in <A>")
    #expect(SnippetLocation(declarations: ["f"]).describe(code: code) == "<f>")
    #expect(SnippetLocation().describe(code: code) == "")
  }
}
