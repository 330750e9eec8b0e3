import Chapter1WAL

/// The first failure of an engine's background work: a flush here, a merge
/// in chapter 4, a compaction in chapter 6.
///
/// Background work has no caller to throw to. When it fails, nobody knows
/// what reached the disk, so the engine refuses every write from then on
/// (the commit queue passes this error to the writer, then refuses later
/// writes with `CommitError.writesFailed`), until it is reopened and
/// recovery finds out what the files really hold. The first failure wins:
/// it is the cause, later ones are consequences.
///
/// The engine owns one; the memtables' flush loop reports to it, and so does
/// any later chapter's background work.
public final class BackgroundError: Sendable {
  private let directory: String
  private let tracer: Tracer
  private let first = Locked<(any Error)?>(nil)

  /// A record for the engine in `directory`, whose failures are traced
  /// with the directory's path left out.
  public init(directory: String, tracer: Tracer) {
    self.directory = directory
    self.tracer = tracer
  }

  /// The first failure, or `nil` while all background work has succeeded.
  public var error: (any Error)? { first.withLock { $0 } }

  /// Records that `what` failed with `error` (keeping an earlier failure if
  /// there is one), calls `wake` so that anyone waiting on the work sees it,
  /// and traces it.
  public func record(_ error: any Error, _ what: String, wake: () -> Void = {}) {
    first.withLock { $0 = $0 ?? error }
    wake()
    tracer(
      .db, "error", "\(what) failed",
      String(describing: error).replacingOccurrences(of: directory + "/", with: "")
        .replacingOccurrences(of: directory, with: "the database directory"),
      why: "writes are refused until the database is reopened")
  }
}
