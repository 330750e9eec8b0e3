import Chapter1WAL
import Testing

@testable import BeachShell

@Suite struct TokenizerTests {
  private func words(_ line: String) throws -> [String] {
    try Tokenizer.tokenize(line).map(\.text)
  }

  private func bytes(_ line: String) throws -> [Bytes] {
    try Tokenizer.tokenize(line).map(\.bytes)
  }

  @Test func plainWordsAreSplitOnWhitespace() throws {
    #expect(try words("put  user:1\talice ") == ["put", "user:1", "alice"])
    #expect(try words("") == [])
    #expect(try words("   ") == [])
  }

  @Test func quotesKeepSpacesInsideOneWord() throws {
    #expect(try words(#"put "my key" 'a value'"#) == ["put", "my key", "a value"])
    #expect(try words(#"put "" ''"#) == ["put", "", ""])
  }

  @Test func adjacentPiecesFormOneWord() throws {
    #expect(try words(#"key" "1 'x y'z"#) == ["key 1", "x yz"])
  }

  @Test func doubleQuotesUnderstandBackslashEscapes() throws {
    #expect(
      try bytes(#""a\"b" "\\" "\n\t\r\0" "\x41\xff" "it\'s""#) == [
        Bytes(utf8: "a\"b"), Bytes(utf8: "\\"), [0x0A, 0x09, 0x0D, 0x00], [0x41, 0xFF], Bytes(utf8: "it's"),
      ])
  }

  @Test func singleQuotesAreLiteral() throws {
    #expect(try words(#"'a\nb "c"'"#) == [#"a\nb "c""#])
  }

  @Test func hexWordsAreBinary() throws {
    #expect(try bytes("x'00ff10' X'AB' x''") == [[0x00, 0xFF, 0x10], [0xAB], []])
    #expect(try Tokenizer.tokenize("x'00'").first?.isQuoted == true)
  }

  @Test func anXInsideAWordIsJustALetter() throws {
    #expect(try words("box'a b'") == ["boxa b"])
  }

  @Test func semicolonsSeparateUnlessQuoted() throws {
    let tokens = try Tokenizer.tokenize(#"batch put a 1; delete b ;put c ";""#)
    #expect(tokens.map(\.text) == ["batch", "put", "a", "1", ";", "delete", "b", ";", "put", "c", ";"])
    #expect(tokens.map(\.isSeparator) == [false, false, false, false, true, false, false, true, false, false, false])
  }

  @Test func aLineStartingWithHashIsAComment() throws {
    #expect(try words("  # put a 1") == [])
    #expect(try words("put #a 1") == ["put", "#a", "1"])
  }

  @Test func nonASCIIIsUTF8() throws {
    #expect(try bytes("put clé") == [Bytes(utf8: "put"), Bytes(utf8: "clé")])
  }

  @Test(arguments: [
    (#"put "abc"#, #"unbalanced " quote"#, 5),
    ("put 'abc", "unbalanced ' quote", 5),
    ("put x'0g'", "bad hex x'0g': a character that is not a hex digit", 5),
    ("put x'abc'", "bad hex x'abc': an odd number of hex digits", 5),
    ("put x'ab", "unbalanced ' quote in hex word", 6),
    (#"put "a\qb""#, #"unknown escape \q"#, 7),
    (#"put "\x4""#, #"bad escape: \x needs two hex digits"#, 6),
    (#"put "ab\"#, #"unbalanced " quote"#, 5),
  ])
  func malformedInputIsAnError(line: String, message: String, column: Int) {
    #expect(throws: TokenizeError(message, column: column)) { try Tokenizer.tokenize(line) }
  }
}

/// What the shell prints, it reads back: `printable` and `Tokenizer.quoted`
/// round-trip through the tokenizer for text, binary and everything between.
@Suite struct PrintableRoundTripTests {
  @Test(arguments: [
    "alice", "café", "clé", "", "two words", "tab\there", "line\nbreak", "quote\"d", "it's", "back\\slash",
    "x'00'", "#hash", ";", "ab\u{01}cdefg", "日本語",
  ])
  func textPrintsAsTextAndReadsBack(text: String) throws {
    let bytes = Bytes(text.utf8)
    let shown = Format.printable(bytes)
    #expect(try Tokenizer.tokenize(shown).map(\.bytes) == [bytes], "\(shown)")
    #expect(try Tokenizer.tokenize(Tokenizer.quoted(text)).map(\.bytes) == [bytes])
    #expect(!shown.hasPrefix("x'"), "text is shown as text, not hex: \(shown)")
  }

  @Test func randomBytesReadBackExactly() throws {
    var generator = SeededGenerator(seed: 42)
    for _ in 0..<2000 {
      let count = Int.random(in: 0...12, using: &generator)
      let pool: [UInt8] = Array(0x20...0x7E) + [0x00, 0x01, 0x09, 0x0A, 0xC3, 0xA9, 0xFF, 0x80]
      let bytes = (0..<count).map { _ in pool.randomElement(using: &generator)! }
      let shown = Format.printable(bytes)
      #expect(try Tokenizer.tokenize(shown).map(\.bytes) == [bytes], "\(shown)")
    }
  }
}
