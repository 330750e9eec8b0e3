import Chapter1WAL
import Testing

@testable import BeachShell

@Suite struct HexdumpTests {
  /// The worked example from `LogFormat`: one record, `put "k" "v"` at seq 1.
  @Test func dumpsSixteenBytesALineWithOffsetsHexAndASCII() {
    let bytes = Bytes(hex: "0c02ae91" + "11000000" + "a0e37ac2" + "0100000000000000" + "01000000" + "01016b0176")!
    #expect(
      Hexdump.lines(bytes) == [
        "00000000  0c 02 ae 91 11 00 00 00  a0 e3 7a c2 01 00 00 00  |..........z.....|",
        "00000010  00 00 00 00 01 00 00 00  01 01 6b 01 76           |..........k.v|",
      ])
  }

  @Test func offsetsCountFromTheStartOfTheFile() {
    #expect(
      Hexdump.lines(Bytes(utf8: "hello, world"), startingAt: 0x1f0) == [
        "000001f0  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64              |hello, world|"
      ])
  }

  @Test func aShortLineKeepsTheASCIIColumnAligned() {
    let lines = Hexdump.lines([0x41, 0x00, 0x7F, 0x20])
    #expect(lines == ["00000000  41 00 7f 20                                       |A.. |"])
    #expect(lines[0].firstIndex(of: "|") == Hexdump.lines(Bytes(repeating: 0, count: 16))[0].firstIndex(of: "|"))
  }

  @Test func nothingToDumpIsNoLines() {
    #expect(Hexdump.lines([]) == [])
  }
}
