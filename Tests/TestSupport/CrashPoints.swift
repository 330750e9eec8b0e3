import Chapter1WAL

/// Crash-point enumeration: run a workload, cut the power after the Nth
/// file-system operation for every N in turn, recover, and check the result
/// against a `CrashOracle`. Every chapter's engine is checked this way.
public enum CrashPoints {
  /// Runs `workload` on a store opened by `open` until the power goes;
  /// returns the oracle's view.
  public static func run(
    _ workload: Workload, on fileSystem: any FileSystem, sync: (Int) -> Bool,
    open: (any FileSystem) throws -> any KeyValueStore
  ) -> CrashOracle {
    var oracle = CrashOracle()
    guard let store = try? open(fileSystem) else { return oracle }
    for (index, batch) in workload.batches.enumerated() {
      oracle.begin(batch)
      do {
        try store.write(batch, options: .init(sync: sync(index)))
      } catch {
        return oracle
      }
      oracle.acknowledge(synced: sync(index))
    }
    return oracle
  }

  /// Enumerates every crash point of `workload` under each mode and returns
  /// how many points there were and a description of each failure.
  ///
  /// - Parameters:
  ///   - wrap: puts a layer between the engine and the power-cut file
  ///     system (a deliberately buggy one, to show the check can fail).
  ///   - open: opens the engine on a file system (also used to recover).
  public static func enumerate(
    _ workload: Workload, modes: [CrashMode], sync: (Int) -> Bool = { _ in true },
    wrap: (PowerCutFileSystem) -> any FileSystem = { $0 },
    open: (any FileSystem) throws -> any KeyValueStore
  ) throws -> (points: Int, failures: [String]) {
    let counting = PowerCutFileSystem(wrapping: MemoryFileSystem())
    _ = run(workload, on: wrap(counting), sync: sync, open: open)
    let total = counting.operationCount
    var failures: [String] = []
    for point in 0...total {
      for mode in modes {
        let fs = PowerCutFileSystem(wrapping: MemoryFileSystem())
        fs.schedulePowerCut(afterOperations: point)
        let oracle = run(workload, on: wrap(fs), sync: sync, open: open)
        try fs.crash(mode)
        do {
          let store = try open(fs)
          if let problem = oracle.check(try store.contents()) {
            failures.append("crash after operation \(point) (\(mode)): \(problem)")
          }
          try? store.close()
        } catch {
          failures.append("crash after operation \(point) (\(mode)): recovery failed: \(error)")
        }
      }
    }
    return (total, failures)
  }
}
