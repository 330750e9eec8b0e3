import Foundation

/// The per-chapter comparison, as a Markdown table and as an SVG chart.
///
/// `beach bench --chapters=1,2,3` runs one workload on each chapter's engine;
/// these turn its results into the book's evidence. The chart is small
/// multiples: one panel per benchmark, one bar per chapter, each panel on
/// its own scale (a fill costs microseconds, a reopen milliseconds), so
/// that what a panel shows is how the chapters compare on that one
/// benchmark. Both are deterministic: the same results give the same bytes.
public enum BenchChart {
  /// Rows of benchmarks, columns of chapters, microseconds per operation.
  ///
  /// ```
  /// | benchmark | ch 1 µs/op | ch 2 µs/op | ch 3 µs/op |
  /// |---|---:|---:|---:|
  /// | fillseq | 2.31 | 2.95 | 3.40 |
  /// ```
  public static func markdownTable(_ runs: [BenchRun]) -> String {
    var lines = [
      "| benchmark | " + runs.map { "ch \($0.chapter) µs/op" }.joined(separator: " | ") + " |",
      "|---|" + String(repeating: "---:|", count: runs.count),
    ]
    for name in benchmarkNames(runs) {
      let cells = runs.map { run -> String in
        guard let result = run.results.first(where: { $0.name == name }) else { return "" }
        if result.skipped != nil { return "—" }
        return format(result.microsecondsPerOperation)
      }
      lines.append("| \(name) | " + cells.joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The chart: one panel per benchmark, one bar per chapter.
  ///
  /// - Parameters:
  ///   - title: the chart's heading.
  ///   - caption: a line under it: the workload and the machine, say.
  public static func svg(_ runs: [BenchRun], title: String, caption: String) -> String {
    let width = 720
    let labelWidth = 150
    let valueWidth = 110
    let barArea = width - labelWidth - valueWidth - 20
    let barHeight = 16
    let barGap = 4
    let panelTitleHeight = 22
    let panelGap = 14
    let names = benchmarkNames(runs)
    let panelHeight = panelTitleHeight + runs.count * (barHeight + barGap)
    let top = 64
    let height = top + names.count * (panelHeight + panelGap) + 10

    var svg = [
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
        + "viewBox=\"0 0 \(width) \(height)\" font-family=\"Helvetica, Arial, sans-serif\">",
      "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>",
      "<text x=\"10\" y=\"24\" font-size=\"17\" font-weight=\"bold\" fill=\"#222\">\(escape(title))</text>",
      "<text x=\"10\" y=\"44\" font-size=\"12\" fill=\"#555\">\(escape(caption))</text>",
    ]
    for (panel, name) in names.enumerated() {
      let y0 = top + panel * (panelHeight + panelGap)
      svg.append(
        "<text x=\"10\" y=\"\(y0 + 15)\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">\(escape(name))</text>")
      let values = runs.map { run in run.results.first { $0.name == name && $0.skipped == nil } }
      let largest = values.compactMap { $0?.microsecondsPerOperation }.max() ?? 0
      for (row, run) in runs.enumerated() {
        let y = y0 + panelTitleHeight + row * (barHeight + barGap)
        svg.append(
          "<text x=\"\(labelWidth - 8)\" y=\"\(y + barHeight - 4)\" font-size=\"12\" fill=\"#333\" "
            + "text-anchor=\"end\">chapter \(run.chapter)</text>")
        guard let result = values[row] else {
          svg.append(
            "<text x=\"\(labelWidth)\" y=\"\(y + barHeight - 4)\" font-size=\"12\" fill=\"#888\">"
              + "not supported</text>")
          continue
        }
        let micros = result.microsecondsPerOperation
        let length = largest > 0 ? max(1, Int((micros / largest * Double(barArea)).rounded())) : 1
        svg.append(
          "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(length)\" height=\"\(barHeight)\" "
            + "fill=\"\(color(row))\"/>")
        svg.append(
          "<text x=\"\(labelWidth + length + 6)\" y=\"\(y + barHeight - 4)\" font-size=\"12\" fill=\"#222\">"
            + "\(format(micros)) µs/op</text>")
      }
    }
    svg.append("</svg>")
    return svg.joined(separator: "\n") + "\n"
  }

  /// The benchmark names in the order the runs met them.
  private static func benchmarkNames(_ runs: [BenchRun]) -> [String] {
    var names: [String] = []
    for run in runs {
      for result in run.results where !names.contains(result.name) { names.append(result.name) }
    }
    return names
  }

  /// Three significant figures or so: `0.412`, `3.41`, `27.3`, `1204`.
  static func format(_ value: Double) -> String {
    switch value {
    case ..<1: return String(format: "%.3f", value)
    case ..<10: return String(format: "%.2f", value)
    case ..<100: return String(format: "%.1f", value)
    default: return String(format: "%.0f", value)
    }
  }

  private static func color(_ index: Int) -> String {
    let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"]
    return palette[index % palette.count]
  }

  private static func escape(_ text: String) -> String { escapeMarkup(text) }
}
