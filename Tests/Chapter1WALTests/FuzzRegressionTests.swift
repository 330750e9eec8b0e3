import Testing

@testable import Chapter1WAL

/// Inputs `Scripts/fuzz` found that a decoder once mishandled, byte for
/// byte, each with what the decoder must now say about it.
@Suite struct FuzzRegressionTests {
  /// The payload the fuzzer framed: a batch of two deletes of the empty key
  /// at sequence 2^64 - 2. It decodes (recovery refuses it later), and
  /// `wal-dump` trapped adding the count to the sequence before taking one
  /// off. The dump now names the range, and a number past the top as such.
  @Test func walDumpOfABatchAtTheTopOfTheSequenceRange() {
    let payload: Bytes = [
      0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]
    var log = Bytes()
    LogFormat.frame(payload, into: &log)
    let dump = LogDump.dump(log, name: "000001.log", decode: true)
    #expect(dump.lines[1].hasSuffix("seq 18446744073709551614..18446744073709551615  2 ops"))
    #expect(dump.lines[2...3] == ["      #18446744073709551614 DEL \"\"", "      #18446744073709551615 DEL \"\""])

    var last = payload
    last[0] = 0xFF
    log = []
    LogFormat.frame(last, into: &log)
    let past = LogDump.dump(log, name: "000001.log", decode: true)
    #expect(past.lines[1].hasSuffix("seq 18446744073709551615..(past 18446744073709551615)  2 ops"))
    #expect(past.lines[3] == "      #(past 18446744073709551615) DEL \"\"")
  }
}
