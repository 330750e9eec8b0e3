import BeachShell

/// A shell session as highlighted HTML, from the shell's output conventions.
///
/// The shell's output is regular on purpose (scripts and notebooks rely on
/// it), so a line's kind is known from its shape:
///
/// - a **command**: the prompt (`beach[ch1]> `, `batch> `, as
///   `Notebook.prompt(of:)` reads it) and what was typed;
/// - a **trace step**: two spaces, the component padded to ten columns, the
///   action padded to ten, then the subject and figures
///   (`  wal       append    seq 1 PUT k …`). Each component gets its own
///   colour: a fixed hue for the ones the book knows (`wal`, `fs`, `db`,
///   `memtable`, `sstable`, `raft`, …) and, for any other, a hue computed
///   from its name, so a new component is coloured without touching this
///   file;
/// - a `why:` line under a step (`trace explain`);
/// - a result: `ok …` and `error: …`;
/// - anything else is plain output (values, dumps).
enum SessionHighlighter {
  /// The hue (0–359) of each known trace component.
  static let componentHues: [String: Int] = [
    "wal": 28, "fs": 200, "db": 130, "memtable": 280, "sstable": 335, "manifest": 50, "bloom": 170,
    "cache": 90, "compaction": 0, "server": 230, "raft": 310,
  ]

  /// `lines` as HTML, one line each, joined with newlines (no `<pre>`).
  static func html(_ lines: [String]) -> String {
    lines.map(line).joined(separator: "\n")
  }

  /// Whether `lines` look like a session: some line starts with a prompt.
  static func isSession(_ lines: [String]) -> Bool {
    lines.contains { Notebook.prompt(of: $0) != nil }
  }

  static func line(_ line: String) -> String {
    if let prompt = Notebook.prompt(of: line) {
      let command = String(line.dropFirst(min(prompt.count, line.count)))
      return span("pr", prompt.trimmingSpaces) + " " + span("cm", command)
    }
    if line == "ok" || line.hasPrefix("ok ") {
      return span("ok", "ok") + HTML.escape(String(line.dropFirst(2)))
    }
    if line.hasPrefix("error:") { return span("er", line) }
    if let step = traceStep(line) {
      let hue = componentHues[step.component] ?? hue(of: step.component)
      return "  <span class=\"tc\" style=\"--hue: \(hue)\">\(HTML.escape(step.component))</span>"
        + HTML.escape(step.padding) + span("ta", step.action) + HTML.escape(step.rest)
    }
    let indent = line.prefix { $0 == " " }
    if !indent.isEmpty && line.dropFirst(indent.count).hasPrefix("why:") {
      return HTML.escape(String(indent)) + span("wy", String(line.dropFirst(indent.count)))
    }
    return HTML.escape(line)
  }

  /// A trace line's columns: `  COMPONENT PADDING ACTION REST`.
  struct TraceStep: Equatable {
    var component: String
    var padding: String
    var action: String
    var rest: String
  }

  /// A trace line split into its columns, or `nil` if `line` is not one:
  /// two spaces, a lower-case component name, spaces, and an action that
  /// starts in column 12 or later (the component column is ten wide).
  static func traceStep(_ line: String) -> TraceStep? {
    guard line.hasPrefix("  ") else { return nil }
    let afterIndent = line.dropFirst(2)
    let component = afterIndent.prefix { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    guard let first = component.first, first.isLetter else { return nil }
    let afterComponent = afterIndent.dropFirst(component.count)
    let padding = afterComponent.prefix { $0 == " " }
    guard !padding.isEmpty, 2 + component.count + padding.count >= 12 else { return nil }
    let afterPadding = afterComponent.dropFirst(padding.count)
    let action = afterPadding.prefix { $0 != " " }
    guard !action.isEmpty else { return nil }
    return TraceStep(
      component: String(component), padding: String(padding), action: String(action),
      rest: String(afterPadding.dropFirst(action.count)))
  }

  /// A hue for a component the table does not know: FNV-1a of its name.
  static func hue(of component: String) -> Int {
    var hash: UInt32 = 2_166_136_261
    for byte in component.utf8 {
      hash = (hash ^ UInt32(byte)) &* 16_777_619
    }
    return Int(hash % 360)
  }

  private static func span(_ style: String, _ text: String) -> String {
    "<span class=\"\(style)\">\(HTML.escape(text))</span>"
  }
}
