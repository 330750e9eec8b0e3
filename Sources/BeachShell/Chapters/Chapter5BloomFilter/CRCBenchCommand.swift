import ArgumentParser

/// `beach crc-bench`: chapter 5's evidence for the hardware checksum, each
/// CRC32C implementation's throughput at three buffer sizes.
struct CRCBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "crc-bench",
    abstract: "Measure CRC32C: the table and this processor's CRC instructions, 64 B to 1 MiB buffers.",
    discussion: """
      Checksums buffers of 64 B, 4 KiB and 1 MiB with every CRC32C implementation this processor supports \
      and prints gigabytes a second. Use a release build for figures: swift run -c release beach crc-bench
      """
  )

  @Option(help: "Seconds to measure each implementation at each size.")
  var seconds = 0.5

  func run() throws {
    guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds needs a number above 0, at most 60") }
    for line in CRCBenchmark.run(seconds: seconds) { print(line) }
  }
}
