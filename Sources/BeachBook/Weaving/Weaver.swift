/// The book with every directive expanded: chapters as sequences of parts,
/// ready to be written as Markdown (`MarkdownBook`) or HTML (`HTMLBook`).
public struct WovenBook: Sendable {
  /// The chapters, in reading order.
  public var chapters: [WovenChapter]
  /// Every problem in the inputs: unresolved or malformed directives, broken,
  /// duplicated or unused markers, broken notebooks. (A stale `Book/` is
  /// found by `BookCheck`, which compares this book with the disk.)
  public var problems: [BookProblem]
}

/// One chapter, woven.
public struct WovenChapter: Sendable {
  /// The chapter's source, relative to the repository root.
  public var source: String
  /// The file name without `.md` (`01-wal`): `Book/01-wal.md`,
  /// `01-wal.html`.
  public var name: String
  /// The `# Title` text, or the name if the chapter has no title.
  public var title: String
  /// A sentence or two from the first paragraph.
  public var summary: String
  /// The chapter's content, in order.
  public var parts: [Part]

  /// A piece of a woven chapter.
  public enum Part: Sendable {
    /// Chapter prose (Markdown), line for line as written.
    case markdown([String])
    /// A quoted snippet.
    case snippet(Snippet)
    /// A quoted notebook session.
    case session(BookInputs.Session)
    /// A directive that did not resolve: the directive and why.
    case unresolved(Directive, String)
  }
}

/// Expands the chapters' directives.
///
/// Weaving never stops at a problem: a directive that does not resolve
/// becomes an `.unresolved` part (the Markdown shows it as a visible note),
/// and the problem is listed, so a chapter being written can be previewed
/// while its code is not there yet.
public struct Weaver: Sendable {
  public var inputs: BookInputs

  public init(inputs: BookInputs) { self.inputs = inputs }

  /// Weaves every chapter and collects every problem.
  public func weave() -> WovenBook {
    var problems = inputs.problems
    var used = Set<String>()  // "file\nname" of every snippet quoted
    var chapters: [WovenChapter] = []
    for chapter in inputs.chapters {
      problems += chapter.problems
      var parts: [WovenChapter.Part] = []
      var prose: [String] = []
      var directives = chapter.directives.makeIterator()
      var next = directives.next()
      for (index, line) in chapter.lines.enumerated() {
        guard let directive = next, directive.line == index + 1 else {
          prose.append(line)
          continue
        }
        next = directives.next()
        if !prose.isEmpty { parts.append(.markdown(prose)) }
        prose = []
        switch resolve(directive) {
        case .success(let part):
          if case .snippet(let snippet) = part { used.insert(snippet.file + "\n" + snippet.name) }
          parts.append(part)
        case .failure(let problem):
          problems.append(
            BookProblem(.unresolvedDirective, file: chapter.path, line: directive.line, problem.message))
          parts.append(.unresolved(directive, problem.message))
        }
      }
      if !prose.isEmpty { parts.append(.markdown(prose)) }
      chapters.append(
        WovenChapter(
          source: chapter.path, name: chapter.name, title: chapter.title ?? chapter.name, summary: chapter.summary,
          parts: parts))
    }
    for snippet in inputs.snippets where !used.contains(snippet.file + "\n" + snippet.name) {
      problems.append(
        BookProblem(
          .unusedMarker, file: snippet.file, line: snippet.line,
          "snippet '\(snippet.name)' is not quoted by any chapter; quote it with"
            + " '@snippet \(snippet.file) \(snippet.name)' or remove its markers"))
    }
    return WovenBook(chapters: chapters, problems: problems)
  }

  /// Why a directive did not resolve.
  struct Unresolved: Error {
    var message: String
  }

  /// The part a directive expands to.
  func resolve(_ directive: Directive) -> Result<WovenChapter.Part, Unresolved> {
    switch directive.target {
    case .snippet(let file, let name):
      if let snippet = inputs.snippet(name, in: file) { return .success(.snippet(snippet)) }
      if let elsewhere = inputs.snippets.first(where: { $0.name == name }) {
        return .failure(
          Unresolved(
            message: "no snippet '\(name)' in \(file); it is marked in \(elsewhere.file):\(elsewhere.line)"))
      }
      if !RepositoryFiles(root: inputs.root).exists(file) {
        return .failure(Unresolved(message: "no file \(file) (in '\(directive.text)')"))
      }
      if !(file.hasPrefix("Sources/") || file.hasPrefix("Tests/")) || !file.hasSuffix(".swift") {
        return .failure(
          Unresolved(message: "snippets are read from Swift files under Sources/ and Tests/ only; \(file) is not one"))
      }
      return .failure(
        Unresolved(message: "no snippet '\(name)' in \(file): add '// snippet: \(name)' … '// end snippet' there"))
    case .session(let notebook, let name):
      if let reason = inputs.unreadableNotebooks[notebook] {
        return .failure(Unresolved(message: "\(notebook) cannot be read: \(reason)"))
      }
      guard let sessions = inputs.sessions[notebook] else {
        return .failure(Unresolved(message: "no notebook \(notebook) (in '\(directive.text)')"))
      }
      guard let session = sessions[name] else {
        let known = sessions.keys.sorted().joined(separator: ", ")
        return .failure(
          Unresolved(
            message: "no session '\(name)' in \(notebook) (a block opened with '```beach session=\(name)');"
              + " its sessions are: \(known.isEmpty ? "none" : known)"))
      }
      return .success(.session(session))
    }
  }
}
