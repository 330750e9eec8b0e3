import SwiftParser
import SwiftSyntax

/// Where a snippet sits in its file: the declarations around it and the
/// whole declarations inside it.
///
/// Both lists hold declarations as a reader would name them, without access
/// control or attributes: `final class Database`, `extension Array where
/// Element == UInt8`, `static func frame(_:into:)`, `init(path:text:)`,
/// `var count`.
public struct SnippetLocation: Sendable, Equatable {
  /// The declarations that contain the whole snippet, outermost first.
  public var containers: [String]
  /// The declarations that lie wholly inside the snippet, in order (only
  /// the outermost: a type's members are not listed after the type).
  public var declarations: [String]

  public init(containers: [String] = [], declarations: [String] = []) {
    self.containers = containers
    self.declarations = declarations
  }

  /// The location in words, with each declaration passed through `code`
  /// (which adds the Markdown or HTML code formatting):
  ///
  /// - in a type, whole declarations: `in C: D1, D2`;
  /// - nested types: `in C1 › C2: D`;
  /// - at the top level of the file: `D`;
  /// - a fragment of a function (no whole declaration): `in C › F`;
  /// - neither: the empty string.
  public func describe(code: (String) -> String) -> String {
    let path = containers.map(code).joined(separator: " › ")
    let list = declarations.map(code).joined(separator: ", ")
    switch (path.isEmpty, list.isEmpty) {
    case (false, false): return "in \(path): \(list)"
    case (false, true): return "in \(path)"
    case (true, false): return list
    case (true, true): return ""
    }
  }
}

/// Computes `SnippetLocation`s from a Swift file's syntax tree.
///
/// The snippet is a byte range (from the line after `// snippet:` to the
/// `// end snippet` line). The locator walks the tree from the file down:
/// a declaration whose text (without leading comments) contains the whole
/// range is a container; a declaration that lies wholly inside the range is
/// one of the snippet's declarations, and the walk does not go into it.
/// Markers are comments, so they sit in trivia and never split a token.
struct SnippetLocator {
  private let tree: SourceFileSyntax
  /// Byte offset of the start of each line.
  private let lineStarts: [Int]

  /// Parses `lines` (one Swift file).
  init(lines: [String]) {
    let text = lines.joined(separator: "\n") + "\n"
    tree = Parser.parse(source: text)
    var starts: [Int] = []
    var offset = 0
    for line in lines {
      starts.append(offset)
      offset += line.utf8.count + 1
    }
    starts.append(offset)
    lineStarts = starts
  }

  /// The location of the code between the marker lines `opening` and
  /// `closing` (0-based line indexes).
  func locate(opening: Int, closing: Int) -> SnippetLocation {
    let range = lineStarts[opening + 1]..<lineStarts[closing]
    var location = SnippetLocation()
    walk(Syntax(tree), range: range, containers: [], inBody: false, into: &location)
    return location
  }

  /// Walks the children of `node`.
  ///
  /// - Parameter inBody: whether `node` is inside a function's (or
  ///   accessor's, or closure's) body. Declarations there are local
  ///   variables and helpers of a fragment, not what the snippet is "of", so
  ///   they are not listed.
  private func walk(
    _ node: Syntax, range: Range<Int>, containers: [String], inBody: Bool, into location: inout SnippetLocation
  ) {
    for child in node.children(viewMode: .sourceAccurate) {
      let start = child.positionAfterSkippingLeadingTrivia.utf8Offset
      let end = child.endPositionBeforeTrailingTrivia.utf8Offset
      if end <= range.lowerBound || start >= range.upperBound || start >= end { continue }
      if start >= range.lowerBound && end <= range.upperBound {
        // Wholly inside: a declaration to list, or a wrapper to look into.
        guard !inBody else { continue }
        if let name = Self.describe(child) {
          if location.declarations.isEmpty { location.containers = containers }
          location.declarations.append(name)
        } else if Self.isWrapper(child) {
          walk(child, range: range, containers: containers, inBody: inBody, into: &location)
        }
        continue
      }
      // Overlapping: a container if it holds the whole range.
      var inner = containers
      if start <= range.lowerBound && end >= range.upperBound, let name = Self.describe(child) {
        inner.append(name)
        if location.declarations.isEmpty { location.containers = inner }
      }
      walk(child, range: range, containers: inner, inBody: inBody || Self.hasBody(child), into: &location)
    }
  }

  /// Declarations and expressions whose braces hold statements.
  private static func hasBody(_ node: Syntax) -> Bool {
    node.is(FunctionDeclSyntax.self) || node.is(InitializerDeclSyntax.self) || node.is(DeinitializerDeclSyntax.self)
      || node.is(AccessorDeclSyntax.self) || node.is(SubscriptDeclSyntax.self) || node.is(ClosureExprSyntax.self)
      || node.is(AccessorBlockSyntax.self)
  }

  /// Nodes that only group declarations or statements.
  private static func isWrapper(_ node: Syntax) -> Bool {
    node.is(MemberBlockItemListSyntax.self) || node.is(MemberBlockItemSyntax.self)
      || node.is(CodeBlockItemListSyntax.self) || node.is(CodeBlockItemSyntax.self)
      || node.is(IfConfigDeclSyntax.self) || node.is(IfConfigClauseListSyntax.self)
      || node.is(IfConfigClauseSyntax.self)
  }

  // MARK: Naming declarations

  /// A declaration as a reader names it, or `nil` if `node` is not a named
  /// declaration.
  static func describe(_ node: Syntax) -> String? {
    if let decl = node.as(StructDeclSyntax.self) {
      return typeName("struct", decl.modifiers, decl.name, decl.genericParameterClause)
    }
    if let decl = node.as(ClassDeclSyntax.self) {
      return typeName("class", decl.modifiers, decl.name, decl.genericParameterClause)
    }
    if let decl = node.as(EnumDeclSyntax.self) {
      return typeName("enum", decl.modifiers, decl.name, decl.genericParameterClause)
    }
    if let decl = node.as(ActorDeclSyntax.self) {
      return typeName("actor", decl.modifiers, decl.name, decl.genericParameterClause)
    }
    if let decl = node.as(ProtocolDeclSyntax.self) {
      return typeName("protocol", decl.modifiers, decl.name, nil)
    }
    if let decl = node.as(ExtensionDeclSyntax.self) {
      var text = "extension " + flat(decl.extendedType)
      if let inheritance = decl.inheritanceClause { text += flat(inheritance) }
      if let clause = decl.genericWhereClause { text += " " + flat(clause) }
      return text
    }
    if let decl = node.as(FunctionDeclSyntax.self) {
      // An operator's parameters have no argument labels, whatever they are
      // called: `==(_:_:)`.
      var isOperator = true
      if case .identifier = decl.name.tokenKind { isOperator = false }
      return modifiers(decl.modifiers) + "func " + decl.name.text
        + labels(decl.signature.parameterClause.parameters, unlabeled: isOperator)
    }
    if let decl = node.as(InitializerDeclSyntax.self) {
      return modifiers(decl.modifiers) + "init" + (decl.optionalMark?.text ?? "")
        + labels(decl.signature.parameterClause.parameters)
    }
    if let decl = node.as(SubscriptDeclSyntax.self) {
      return modifiers(decl.modifiers) + "subscript" + labels(decl.parameterClause.parameters, isSubscript: true)
    }
    if node.is(DeinitializerDeclSyntax.self) { return "deinit" }
    if let decl = node.as(VariableDeclSyntax.self) {
      let names = decl.bindings.map { flat($0.pattern) }.joined(separator: ", ")
      return modifiers(decl.modifiers) + decl.bindingSpecifier.text + " " + names
    }
    if let decl = node.as(EnumCaseDeclSyntax.self) {
      return "case " + decl.elements.map(\.name.text).joined(separator: ", ")
    }
    if let decl = node.as(TypeAliasDeclSyntax.self) { return "typealias " + decl.name.text }
    if let decl = node.as(AssociatedTypeDeclSyntax.self) { return "associatedtype " + decl.name.text }
    if let decl = node.as(MacroDeclSyntax.self) { return "macro " + decl.name.text }
    if let decl = node.as(AccessorDeclSyntax.self) { return decl.accessorSpecifier.text }
    return nil
  }

  private static func typeName(
    _ keyword: String, _ list: DeclModifierListSyntax, _ name: TokenSyntax, _ generics: GenericParameterClauseSyntax?
  ) -> String {
    modifiers(list) + keyword + " " + name.text + (generics.map(flat) ?? "")
  }

  /// Access control says who may call, not where the code is: left out.
  private static let omittedModifiers: Set<String> = [
    "public", "private", "fileprivate", "internal", "package", "open", "nonisolated",
  ]

  /// The modifiers worth naming (`static`, `final`, `mutating`, …), each
  /// followed by a space.
  private static func modifiers(_ list: DeclModifierListSyntax) -> String {
    list.map(\.name.text).filter { !omittedModifiers.contains($0) }.map { $0 + " " }.joined()
  }

  /// `(_:into:)`: the argument labels, as Swift names a function.
  ///
  /// - Parameters:
  ///   - isSubscript: a subscript's parameters have no argument label unless
  ///     one is given explicitly before the parameter's name.
  ///   - unlabeled: every parameter is `_` (an operator's).
  private static func labels(
    _ parameters: FunctionParameterListSyntax, isSubscript: Bool = false, unlabeled: Bool = false
  ) -> String {
    let names = parameters.map { parameter in
      unlabeled || (isSubscript && parameter.secondName == nil) ? "_" : parameter.firstName.text
    }
    return "(" + names.map { $0 + ":" }.joined() + ")"
  }

  /// A node's source text on one line, without comments.
  private static func flat(_ node: some SyntaxProtocol) -> String {
    node.tokens(viewMode: .sourceAccurate).map { token in
      let spaceBefore = token.leadingTrivia.contains { $0.isWhitespace || $0.isComment }
      let spaceAfter = token.trailingTrivia.contains { $0.isWhitespace || $0.isComment }
      return (spaceBefore ? " " : "") + token.text + (spaceAfter ? " " : "")
    }
    .joined().split(separator: " ").joined(separator: " ")
  }
}
