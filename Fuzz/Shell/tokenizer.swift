/// Fuzz target `tokenizer`: the shell's command-line tokenizer.
///
/// The input is a line of UTF-8 (invalid sequences replaced). Properties:
/// `tokenize` never traps; for every token that is valid UTF-8,
/// `Tokenizer.quoted` of it reads back as exactly that one token; and the
/// tokens, each quoted and joined with spaces, read back as the same words.

import Chapter1WAL
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  let line = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
  guard let tokens = try? Tokenizer.tokenize(line) else { return 0 }
  var words: [String] = []
  for token in tokens {
    guard let word = String(validating: token.bytes, as: UTF8.self) else { return 0 }
    let quoted = Tokenizer.quoted(word)
    let reread = try? Tokenizer.tokenize(quoted)
    expect(
      reread?.map(\.bytes) == [token.bytes],
      "quoted(\(word.debugDescription)) = \(quoted.debugDescription) reads back as \(String(describing: reread))")
    words.append(token.isSeparator ? ";" : quoted)
  }
  let joined = words.joined(separator: " ")
  let reread = try? Tokenizer.tokenize(joined)
  expect(
    reread?.map(\.bytes) == tokens.map(\.bytes),
    "\(joined.debugDescription) reads back as \(String(describing: reread))")
  return 0
}
