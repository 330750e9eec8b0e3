import ArgumentParser
import Chapter1WAL
import Chapter5BloomFilter
import Foundation

/// `beach bloom-rates`: chapter 5's evidence for its filters, the
/// false-positive rate theory predicts and the rate each layout gets, from
/// 1 to 20 bits per key.
struct BloomRatesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bloom-rates",
    abstract: "Measure bloom filter false-positive rates, 1 to 20 bits per key, in both layouts.",
    discussion: """
      Builds filters over N keys at each number of bits per key, in the standard and the cache-local layout, \
      asks each about N keys it does not hold, and prints a Markdown table: bits per key, probes, the rate \
      theory predicts, and the two measured rates. --svg also writes them as a plot. A release build is \
      quicker: swift run -c release beach bloom-rates --svg Docs/performance/bloom-false-positives.svg
      """
  )

  @Option(help: "Keys in each filter, and absent keys asked about.")
  var keys = 1_000_000

  @Option(help: "Write the plot to this SVG file.")
  var svg: String?

  func run() throws {
    guard keys >= 1000, keys <= 50_000_000 else {
      throw ValidationError("--keys needs a number from 1000 to 50000000")
    }
    let rows = BloomRates.measure(keys: keys)
    for line in BloomRates.table(rows, keys: keys) { print(line) }
    print("")
    for line in BloomRates.probeTimes(keys: keys) { print(line) }
    if let svg {
      try Data(BloomRates.plot(rows, keys: keys).utf8).write(to: URL(fileURLWithPath: svg))
      print("wrote \(svg)")
    }
  }
}

/// The measurement behind `beach bloom-rates`.
enum BloomRates {
  /// Nanoseconds per `mayContain` at 10 bits per key, for each layout, on
  /// a filter over `keys` keys, asked about a million absent keys and a
  /// million present ones in random order. A filter of a million keys is
  /// 1.2 MB, larger than a core's L2 cache, so each probe of the standard
  /// layout that reaches memory is a cache miss. An absent key stops at its
  /// first zero bit (about two probes); a present key takes all k. Best of 3.
  static func probeTimes(keys: Int) -> [String] {
    let present = (0..<keys).map { BloomHash.hash(Bytes(String(format: "user%012d", $0).utf8)) }
    var random = SeededGenerator(seed: 11)
    let absent = (0..<1_000_000).map { _ in UInt64.random(in: 0...UInt64.max, using: &random) }
    let held = (0..<1_000_000).map { _ in present[Int.random(in: 0..<keys, using: &random)] }
    var lines = [
      "ns per probe, 10 bits per key, \(keys) keys (\(keys * 10 / 8 / 1024) KiB), 1000000 lookups each:",
      "| layout | absent keys | present keys |", "|---|---:|---:|",
    ]
    func time(_ filter: BloomFilter, _ asked: [UInt64]) -> Double {
      var best = Double.infinity
      for _ in 0..<3 {
        var maybes = 0
        let start = ContinuousClock.now
        for hash in asked where filter.mayContain(hash: hash) { maybes += 1 }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        precondition(maybes >= 0)
        best = min(best, seconds * 1e9 / Double(asked.count))
      }
      return best
    }
    for layout in BloomFilter.Layout.allCases {
      let filter = BloomFilter(hashes: present, bitsPerKey: 10, layout: layout)
      lines.append(
        "| \(layout) | " + String(format: "%.1f ns", time(filter, absent)) + " | "
          + String(format: "%.1f ns", time(filter, held)) + " |")
    }
    return lines
  }

  /// One number of bits per key: what theory says and what each layout got.
  struct Row {
    var bitsPerKey: Int
    var probes: Int
    /// (1 − e^(−kn/m))^k for the standard filter's m.
    var theory: Double
    var standard: Double
    var cacheLocal: Double
  }

  /// Filters over `keys` keys (`user000000000000`, …) asked about as many
  /// keys they do not hold (numbered from `keys` on): the fraction that
  /// answer *maybe*. Every key is hashed once; deterministic.
  static func measure(keys: Int, bits: ClosedRange<Int> = 1...20) -> [Row] {
    func hashes(_ range: Range<Int>) -> [UInt64] {
      range.map { BloomHash.hash(Bytes(String(format: "user%012d", $0).utf8)) }
    }
    let present = hashes(0..<keys)
    let absent = hashes(keys..<(2 * keys))
    func rate(_ bitsPerKey: Int, _ layout: BloomFilter.Layout) -> (Double, BloomFilter) {
      let filter = BloomFilter(hashes: present, bitsPerKey: Double(bitsPerKey), layout: layout)
      let positives = absent.reduce(0) { $0 + (filter.mayContain(hash: $1) ? 1 : 0) }
      return (Double(positives) / Double(absent.count), filter)
    }
    return bits.map { b in
      let (standard, filter) = rate(b, .standard)
      let (cacheLocal, _) = rate(b, .cacheLocal)
      let theory = BloomFilter.expectedFalsePositiveRate(keys: keys, bits: filter.bitCount, probes: filter.probes)
      return Row(bitsPerKey: b, probes: filter.probes, theory: theory, standard: standard, cacheLocal: cacheLocal)
    }
  }

  /// The rows as a Markdown table, rates in percent.
  static func table(_ rows: [Row], keys: Int) -> [String] {
    func percent(_ rate: Double) -> String { String(format: rate >= 0.001 ? "%.2f %%" : "%.4f %%", 100 * rate) }
    return [
      "False-positive rates, \(keys) keys per filter, \(keys) absent keys asked",
      "",
      "| bits/key | k | theory | standard | cache-local |",
      "|---:|---:|---:|---:|---:|",
    ]
      + rows.map { row in
        "| \(row.bitsPerKey) | \(row.probes) | \(percent(row.theory)) | \(percent(row.standard)) "
          + "| \(percent(row.cacheLocal)) |"
      }
  }

  /// The rows as an SVG plot: bits per key across, the rate down a
  /// logarithmic axis; theory as a line, the layouts as points. A measured
  /// rate of 0 (no false positive at all) is left out.
  static func plot(_ rows: [Row], keys: Int) -> String {
    let (width, height) = (640.0, 400.0)
    let (left, right, top, bottom) = (70.0, 20.0, 40.0, 50.0)
    let (minExponent, maxExponent) = (-5.0, 0.0)
    let lastBits = Double(rows.last?.bitsPerKey ?? 20)
    func x(_ bits: Double) -> Double { left + (bits - 1) / (lastBits - 1) * (width - left - right) }
    func y(_ rate: Double) -> Double {
      let exponent = min(maxExponent, max(minExponent, log10(rate)))
      return top + (maxExponent - exponent) / (maxExponent - minExponent) * (height - top - bottom)
    }
    func number(_ value: Double) -> String { String(format: "%.1f", value) }
    var svg = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">",
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
      "<text x=\"\(number(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">"
        + "Bloom filter false positives, \(keys) keys</text>",
    ]
    for exponent in stride(from: minExponent, through: maxExponent, by: 1) {
      let rate = pow(10, exponent)
      let label = String(format: "%g %%", 100 * rate)
      svg.append(
        "<line x1=\"\(number(left))\" y1=\"\(number(y(rate)))\" x2=\"\(number(width - right))\" "
          + "y2=\"\(number(y(rate)))\" stroke=\"#ddd\"/>")
      svg.append(
        "<text x=\"\(number(left - 6))\" y=\"\(number(y(rate) + 4))\" text-anchor=\"end\">\(label)</text>")
    }
    for bits in stride(from: 2, through: Int(lastBits), by: 2) {
      svg.append(
        "<text x=\"\(number(x(Double(bits))))\" y=\"\(number(height - bottom + 18))\" "
          + "text-anchor=\"middle\">\(bits)</text>")
    }
    svg.append(
      "<text x=\"\(number((left + width - right) / 2))\" y=\"\(number(height - 10))\" "
        + "text-anchor=\"middle\">bits per key</text>")
    svg.append(
      "<rect x=\"\(number(left))\" y=\"\(number(top))\" width=\"\(number(width - left - right))\" "
        + "height=\"\(number(height - top - bottom))\" fill=\"none\" stroke=\"#888\"/>")
    let theory = rows.map { "\(number(x(Double($0.bitsPerKey)))),\(number(y($0.theory)))" }
    svg.append(
      "<polyline points=\"\(theory.joined(separator: " "))\" fill=\"none\" stroke=\"#444\" stroke-width=\"1.5\"/>")
    for row in rows where row.standard > 0 {
      svg.append(
        "<circle cx=\"\(number(x(Double(row.bitsPerKey))))\" cy=\"\(number(y(row.standard)))\" r=\"4\" "
          + "fill=\"#1f77b4\"/>")
    }
    for row in rows where row.cacheLocal > 0 {
      let (cx, cy) = (x(Double(row.bitsPerKey)), y(row.cacheLocal))
      svg.append(
        "<rect x=\"\(number(cx - 3.5))\" y=\"\(number(cy - 3.5))\" width=\"7\" height=\"7\" fill=\"none\" "
          + "stroke=\"#d62728\" stroke-width=\"1.5\"/>")
    }
    let legend = [
      (
        "<line x1=\"0\" y1=\"0\" x2=\"18\" y2=\"0\" stroke=\"#444\" stroke-width=\"1.5\"/>",
        "theory, (1 − e^(−kn/m))^k"
      ),
      ("<circle cx=\"9\" cy=\"0\" r=\"4\" fill=\"#1f77b4\"/>", "standard, measured"),
      (
        "<rect x=\"5.5\" y=\"-3.5\" width=\"7\" height=\"7\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\"/>",
        "cache-local, measured"
      ),
    ]
    for (index, (mark, text)) in legend.enumerated() {
      let (lx, ly) = (width - right - 200, top + 18 + 18 * Double(index))
      svg.append(
        "<g transform=\"translate(\(number(lx)),\(number(ly)))\">\(mark)"
          + "<text x=\"26\" y=\"4\">\(text)</text></g>")
    }
    svg.append("</svg>")
    return svg.joined(separator: "\n") + "\n"
  }
}
