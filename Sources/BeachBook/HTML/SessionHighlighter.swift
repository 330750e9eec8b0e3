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
///   colour: a fixed pair (light and dark scheme) for the ones the book
///   knows, chosen to be told apart at a glance (`wal` orange, `manifest`
///   magenta, `memtable` violet, `sstable` teal, `fs` slate, `db` green,
///   …), and for any other a colour of a hue computed from its name, so a
///   new component is coloured without touching this file. Every colour
///   has at least WCAG AA contrast (4.5) with the code background of its
///   scheme; a test checks them all;
/// - a `why:` line under a step (`trace explain`);
/// - a result: `ok …` and `error: …`;
/// - anything else is plain output (values, dumps).
enum SessionHighlighter {
  /// A trace component's colour in the light and in the dark scheme.
  struct ComponentColour: Equatable {
    var light: Colour
    var dark: Colour
  }

  /// The colour of each known trace component (the style sheet gives each a
  /// class, `tc-wal`).
  static let componentColours: [String: ComponentColour] = [
    "fs": .init(light: Colour("#56606e"), dark: Colour("#a7b1bf")),
    "wal": .init(light: Colour("#b34a00"), dark: Colour("#ff9b52")),
    "memtable": .init(light: Colour("#7440c4"), dark: Colour("#b99cff")),
    "sstable": .init(light: Colour("#0a7066"), dark: Colour("#4fd0bf")),
    "manifest": .init(light: Colour("#b0176f"), dark: Colour("#f27ac4")),
    "db": .init(light: Colour("#2c7a12"), dark: Colour("#8ed36a")),
    "bloom": .init(light: Colour("#7f6500"), dark: Colour("#e0c25a")),
    "cache": .init(light: Colour("#1d5fa6"), dark: Colour("#7db5ff")),
    "compaction": .init(light: Colour("#b3202c"), dark: Colour("#ff7a7f")),
    "server": .init(light: Colour("#006a88"), dark: Colour("#56c6e8")),
    "raft": .init(light: Colour("#8a4b2a"), dark: Colour("#dca27e")),
  ]

  /// The colour of a component the table does not know: its stable hue
  /// (`hue(of:)`), at the lightness nearest a fixed one that keeps AA
  /// contrast with each scheme's code background (yellow must be darker
  /// than blue to read as well on a light background).
  static func fallbackColour(of component: String) -> ComponentColour {
    fallbackColour(hue: hue(of: component))
  }

  /// The fallback colour pair of `hue` (0–359).
  static func fallbackColour(hue: Int) -> ComponentColour {
    func readable(from start: Double, step: Double, on background: Colour) -> Colour {
      var lightness = start
      var colour = Colour(hue: hue, saturation: 0.7, lightness: lightness)
      while colour.contrast(with: background) < Colour.minimumContrast && lightness > 0 && lightness < 1 {
        lightness += step
        colour = Colour(hue: hue, saturation: 0.7, lightness: lightness)
      }
      return colour
    }
    return ComponentColour(
      light: readable(from: 0.38, step: -0.01, on: Stylesheet.codeBackground.light),
      dark: readable(from: 0.66, step: 0.01, on: Stylesheet.codeBackground.dark))
  }

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
      return "  \(componentTag(step.component))\(HTML.escape(step.component))</span>"
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

  /// The opening tag of a component's span: a class for a known one, the
  /// colours themselves for any other.
  static func componentTag(_ component: String) -> String {
    if componentColours[component] != nil { return "<span class=\"tc tc-\(component)\">" }
    let colour = fallbackColour(of: component)
    return "<span class=\"tc\" style=\"--tc: \(colour.light.hex); --tc-dark: \(colour.dark.hex)\">"
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
