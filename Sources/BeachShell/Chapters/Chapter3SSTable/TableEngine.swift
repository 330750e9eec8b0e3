import Chapter1WAL
import Chapter2Memtable
import Chapter3SSTable

/// The shell's side of an engine built on chapter 3's `Engine` (chapter 3
/// on): the database and where it was opened, and every answer that comes
/// straight from its `EngineDatabase` conformance. A chapter's adapter
/// subclasses it and adds what is its own (`show levels`, `merge`, ...).
class TableEngine<Database: EngineDatabase>: FlushingEngine {
  let database: Database
  let environment: EngineEnvironment

  init(database: Database, environment: EngineEnvironment) {
    self.database = database
    self.environment = environment
  }

  var store: any KeyValueStore { database }
  var lastSequence: SequenceNumber { database.lastSequence }
  var snapshotStore: any SnapshotStore { database }
  var snapshotList: SnapshotList { database.snapshots }
  var handles: [String] { snapshotHandles }
  var memtableSize: Int { environment.memtableSize }
  var memtables: (active: Memtable, immutable: Memtable?) { database.memtables }
  var logStatus: LogWriter.Status { database.logStatus }

  /// How many tables the database reads from now.
  var tableCount: Int { 0 }

  var summary: String {
    let (active, immutable) = database.memtables
    let entries = active.count + (immutable?.count ?? 0)
    return "last seq \(database.lastSequence), \(Format.plural(tableCount, "table")), "
      + "\(Format.plural(entries, "entry", "entries")) in memory"
  }

  func flush() throws {
    try database.flush()
    database.waitForFlush()
  }
}
