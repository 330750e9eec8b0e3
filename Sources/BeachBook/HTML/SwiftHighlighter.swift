import SwiftIDEUtils
import SwiftParser
import SwiftSyntax

/// Swift source as highlighted HTML, from swift-syntax's own tokens.
///
/// The code is parsed with `SwiftParser` (a snippet is usually a method out
/// of its type, which parses with a few errors and still gives every token),
/// and each token is classified by `SwiftIDEUtils`, the classification
/// SourceKit-LSP uses: keywords, types, string and number literals,
/// attributes. Comments come from the tokens' trivia. Two refinements on top:
/// an identifier that starts with a capital letter is shown as a type (swift-
/// syntax only knows it is one in a type position, and `LogFormat.frame(…)`
/// names a type too), and the name a function, type or property declares is
/// shown as a declaration.
///
/// Every byte of the input is in the output exactly once, escaped: the
/// highlighter adds `<span class="…">` around tokens and nothing else.
enum SwiftHighlighter {
  /// The CSS classes the highlighter uses, for the style sheet.
  enum Style: String, CaseIterable {
    case keyword = "kw"
    case type = "ty"
    case string = "st"
    case number = "nu"
    case comment = "co"
    case documentation = "dc"
    case attribute = "at"
    case declaration = "de"
    case directive = "pp"
  }

  /// `code` as HTML (no `<pre>` around it).
  static func html(_ code: String) -> String {
    let tree = Parser.parse(source: code)
    var out = ""
    out.reserveCapacity(code.utf8.count * 2)
    for token in tree.tokens(viewMode: .sourceAccurate) {
      append(token.leadingTrivia, to: &out)
      append(token.text, style: style(of: token), to: &out)
      append(token.trailingTrivia, to: &out)
    }
    return out
  }

  private static func style(of token: TokenSyntax) -> Style? {
    switch token.tokenClassification.kind {
    case .keyword: return .keyword
    case .type: return .type
    case .stringLiteral, .regexLiteral: return .string
    case .integerLiteral, .floatLiteral: return .number
    case .attribute: return .attribute
    case .ifConfigDirective: return .directive
    case .lineComment, .blockComment: return .comment
    case .docLineComment, .docBlockComment: return .documentation
    case .identifier:
      if declaresName(token) { return .declaration }
      if token.text.first?.isUppercase == true { return .type }
      return nil
    default: return nil
    }
  }

  /// Whether `token` is the name a declaration introduces.
  private static func declaresName(_ token: TokenSyntax) -> Bool {
    guard let parent = token.parent else { return false }
    if let decl = parent.as(FunctionDeclSyntax.self) { return decl.name == token }
    if let decl = parent.as(StructDeclSyntax.self) { return decl.name == token }
    if let decl = parent.as(ClassDeclSyntax.self) { return decl.name == token }
    if let decl = parent.as(EnumDeclSyntax.self) { return decl.name == token }
    if let decl = parent.as(ProtocolDeclSyntax.self) { return decl.name == token }
    if let decl = parent.as(ActorDeclSyntax.self) { return decl.name == token }
    if let decl = parent.as(EnumCaseElementSyntax.self) { return decl.name == token }
    if let pattern = parent.as(IdentifierPatternSyntax.self) {
      // The name a `let` or `var` declares as a member or at the top level,
      // not every local variable.
      guard let binding = pattern.parent?.as(PatternBindingSyntax.self),
        let variable = binding.parent?.parent?.as(VariableDeclSyntax.self)
      else { return false }
      return variable.parent?.is(MemberBlockItemSyntax.self) == true
    }
    return false
  }

  private static func append(_ trivia: Trivia, to out: inout String) {
    for piece in trivia {
      var text = ""
      piece.write(to: &text)
      switch piece {
      case .lineComment, .blockComment: append(text, style: .comment, to: &out)
      case .docLineComment, .docBlockComment: append(text, style: .documentation, to: &out)
      default: out += HTML.escape(text)
      }
    }
  }

  private static func append(_ text: String, style: Style?, to out: inout String) {
    guard !text.isEmpty else { return }
    guard let style else {
      out += HTML.escape(text)
      return
    }
    out += "<span class=\"\(style.rawValue)\">\(HTML.escape(text))</span>"
  }
}
