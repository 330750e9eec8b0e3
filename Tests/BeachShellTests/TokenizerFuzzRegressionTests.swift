import Chapter1WAL
import Testing

@testable import BeachShell

/// Inputs `Scripts/fuzz` found that the tokenizer once mishandled.
@Suite struct TokenizerFuzzRegressionTests {
  /// A word holding `'` followed by a combining mark (U+06D6): as
  /// characters the pair is one `Character` that is not `'`, so `quoted`
  /// left the word bare, and `tokenize`, which reads scalars, then met an
  /// unbalanced quote. The fuzzer's line was `"\0.'"` + U+06D6 written in
  /// double quotes.
  @Test func quotedLooksAtScalarsNotCharacters() throws {
    let line = String(decoding: [0x22, 0x00, 0x2E, 0x27, 0x22, 0xDB, 0x96] as Bytes, as: UTF8.self)
    let tokens = try Tokenizer.tokenize(line)
    #expect(tokens.map(\.bytes) == [[0x00, 0x2E, 0x27, 0xDB, 0x96]])
    let word = "\u{0}.'\u{06D6}"
    let quoted = Tokenizer.quoted(word)
    #expect(quoted == "\"\u{0}.'\u{06D6}\"")
    #expect(try Tokenizer.tokenize(quoted).map(\.bytes) == [Bytes(word.utf8)])
  }

  /// The same for the other specials: a combining mark after a space, a
  /// backslash or a double quote still leaves the word quoted, and the word
  /// reads back whole.
  @Test(arguments: [" ", "\\", "\"", "#", ";", "\r\n"])
  func aCombiningMarkDoesNotHideASpecialScalar(_ special: String) throws {
    let word = "a" + special + "\u{0301}b'"
    #expect(try Tokenizer.tokenize(Tokenizer.quoted(word)).map(\.bytes) == [Bytes(word.utf8)])
  }
}
