/// Something in the chapters, the sources, the notebooks or `Book/` that
/// keeps the book from being correct and current.
///
/// Every problem names a file relative to the repository root and, where
/// there is one, the line (1-based) to look at, so that the description
/// reads like a compiler diagnostic: `Chapters/01-wal.md:94: …`.
public struct BookProblem: Sendable, Equatable, CustomStringConvertible {
  /// What kind of problem this is; tests and tools filter on it.
  public enum Kind: String, Sendable, Equatable, CaseIterable {
    /// A directive names a file, snippet, notebook or session that is not
    /// there.
    case unresolvedDirective
    /// A line starts with `@snippet` or `@session` but is not a well-formed
    /// directive.
    case malformedDirective
    /// Two `// snippet:` markers share a name, or one has no name.
    case duplicateMarker
    /// A `// snippet:` marker with no `// end snippet` after it.
    case unterminatedMarker
    /// A `// snippet:` marker inside another snippet, or an `// end snippet`
    /// with no snippet open.
    case nestedMarker
    /// A snippet that no chapter quotes.
    case unusedMarker
    /// A notebook that cannot be parsed, or two sessions in one notebook
    /// with the same name.
    case badNotebook
    /// The book quotes a notebook's sessions out of their order, or skips
    /// one (or an unnamed block) that a later quoted session builds on: a
    /// reader typing every shown command would see other output.
    case sessionOrder
    /// A chapter that does not start with a `# Title` line.
    case missingTitle
    /// A file in `Book/` that differs from what would be generated, is
    /// missing, or is not generated at all.
    case staleBook
  }

  public var kind: Kind
  /// The file, relative to the repository root.
  public var file: String
  /// The line, 1-based, if the problem has one.
  public var line: Int?
  /// What is wrong, and what to do about it where that is not obvious.
  public var message: String

  public init(_ kind: Kind, file: String, line: Int? = nil, _ message: String) {
    self.kind = kind
    self.file = file
    self.line = line
    self.message = message
  }

  /// `file:line: message`, or `file: message` for a problem with no line.
  public var description: String {
    if let line { return "\(file):\(line): \(message)" }
    return "\(file): \(message)"
  }
}
