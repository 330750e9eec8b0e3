/// A piece of a Swift file that chapters may quote.
///
/// In the source it is a whole unit (a function, a type, a loop worth
/// explaining) between two comment lines:
///
/// ```swift
/// // snippet: log-frame
/// public static func frame(_ payload: Bytes, into out: inout Bytes) { … }
/// // end snippet
/// ```
///
/// Names are unique across the repository, so a name alone says which code a
/// chapter means; the directive still names the file, so a reader of the
/// chapter's source knows where to look.
public struct Snippet: Sendable, Equatable {
  /// The marker's name.
  public var name: String
  /// The Swift file, relative to the repository root.
  public var file: String
  /// The line of the `// snippet:` marker, 1-based.
  public var line: Int
  /// The line of the `// end snippet` marker, 1-based.
  public var endLine: Int
  /// The lines between the markers, with their common indentation removed.
  public var code: [String]
  /// Where the snippet sits in the file, from the syntax tree.
  public var location: SnippetLocation

  /// The caption as plain text: `FILE — in `TYPE`: `DECL``.
  public var caption: String {
    let place = location.describe { "`\($0)`" }
    return place.isEmpty ? file : "\(file) — \(place)"
  }
}

/// Finds snippet markers in Swift files.
///
/// A marker is a line that, without its indentation, is `// snippet: NAME` or
/// exactly `// end snippet`. Markers do not nest: each snippet is closed
/// before the next one opens. The scanner reports, with file and line, a
/// snippet never closed, one opened inside another, an end with nothing open,
/// and a marker with no name; duplicates across files are found by
/// `BookInputs`, which sees every file.
enum SnippetScanner {
  static let openingPrefix = "// snippet:"
  static let closingLine = "// end snippet"

  /// A snippet's position in its file, before locating and dedenting.
  struct Region: Equatable {
    var name: String
    /// Index (0-based) of the `// snippet:` line.
    var opening: Int
    /// Index (0-based) of the `// end snippet` line.
    var closing: Int
  }

  /// The snippets of one file, and the problems with its markers.
  ///
  /// - Parameters:
  ///   - lines: the file's lines.
  ///   - file: its path relative to the repository root, for messages.
  static func scan(_ lines: [String], file: String) -> (regions: [Region], problems: [BookProblem]) {
    var regions: [Region] = []
    var problems: [BookProblem] = []
    var open: (name: String, line: Int)?
    for (index, line) in lines.enumerated() {
      let trimmed = line.trimmingSpaces
      if trimmed.hasPrefix(openingPrefix) {
        let name = trimmed.dropFirst(openingPrefix.count).trimmingSpaces
        if let outer = open {
          problems.append(
            BookProblem(
              .nestedMarker, file: file, line: index + 1,
              "snippet '\(name)' starts inside snippet '\(outer.name)' (opened at line \(outer.line + 1));"
                + " snippets do not nest: close '\(outer.name)' with '\(closingLine)' first"))
          continue
        }
        if name.isEmpty || name.contains(" ") {
          problems.append(
            BookProblem(
              .duplicateMarker, file: file, line: index + 1,
              "a snippet marker needs one name without spaces: '\(openingPrefix) NAME'"))
        }
        open = (name, index)
      } else if trimmed == closingLine {
        guard let opened = open else {
          problems.append(
            BookProblem(.nestedMarker, file: file, line: index + 1, "'\(closingLine)' with no snippet open"))
          continue
        }
        regions.append(Region(name: opened.name, opening: opened.line, closing: index))
        open = nil
      }
    }
    if let opened = open {
      problems.append(
        BookProblem(
          .unterminatedMarker, file: file, line: opened.line + 1,
          "snippet '\(opened.name)' is never closed (no '\(closingLine)' line after it)"))
    }
    return (regions, problems)
  }

  /// `lines` without the indentation they all share; blank lines become
  /// empty and do not count.
  static func dedent(_ lines: some Collection<String>) -> [String] {
    let indents = lines.filter { !$0.trimmingSpaces.isEmpty }.map { $0.prefix { $0 == " " || $0 == "\t" }.count }
    let common = indents.min() ?? 0
    return lines.map { $0.trimmingSpaces.isEmpty ? "" : String($0.dropFirst(common)) }
  }
}
