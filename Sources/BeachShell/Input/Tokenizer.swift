import Chapter1WAL

/// Splitting a command line into words.
///
/// The shell's command language is deliberately small:
///
/// ```
/// put user:1 alice                 three plain words
/// put "my key" 'a value'           quotes keep spaces inside one word
/// put k "tab\there, quote\" end"   backslash escapes inside double quotes
/// put x'00ff10' x''                hex for binary keys and values (x'' is empty)
/// batch put a 1 ; delete b         `;` separates operations
/// # a comment                      a line starting with # is ignored
/// ```
///
/// Quoted and unquoted pieces written next to each other form one word
/// (`key" "1` is `key 1`), as in a POSIX shell. Single quotes take everything
/// literally; double quotes understand `\"`, `\\`, `\n`, `\t`, `\r`, `\0` and
/// `\xHH`. A hex word is `x'` at the start of a word, an even number of hex
/// digits and `'`. An unbalanced quote, an unknown escape or a malformed hex
/// word is an error, so a typo never silently becomes a different key.
///
/// Words are bytes (`Bytes`), not strings: a key is whatever bytes the user
/// spelled, including invalid UTF-8 written in hex.
public struct Token: Equatable, Sendable {
  /// The word's bytes, quotes and escapes resolved.
  public var bytes: Bytes
  /// Whether any part of the word was quoted or hex. A quoted `";"` is data,
  /// not a separator, and a quoted `"#"` does not start a comment.
  public var isQuoted: Bool
  /// Where the word starts in the line (a character offset), for messages.
  public var column: Int

  public init(bytes: Bytes, isQuoted: Bool = false, column: Int = 0) {
    self.bytes = bytes
    self.isQuoted = isQuoted
    self.column = column
  }

  /// The word as text (invalid UTF-8 is replaced).
  public var text: String { String(decoding: bytes, as: UTF8.self) }

  /// Whether this is the unquoted `;` that separates batch operations.
  public var isSeparator: Bool { !isQuoted && bytes == [UInt8(ascii: ";")] }
}

/// A line the tokenizer could not split.
public struct TokenizeError: Error, Equatable, CustomStringConvertible {
  /// What was wrong.
  public var message: String
  /// Where in the line (1-based character column).
  public var column: Int

  public init(_ message: String, column: Int) {
    self.message = message
    self.column = column
  }

  public var description: String { "\(message) (column \(column))" }
}

/// Splits a command line into tokens; see `Token` for the syntax.
public enum Tokenizer {
  /// `word` written so that `tokenize` reads it back as one word: as it is
  /// when it is plain, else in quotes. A lone `;` stays a separator.
  ///
  /// The checks look at Unicode scalars, as `tokenize` does, not at
  /// characters: a quote followed by a combining mark is one `Character`
  /// that is not `'`, yet `tokenize` still sees the quote. (A word starting
  /// `x'` holds a `'`, so it is quoted too.)
  public static func quoted(_ word: String) -> String {
    let special: Set<Unicode.Scalar> = [" ", "\t", "\n", "\r", "\"", "'", "\\", "#", ";"]
    let scalars = word.unicodeScalars
    if word == ";" || (!scalars.isEmpty && !scalars.contains(where: special.contains)) { return word }
    if !scalars.contains("'") { return "'" + word + "'" }
    var escaped = String.UnicodeScalarView()
    for scalar in scalars {
      if scalar == "\\" || scalar == "\"" { escaped.append("\\") }
      escaped.append(scalar)
    }
    return "\"" + String(escaped) + "\""
  }

  /// The tokens of `line`. A blank line or a comment gives `[]`.
  ///
  /// - Throws: `TokenizeError` for an unbalanced quote, a bad escape or bad hex.
  public static func tokenize(_ line: String) throws(TokenizeError) -> [Token] {
    let scalars = Array(line.unicodeScalars)
    var tokens: [Token] = []
    var index = 0

    func isSpace(_ s: Unicode.Scalar) -> Bool { s == " " || s == "\t" || s == "\r" || s == "\n" }

    while index < scalars.count {
      // Skip the spaces before a word.
      while index < scalars.count, isSpace(scalars[index]) { index += 1 }
      guard index < scalars.count else { break }
      if tokens.isEmpty && scalars[index] == "#" { break }  // a comment line

      let start = index
      var bytes = Bytes()
      var quoted = false

      // An unquoted `;` is a word of its own even when glued to others
      // (`put a 1; delete b`).
      if scalars[index] == ";" {
        tokens.append(Token(bytes: [UInt8(ascii: ";")], column: start + 1))
        index += 1
        continue
      }

      while index < scalars.count, !isSpace(scalars[index]), scalars[index] != ";" {
        let scalar = scalars[index]
        if (scalar == "x" || scalar == "X") && index == start && index + 1 < scalars.count && scalars[index + 1] == "'"
        {
          let (hexBytes, next) = try readHex(scalars, from: index)
          bytes += hexBytes
          quoted = true
          index = next
        } else if scalar == "'" {
          guard let close = scalars[(index + 1)...].firstIndex(of: "'") else {
            throw TokenizeError("unbalanced ' quote", column: index + 1)
          }
          bytes += utf8(scalars[(index + 1)..<close])
          quoted = true
          index = close + 1
        } else if scalar == "\"" {
          let (quotedBytes, next) = try readDoubleQuoted(scalars, from: index)
          bytes += quotedBytes
          quoted = true
          index = next
        } else {
          bytes += utf8(scalars[index...index])
          index += 1
        }
      }
      tokens.append(Token(bytes: bytes, isQuoted: quoted, column: start + 1))
    }
    return tokens
  }

  /// Reads `x'…'` starting at the `x`; returns the bytes and the index after the closing quote.
  private static func readHex(_ s: [Unicode.Scalar], from start: Int) throws(TokenizeError) -> (Bytes, Int) {
    let open = start + 1
    guard let close = s[(open + 1)...].firstIndex(of: "'") else {
      throw TokenizeError("unbalanced ' quote in hex word", column: open + 1)
    }
    let digits = String(String.UnicodeScalarView(s[(open + 1)..<close]))
    guard let bytes = Bytes(hex: digits) else {
      let problem =
        digits.unicodeScalars.allSatisfy(\.properties.isASCIIHexDigit)
        ? "an odd number of hex digits" : "a character that is not a hex digit"
      throw TokenizeError("bad hex x'\(digits)': \(problem)", column: start + 1)
    }
    return (bytes, close + 1)
  }

  /// Reads `"…"` starting at the opening quote, resolving escapes.
  private static func readDoubleQuoted(_ s: [Unicode.Scalar], from start: Int) throws(TokenizeError) -> (Bytes, Int) {
    var bytes = Bytes()
    var index = start + 1
    while index < s.count {
      let scalar = s[index]
      if scalar == "\"" { return (bytes, index + 1) }
      if scalar == "\\" {
        guard index + 1 < s.count else { break }
        let escaped = s[index + 1]
        switch escaped {
        case "\"", "\\", "'": bytes += utf8([escaped][...])
        case "n": bytes.append(0x0A)
        case "t": bytes.append(0x09)
        case "r": bytes.append(0x0D)
        case "0": bytes.append(0x00)
        case "x":
          guard index + 3 < s.count,
            let byte = Bytes(hex: String(String.UnicodeScalarView(s[(index + 2)...(index + 3)]))), byte.count == 1
          else {
            throw TokenizeError("bad escape: \\x needs two hex digits", column: index + 1)
          }
          bytes += byte
          index += 4
          continue
        default:
          throw TokenizeError("unknown escape \\\(escaped)", column: index + 1)
        }
        index += 2
        continue
      }
      bytes += utf8(s[index...index])
      index += 1
    }
    throw TokenizeError("unbalanced \" quote", column: start + 1)
  }

  private static func utf8(_ scalars: ArraySlice<Unicode.Scalar>) -> Bytes {
    Bytes(String(String.UnicodeScalarView(scalars)).utf8)
  }
}
