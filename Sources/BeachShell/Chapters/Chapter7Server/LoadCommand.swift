import ArgumentParser
import Chapter1WAL
import Chapter7Server
import Foundation

/// `beach load`: chapter 7's open-loop load generator, against `beach serve`,
/// `redis-server`, or a server a later chapter adds to `LoadCommand.kinds`
/// (the list in `Chapters/Chapters.swift`).
struct LoadCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "load",
    abstract: "Drive a server with a constant-rate schedule and report its latency honestly.",
    discussion: """
      Sends GETs and SETs on a timetable (--rate requests a second over --connections connections) whether \
      or not the replies keep up, and times each reply twice: from the moment the timetable meant it to be \
      sent (corrected for coordinated omission, as wrk2 does) and from the moment it was sent. --closed runs \
      the usual closed loop instead, for comparison. Each --target is KIND:HOST:PORT, KIND \
      \(LoadCommand.kindList(withSummaries: true)); several targets run the very same schedule one after \
      the other. --rates runs a sweep, and --svg draws its latency-against-throughput curve. Against beach, the \
      server's log syncs during the run are reported too (group commit: writes per fsync).
      """
  )

  @Option(
    name: .customLong("target"),
    help: ArgumentHelp(
      "A server: KIND:HOST:PORT, KIND \(LoadCommand.kindList()) (repeatable; default beach:127.0.0.1:7070).",
      valueName: "kind:host:port"))
  var targets: [String] = []
  @Option(help: "Connections, opened before the run.") var connections = 4
  @Option(help: "Requests a second, all connections together (open loop).") var rate = 10_000.0
  @Option(help: "A sweep: comma-separated rates, each run in turn (open loop).") var rates: String?
  @Option(help: "Seconds measured.") var duration = 10.0
  @Option(help: "Seconds run first on the same schedule and not measured.") var warmup = 1.0
  @Flag(help: "A closed loop: each connection sends when its previous reply arrives.") var closed = false
  @Option(help: "Requests one connection may have unanswered (open loop).") var maxOutstanding = 64
  @Option(help: "The mix: get, set, or G/S percentages such as 90/10.") var mix = "90/10"
  @Option(help: "Keys in the key space.") var keys = 100_000
  @Option(help: "Key choice: uniform or zipfian.") var distribution = "zipfian"
  @Option(help: "Bytes in each SET's value.") var valueSize = 100
  @Flag(help: "Write every key once before the run (so GETs find values).") var prefill = false
  @Option(help: "The seed of the keys, the operations and the value.") var seed: UInt64 = 1
  @Option(help: "Event-loop threads for the connections.") var threads = 1
  @Option(help: "Each beach request's deadline in milliseconds (0: the server's default).") var budgetMs = 0
  @Option(help: "Write every result as JSON to this file.") var json: String?
  @Option(help: "Draw the latency-against-throughput curve to this SVG file.") var svg: String?
  @Option(help: "The chart's title (with --svg).") var title = "Latency against throughput"
  @Flag(help: "Print the results as one Markdown table too.") var markdown = false

  struct Target {
    var kind: String
    var host: String
    var port: Int
  }

  var parsedTargets: [Target] {
    get throws {
      let given = targets.isEmpty ? ["beach:127.0.0.1:7070"] : targets
      return try given.map { text in
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, LoadCommand.kinds.contains(where: { $0.name == parts[0] }), !parts[1].isEmpty,
          let port = Int(parts[2]), (1...65535).contains(port)
        else {
          throw ValidationError(
            "--target is KIND:HOST:PORT with KIND \(LoadCommand.kindList()) and a port 1 to 65535, "
              + "such as beach:127.0.0.1:7070, not '\(text)'")
        }
        return Target(kind: parts[0], host: parts[1], port: port)
      }
    }
  }

  var sweep: [Double] {
    get throws {
      guard let rates else { return [rate] }
      let values = rates.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
      guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! > 0 }) else {
        throw ValidationError("--rates is a comma-separated list of rates above 0, such as 5000,10000,20000")
      }
      return values.map { $0! }
    }
  }

  func validate() throws {
    _ = try parsedTargets
    _ = try sweep
    guard rate > 0 else { throw ValidationError("--rate must be above 0") }
    guard closed == false || rates == nil else { throw ValidationError("--rates sweeps open loops; drop --closed") }
    guard duration > 0 && duration <= 3600 else { throw ValidationError("--duration must be above 0 and at most 3600") }
    guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more") }
    for (name, value) in [
      ("--connections", connections), ("--max-outstanding", maxOutstanding), ("--keys", keys), ("--threads", threads),
    ] where value < 1 {
      throw ValidationError("\(name) must be at least 1")
    }
    guard connections <= 10_000 else { throw ValidationError("--connections must be at most 10000") }
    guard LoadMix(parsing: mix) != nil else {
      throw ValidationError("--mix is get, set, or two percentages adding up to 100 such as 90/10, not '\(mix)'")
    }
    guard KeyDistribution(rawValue: distribution) != nil else {
      throw ValidationError("--distribution is uniform or zipfian, not '\(distribution)'")
    }
    guard (0...(16 << 20)).contains(valueSize) else { throw ValidationError("--value-size must be 0 to 16777216") }
    guard budgetMs >= 0 else { throw ValidationError("--budget-ms must be 0 or more") }
  }

  func run() throws {
    var plan = LoadPlan()
    plan.pacing = closed ? .closed : .open
    plan.connections = connections
    plan.duration = duration
    plan.warmup = warmup
    plan.maximumOutstanding = maxOutstanding
    plan.workload.mix = LoadMix(parsing: mix)!
    plan.workload.keyCount = keys
    plan.workload.distribution = KeyDistribution(rawValue: distribution)!
    plan.workload.valueSize = valueSize
    plan.workload.seed = seed

    var results: [LoadResult] = []
    let interactive = isatty(STDERR_FILENO) == 1
    for target in try parsedTargets {
      let kind = LoadCommand.kinds.first { $0.name == target.kind }!  // validated
      let loadTarget = kind.make(
        target.host, target.port, LoadTargetOptions(budget: budgetMs > 0 ? .milliseconds(budgetMs) : nil))
      let session: LoadSession
      do {
        let (count, threads) = (connections, threads)
        session = try blockingRun {
          try await LoadSession.connect(to: loadTarget, connections: count, threads: threads)
        }
      } catch {
        let reason =
          "\(error)".contains("Connection refused") ? "connection refused (is the server running?)" : "\(error)"
        throw LoadCommand.fail("cannot connect to \(target.kind) at \(target.host):\(target.port): \(reason)")
      }
      defer { try? blockingRun { await session.close() } }
      if prefill {
        let workload = plan.workload
        let filled = try blockingRun { await session.prefill(workload) }
        StandardStream.output.write(
          "prefill: \(filled.keys) keys in \(LoadReport.fixed(filled.seconds, 2)) s"
            + (filled.failures > 0 ? ", \(filled.failures) failed" : "") + "\n")
      }
      for rate in try sweep {
        plan.rate = rate
        let before = target.kind == "beach" ? LoadCommand.writesAndSyncs(target) : nil
        let chosen = plan
        let progress = interactive ? LoadCommand.showProgress : nil
        let result = try blockingRun { await session.run(chosen, progress: progress) }
        if interactive { StandardStream.error.write("\r\u{1B}[K") }
        var lines = LoadReport.lines(result)
        if let before, let after = LoadCommand.writesAndSyncs(target) {
          lines.append(
            LoadReport.syncLine(
              writes: after.writes - before.writes, syncs: after.syncs - before.syncs,
              seconds: result.seconds + result.plan.warmup))
        }
        StandardStream.output.write(lines.joined(separator: "\n") + "\n\n")
        results.append(result)
      }
    }
    if markdown { StandardStream.output.write(LoadReport.markdownTable(results).joined(separator: "\n") + "\n") }
    if let json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      do {
        try encoder.encode(results).write(to: URL(fileURLWithPath: json))
      } catch {
        throw LoadCommand.fail("cannot write \(json): \(error.localizedDescription)")
      }
    }
    if let svg {
      let caption =
        "\(Format.plural(connections, "connection")), mix \(plan.workload.mix), \(keys) keys "
        + "\(distribution), \(valueSize)-byte values, \(LoadReport.seconds(duration)) a point"
      do {
        try LoadChart.svg(results, title: title, caption: caption).write(
          toFile: svg, atomically: true, encoding: .utf8)
      } catch {
        throw LoadCommand.fail("cannot write \(svg): \(error.localizedDescription)")
      }
    }
  }

  /// The progress line, rewritten in place on standard error.
  @Sendable static func showProgress(_ progress: LoadProgress) {
    let line =
      "  \(LoadReport.fixed(progress.elapsed, 1)) s  sent \(progress.sent)  answered \(progress.done)  "
      + "errors \(progress.errors)  \(LoadReport.count(progress.rate))/s"
    StandardStream.error.write("\r\u{1B}[K" + line)
  }

  /// The server's writes (PUT, DELETE and BATCH requests) and log syncs
  /// so far, from its STATS; nil if it will not say.
  static func writesAndSyncs(_ target: Target) -> (writes: Int, syncs: Int)? {
    let text =
      (try? blockingRun {
        let client = try await Client.connect(host: target.host, port: target.port)
        let text = try? await client.stats()
        await client.close()
        return text
      }) ?? nil
    guard let text else { return nil }
    var writes = 0
    var syncs: Int?
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
      let parts = line.split(separator: " ")
      guard parts.count == 2, let value = Double(parts[1]) else { continue }
      if parts[0] == "beach_log_syncs_total" { syncs = Int(value) }
      for op in ["put", "delete", "batch"] where parts[0] == "beach_requests_total{op=\"\(op)\"}" {
        writes += Int(value)
      }
    }
    return syncs.map { (writes, $0) }
  }

  /// The kinds' names for messages, `beach or redis` (with what each
  /// speaks: `beach (chapter 7's protocol) or redis (RESP2)`).
  static func kindList(withSummaries: Bool = false) -> String {
    let names = kinds.map { withSummaries ? "\($0.name) (\($0.summary))" : $0.name }
    return names.count < 2
      ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
  }

  static func fail(_ message: String) -> ExitCode {
    StandardStream.error.write("beach load: \(message)\n")
    return ExitCode.failure
  }
}
