import Chapter1WAL
import Chapter4Manifest
import Foundation

// snippet: write-stalls
/// Holds writers back when level 0 fills faster than compaction drains it.
///
/// Each level 0 table is one more place every read must look, so level 0
/// must not grow without bound. At `level0Slowdown` tables each write waits
/// a millisecond before it enters the commit queue: a gentle brake that
/// hands the compactor some of the writers' time. At `level0Stop` writes
/// wait until compaction has brought level 0 back under the limit. Both are
/// traced, with the count that caused them, and counted in the statistics.
struct WriteStalls {
  let options: CompactionOptions
  let compactor: Compactor
  let versions: VersionSet
  let tracer: Tracer

  func admit() {
    guard options.automatic else { return }
    let level0 = versions.current.levels[0].count
    if level0 >= options.level0Stop {
      let started = DispatchTime.now()
      tracer(
        .compaction, "stall", "writes stop", "L0 holds \(level0) tables (stop at \(options.level0Stop))",
        why: "every level 0 table is read by every get; writes wait for compaction to catch up")
      _ = compactor.waitUntil { versions.current.levels[0].count < options.level0Stop }
      compactor.recordStall(stopped: true, seconds: seconds(since: started))
    } else if level0 >= options.level0Slowdown {
      tracer(
        .compaction, "stall", "write delayed 1 ms", "L0 holds \(level0) tables (slowdown at \(options.level0Slowdown))",
        why: "a small delay per write gives compaction time before writes would have to stop")
      Thread.sleep(forTimeInterval: 0.001)
      compactor.recordStall(stopped: false, seconds: 0.001)
    }
  }

  private func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
  }
}
// end snippet
