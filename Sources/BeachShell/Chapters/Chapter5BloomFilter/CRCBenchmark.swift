import Chapter1WAL
import Chapter5BloomFilter
import Foundation

/// The evidence for chapter 5's hardware checksum: how many bytes a second
/// each CRC32C implementation this processor supports gets through.
///
/// Each cell checksums one buffer of random bytes over and over for a fixed
/// time, each call extending the previous call's CRC (so no call can be
/// skipped), and reports gigabytes (10⁹ bytes) a second. The sizes are the
/// ones the engine checksums: 64 bytes (a small log record), 4 KiB (a table
/// block) and 1 MiB (a large value or a whole log block run). Small buffers
/// show the cost of a call, large ones the speed of the loop. Run it in a
/// release build: `swift run -c release beach crc-bench`.
enum CRCBenchmark {
  /// The buffer sizes measured, bytes.
  static let sizes = [64, 4096, 1 << 20]

  /// Gigabytes a second of `implementation` over `buffer`, measured for
  /// about `seconds`.
  static func throughput(
    _ implementation: HardwareCRC32C.Implementation, over buffer: Bytes, seconds: Double
  ) -> Double {
    // Calls between looks at the clock: about 1 MiB of work, so reading
    // the clock costs nothing next to the checksums.
    let batch = max(1, (1 << 20) / max(buffer.count, 1))
    return buffer.withUnsafeBytes { bytes in
      var crc: UInt32 = 0
      for _ in 0..<batch { crc = HardwareCRC32C.update(crc, bytes, using: implementation) }  // warm up
      var calls = 0
      let start = DispatchTime.now()
      var elapsed = 0.0
      repeat {
        for _ in 0..<batch { crc = HardwareCRC32C.update(crc, bytes, using: implementation) }
        calls += batch
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
      } while elapsed < seconds
      keep(crc)
      return Double(calls * buffer.count) / elapsed / 1e9
    }
  }

  /// Runs the whole benchmark and returns its report as lines of at most
  /// 80 columns: a Markdown table, aligned.
  static func run(seconds: Double, seed: UInt64 = 5) -> [String] {
    var random = SeededGenerator(seed: seed)
    let buffers = sizes.map { size in Bytes((0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }) }
    let rows = HardwareCRC32C.supported.map { implementation in
      (implementation, buffers.map { throughput(implementation, over: $0, seconds: seconds) })
    }
    let table = rows.first { $0.0 == .table }?.1 ?? []

    let header = ["implementation"] + sizes.map(Format.size)
    var cells = [header]
    for (implementation, rates) in rows {
      cells.append([implementation.rawValue] + rates.map { format($0, 2) })
    }
    for (implementation, rates) in rows where implementation != .table {
      cells.append(["\(implementation.rawValue) ÷ table"] + zip(rates, table).map { format($0 / $1, 1) + "×" })
    }
    let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
    func line(_ row: [String]) -> String {
      let padded = row.indices.map { column in
        let space = String(repeating: " ", count: widths[column] - row[column].count)
        return column == 0 ? row[column] + space : space + row[column]  // names left, figures right
      }
      return "| " + padded.joined(separator: " | ") + " |"
    }
    /// Markdown's rule under the header: figures aligned right.
    func rule(_ column: Int) -> String {
      String(repeating: "-", count: widths[column] + 1) + (column == 0 ? "-" : ":")
    }
    return [
      "CRC32C throughput, GB/s (10⁹ bytes a second), about \(format(seconds, 2)) s per cell",
      "This processor's best: \(HardwareCRC32C.available.rawValue)",
      "",
      line(header),
      "|" + widths.indices.map(rule).joined(separator: "|") + "|",
    ] + cells.dropFirst().map(line)
  }

  /// Keeps the compiler from deciding the checksums are unused.
  @inline(never)
  private static func keep(_ crc: UInt32) {
    if crc == 0x1234_5678 { print("", terminator: "") }
  }

  private static func format(_ value: Double, _ decimals: Int) -> String {
    String(format: "%.\(decimals)f", value)
  }
}
