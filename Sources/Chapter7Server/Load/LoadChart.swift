#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// Latency against throughput, as an SVG: the curve `beach load --sweep`
/// draws.
///
/// Each series is one server (its runs share a label), one point per rate
/// of the sweep: across, the throughput achieved; up, a corrected latency
/// percentile, on a logarithmic scale because a server past its capacity is
/// a hundred or a thousand times slower, not twice. A server's curve is flat
/// while it keeps up and turns up sharply where it stops: that knee is its
/// capacity at that latency. p99 is drawn solid, p50 dashed. The same
/// results give the same bytes.
public enum LoadChart {
  /// The chart of `results`, grouped into series by label, in the order
  /// labels first appear.
  public static func svg(_ results: [LoadResult], title: String, caption: String) -> String {
    let width = 720.0
    let height = 440.0
    let left = 80.0
    let right = 170.0
    let top = 64.0
    let bottom = 56.0
    let plotWidth = width - left - right
    let plotHeight = height - top - bottom

    var labels: [String] = []
    for result in results where !labels.contains(result.label) { labels.append(result.label) }
    let maximumThroughput = max(1, results.map(\.throughput).max() ?? 1)
    let xMaximum = niceCeiling(maximumThroughput)
    let latencies = results.flatMap { [$0.corrected.p50, $0.corrected.p99] }.filter { $0 > 0 }
    var lowDecade = 1.0
    while lowDecade * 10 <= (latencies.min() ?? 10) { lowDecade *= 10 }
    var highDecade = lowDecade * 10
    while highDecade < (latencies.max() ?? 10) { highDecade *= 10 }

    func x(_ throughput: Double) -> Double { left + plotWidth * throughput / xMaximum }
    func y(_ microseconds: Double) -> Double {
      let value = min(max(microseconds, lowDecade), highDecade)
      return top + plotHeight * (1 - (log10(value) - log10(lowDecade)) / (log10(highDecade) - log10(lowDecade)))
    }

    var svg = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\">",
      "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>",
      // A long title in a smaller type, so it fits the width.
      "<text x=\"10\" y=\"24\" font-size=\"\(title.count > 60 ? 14 : 17)\" font-weight=\"bold\" fill=\"#222\">"
        + "\(escape(title))</text>",
      "<text x=\"10\" y=\"44\" font-size=\"12\" fill=\"#555\">\(escape(caption))</text>",
    ]
    // Grid and axes: one line per decade of latency, five steps of throughput.
    var decade = lowDecade
    while decade <= highDecade {
      let lineY = format(y(decade))
      svg.append(
        "<line x1=\"\(format(left))\" y1=\"\(lineY)\" x2=\"\(format(left + plotWidth))\" y2=\"\(lineY)\" "
          + "stroke=\"#e4e4e4\"/>")
      svg.append(
        "<text x=\"\(format(left - 8))\" y=\"\(format(y(decade) + 4))\" font-size=\"11\" fill=\"#555\" "
          + "text-anchor=\"end\">\(escape(LoadReport.latency(decade)))</text>")
      decade *= 10
    }
    for step in 0...5 {
      let throughput = xMaximum * Double(step) / 5
      let lineX = format(x(throughput))
      svg.append(
        "<line x1=\"\(lineX)\" y1=\"\(format(top))\" x2=\"\(lineX)\" y2=\"\(format(top + plotHeight))\" "
          + "stroke=\"#f0f0f0\"/>")
      svg.append(
        "<text x=\"\(lineX)\" y=\"\(format(top + plotHeight + 16))\" font-size=\"11\" fill=\"#555\" "
          + "text-anchor=\"middle\">\(LoadReport.count(throughput))</text>")
    }
    svg.append(
      "<rect x=\"\(format(left))\" y=\"\(format(top))\" width=\"\(format(plotWidth))\" "
        + "height=\"\(format(plotHeight))\" fill=\"none\" stroke=\"#999\"/>")
    svg.append(
      "<text x=\"\(format(left + plotWidth / 2))\" y=\"\(format(height - 14))\" font-size=\"12\" fill=\"#333\" "
        + "text-anchor=\"middle\">throughput achieved (requests per second)</text>")
    svg.append(
      "<text x=\"16\" y=\"\(format(top + plotHeight / 2))\" font-size=\"12\" fill=\"#333\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 16 \(format(top + plotHeight / 2)))\">corrected latency</text>")

    for (index, label) in labels.enumerated() {
      let color = colors[index % colors.count]
      let series = results.filter { $0.label == label }.sorted { $0.throughput < $1.throughput }
      for (percentile, dash) in [(\LatencySummary.p99, ""), (\LatencySummary.p50, " stroke-dasharray=\"5 4\"")] {
        let points = series.map { "\(format(x($0.throughput))),\(format(y($0.corrected[keyPath: percentile])))" }
        svg.append(
          "<polyline points=\"\(points.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" "
            + "stroke-width=\"2\"\(dash)/>")
        for point in points {
          let xy = point.split(separator: ",")
          svg.append("<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3\" fill=\"\(color)\"/>")
        }
      }
      let legendY = top + 12 + Double(index) * 36
      let legendX = left + plotWidth + 16
      svg.append(
        "<line x1=\"\(format(legendX))\" y1=\"\(format(legendY))\" x2=\"\(format(legendX + 22))\" "
          + "y2=\"\(format(legendY))\" stroke=\"\(color)\" stroke-width=\"2\"/>")
      svg.append(
        "<text x=\"\(format(legendX + 28))\" y=\"\(format(legendY + 4))\" font-size=\"12\" fill=\"#222\">"
          + "\(escape(label)) p99</text>")
      svg.append(
        "<line x1=\"\(format(legendX))\" y1=\"\(format(legendY + 16))\" x2=\"\(format(legendX + 22))\" "
          + "y2=\"\(format(legendY + 16))\" stroke=\"\(color)\" stroke-width=\"2\" stroke-dasharray=\"5 4\"/>")
      svg.append(
        "<text x=\"\(format(legendX + 28))\" y=\"\(format(legendY + 20))\" font-size=\"12\" fill=\"#222\">"
          + "\(escape(label)) p50</text>")
    }
    svg.append("</svg>")
    return svg.joined(separator: "\n") + "\n"
  }

  static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]

  /// The smallest of 1, 2 or 5 times a power of ten that is at least `value`.
  static func niceCeiling(_ value: Double) -> Double {
    var power = 1.0
    while power * 10 <= value { power *= 10 }
    for step in [1.0, 2, 5, 10] where step * power >= value { return step * power }
    return 10 * power
  }

  /// One decimal, for coordinates.
  static func format(_ value: Double) -> String { LoadReport.fixed(value, 1) }

  static func escape(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(character)
      }
    }
    return out
  }
}
