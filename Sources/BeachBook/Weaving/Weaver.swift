/// The book with every directive expanded: chapters as sequences of parts,
/// ready to be written as Markdown (`MarkdownBook`) or HTML (`HTMLBook`).
public struct WovenBook: Sendable {
  /// The chapters, in reading order.
  public var chapters: [WovenChapter]
  /// Every problem in the inputs: unresolved or malformed directives, broken,
  /// duplicated or unused markers, broken notebooks. (A stale `Book/` is
  /// found by `BookCheck`, which compares this book with the disk.)
  public var problems: [BookProblem]
  /// The repository root the book was woven from, as given: the paths in
  /// snippets, sessions and chapters are relative to it.
  public var root: String
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
    var quoted: [QuotedSession] = []  // in reading order
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
          if case .session(let session) = part {
            quoted.append(QuotedSession(session: session, chapter: chapter.path, line: directive.line))
          }
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
    problems += orderProblems(quoted)
    return WovenBook(chapters: chapters, problems: problems, root: inputs.root)
  }

  /// A session as a chapter quoted it.
  struct QuotedSession {
    var session: BookInputs.Session
    var chapter: String
    var line: Int
  }

  /// Where the book, read in order, quotes a notebook's sessions other than
  /// in the order they run, or leaves out one before a session it quotes:
  /// each block starts from the state the blocks before it left, so a
  /// reader who types every command shown must have seen them all.
  func orderProblems(_ quoted: [QuotedSession]) -> [BookProblem] {
    var problems: [BookProblem] = []
    var next: [String: Int] = [:]  // per notebook, the block the next quote must be
    for quote in quoted {
      let notebook = quote.session.notebook
      guard let order = inputs.sessionOrder[notebook],
        let position = order.firstIndex(where: { $0 == quote.session.name })
      else { continue }
      let expected = next[notebook] ?? 0
      if position < expected {
        problems.append(
          BookProblem(
            .sessionOrder, file: quote.chapter, line: quote.line,
            "session '\(quote.session.name)' of \(notebook) is quoted after a session that runs later in the notebook;"
              + " quote the sessions in the order the notebook runs them"))
        continue
      }
      if position > expected {
        let skipped = order[expected..<position].map { $0.map { "'\($0)'" } ?? "an unnamed block" }
        problems.append(
          BookProblem(
            .sessionOrder, file: quote.chapter, line: quote.line,
            "session '\(quote.session.name)' of \(notebook) runs after \(skipped.joined(separator: ", ")), which the"
              + " book does not show before it: a reader typing along would see different output"))
      }
      next[notebook] = position + 1
    }
    return problems
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
