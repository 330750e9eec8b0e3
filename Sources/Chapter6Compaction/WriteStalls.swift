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
    let level0 = versions.current.levels[0].count
    let owed = compactor.pendingBytes
    if let reason = stopCause(level0, owed) {
      let started = DispatchTime.now()
      tracer(
        .compaction, "stall", "writes stop", reason,
        why: "compaction is too far behind; writes wait for it to catch up")
      _ = compactor.waitUntil { stopCause(versions.current.levels[0].count, compactor.pendingBytes) == nil }
      compactor.recordStall(stopped: true, seconds: seconds(since: started))
    } else if let reason = cause(
      level0, owed, tables: options.level0Slowdown, bytes: options.pendingBytesSlowdown, "slowdown")
    {
      tracer(
        .compaction, "stall", "write delayed 1 ms", reason,
        why: "a small delay per write gives compaction time before writes would have to stop")
      Thread.sleep(forTimeInterval: 0.001)
      compactor.recordStall(stopped: false, seconds: 0.001)
    }
  }

  private func stopCause(_ level0: Int, _ owed: UInt64) -> String? {
    cause(level0, owed, tables: options.level0Stop, bytes: options.pendingBytesStop, "stop")
  }

  /// Why writes must `what` (`stop` or `slowdown`), given level 0's table
  /// count and the bytes owed, if they must.
  private func cause(_ level0: Int, _ owed: UInt64, tables: Int, bytes: UInt64, _ what: String) -> String? {
    if level0 >= tables { return "L0 holds \(level0) tables (\(what) at \(tables))" }
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
