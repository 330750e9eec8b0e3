import Chapter1WAL

/// A load run in words: the text report `beach load` prints, and the
/// Markdown table that sets runs side by side.
///
///     beach load: beach at 127.0.0.1:7070, 4 connections, open loop at 20000/s for 10 s
///       mix 90/10 get/set, 100000 keys zipfian, 100-byte values
///     throughput 19998/s (199980 requests, 0 errors)
///                      p50       p90       p99     p99.9       max
///     corrected      61 µs     95 µs    210 µs   1.20 ms   4.31 ms
///     uncorrected    60 µs     93 µs    198 µs    830 µs   4.29 ms
public enum LoadReport {
  /// The line that says what ran: the server, the pacing, the workload.
  public static func headline(_ plan: LoadPlan, target: String, address: String) -> String {
    var pacing: String
    switch plan.pacing {
    case .open:
      pacing = "open loop at \(count(plan.rate))/s for \(seconds(plan.duration))"
    case .closed:
      pacing = "closed loop for \(seconds(plan.duration))"
    }
    if plan.warmup > 0 { pacing += " after \(seconds(plan.warmup)) of warmup" }
    let workload = plan.workload
    // Two lines, so that each fits an 80-column terminal.
    return "beach load: \(target) at \(address), \(Format.plural(plan.connections, "connection")), \(pacing)\n"
      + "  mix \(workload.mix), \(workload.keyCount) keys \(workload.distribution.rawValue), "
      + "\(workload.valueSize)-byte values"
  }

  /// The report: the headline, throughput and errors, and the table of
  /// corrected and uncorrected latencies.
  public static func lines(_ result: LoadResult) -> [String] {
    var lines = [headline(result.plan, target: result.target, address: result.address)]
    var counts = ["\(result.requests) requests", Format.plural(result.failures.total, "error")]
    if result.missing > 0 { counts.append("\(result.missing) GETs found no value") }
    lines.append("throughput \(count(result.throughput))/s (\(counts.joined(separator: ", ")))")
    if result.failures.total > 0 {
      let kinds = LoadFailure.allCases.filter { result.failures[$0] > 0 }.map {
        "\($0.rawValue) \(result.failures[$0])"
      }
      lines.append("errors: " + kinds.joined(separator: ", "))
    }
    if result.plan.pacing == .open && result.throughput < result.plan.rate * 0.95 && result.requests > 0 {
      lines.append(
        "the server did not keep up: \(count(result.throughput))/s of the \(count(result.plan.rate))/s scheduled")
    }
    lines.append(pad("", 12) + result.corrected.columns.map { pad($0.name, 10, right: true) }.joined())
    for (name, summary) in [("corrected", result.corrected), ("uncorrected", result.uncorrected)] {
      lines.append(pad(name, 12) + summary.columns.map { pad(latency($0.microseconds), 10, right: true) }.joined())
    }
    if result.plan.pacing == .closed {
      lines.append("(a closed loop has no schedule: corrected and uncorrected are the same)")
    }
    return lines
  }

  /// Group commit in one line: the writes the server took during a run
  /// (warmup included), its log syncs, and the writes each sync made durable.
  public static func syncLine(writes: Int, syncs: Int, seconds: Double) -> String {
    let perSync = syncs > 0 ? fixed(Double(writes) / Double(syncs), 1) : "-"
    let perSecond = seconds > 0 ? count(Double(syncs) / seconds) : "0"
    return "server: \(writes) writes, \(syncs) log syncs (\(perSecond)/s), \(perSync) writes per sync"
  }

  /// Runs side by side: one Markdown row each, corrected latencies.
  public static func markdownTable(_ results: [LoadResult]) -> [String] {
    var lines = [
      "| run | workload | pacing | throughput/s | p50 | p99 | p99.9 | max | errors |",
      "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results {
      let pacing = result.plan.pacing == .open ? "open \(count(result.plan.rate))/s" : "closed"
      let c = result.corrected
      let cells = [
        result.label, result.plan.workload.mix.description, pacing, count(result.throughput), latency(c.p50),
        latency(c.p99), latency(c.p999), latency(c.max), "\(result.failures.total)",
      ]
      lines.append("| " + cells.joined(separator: " | ") + " |")
    }
    return lines
  }

  /// `85 µs`, `1.23 ms`, `12.3 ms`, `312 ms`, `1.52 s`.
  public static func latency(_ microseconds: Double) -> String {
    switch microseconds {
    case ..<1000: "\(Int(microseconds.rounded())) µs"
    case ..<10_000: fixed(microseconds / 1000, 2) + " ms"
    case ..<100_000: fixed(microseconds / 1000, 1) + " ms"
    case ..<1_000_000: "\(Int((microseconds / 1000).rounded())) ms"
    default: fixed(microseconds / 1_000_000, 2) + " s"
    }
  }

  /// A number with `digits` decimals (no Foundation here).
  public static func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale)
    let fraction = String(abs(scaled) % Int(scale))
    let sign = scaled < 0 && whole == 0 ? "-" : ""
    guard digits > 0 else { return "\(whole)" }
    return sign + "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
  }

  public static func count(_ value: Double) -> String { "\(Int(value.rounded()))" }

  public static func seconds(_ value: Double) -> String {
    value == value.rounded() ? "\(Int(value)) s" : fixed(value, 1) + " s"
  }

  static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
  }
}
