import Chapter1WAL
import Chapter4Manifest
import Foundation

// snippet: write-stalls
/// Holds writers back when compaction falls behind.
///
/// Each level 0 table is one more place every read must look, so level 0
/// must not grow without bound; and the bytes compaction owes (the levels'
/// excess over their limits) must not either, or the compaction that
/// would catch up grows with them. At `level0Slowdown` tables, or
/// `pendingBytesSlowdown` owed, each write waits a millisecond before it
/// enters the commit queue: a gentle brake that hands the compactor some
/// of the writers' time. At `level0Stop`, or `pendingBytesStop`, writes
/// wait until compaction has brought both back under their limits. Each
/// stall is traced with its cause, and counted.
struct WriteStalls {
  let options: CompactionOptions
  let compactor: Compactor
  let versions: VersionSet
  let tracer: Tracer

  func admit() {
    guard options.automatic else { return }
    if let cause = stopCause() {
      let started = DispatchTime.now()
      tracer(
        .compaction, "stall", "writes stop", cause,
        why: "compaction is too far behind; writes wait for it to catch up")
      _ = compactor.waitUntil { stopCause() == nil }
      compactor.recordStall(stopped: true, seconds: seconds(since: started))
    } else if let cause = slowdownCause() {
      tracer(
        .compaction, "stall", "write delayed 1 ms", cause,
        why: "a small delay per write gives compaction time before writes would have to stop")
      Thread.sleep(forTimeInterval: 0.001)
      compactor.recordStall(stopped: false, seconds: 0.001)
    }
  }

  private func stopCause() -> String? {
    cause(tables: options.level0Stop, bytes: options.pendingBytesStop, "stop")
  }

  private func slowdownCause() -> String? {
    cause(tables: options.level0Slowdown, bytes: options.pendingBytesSlowdown, "slowdown")
  }

  /// Why writes must `what` (`stop` or `slowdown`), if they must.
  private func cause(tables: Int, bytes: UInt64, _ what: String) -> String? {
    let level0 = versions.current.levels[0].count
    if level0 >= tables { return "L0 holds \(level0) tables (\(what) at \(tables))" }
    let owed = compactor.pendingBytes
    if owed >= bytes {
      return "compaction owes \(Format.size(Int(clamping: owed))) (\(what) at \(Format.size(Int(clamping: bytes))))"
    }
    return nil
  }

  private func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
  }
}
// end snippet
