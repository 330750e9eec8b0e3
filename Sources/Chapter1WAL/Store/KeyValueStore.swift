/// The interface every chapter's `Database` offers.
///
/// Chapter 1 defines it; every later chapter's engine conforms to it, so the
/// shell, the benchmark driver and the shared tests can drive any chapter's
/// engine the same way. Features that only later engines have (snapshots,
/// flushes, compactions) come as separate capability protocols.
public protocol KeyValueStore: AnyObject, Sendable {
  /// Applies every operation in `batch`, atomically: after a crash either all
  /// of them are visible or none is.
  ///
  /// - Returns: the sequence number of the batch's last operation.
  /// - Throws: if the batch could not be made as durable as `options` asks.
  ///   Then the batch is not applied.
  @discardableResult
  func write(_ batch: WriteBatch, options: WriteOptions) throws -> SequenceNumber

  /// The newest value of `key`, or `nil` if it is absent or deleted.
  func get(_ key: Bytes) throws -> Bytes?

  /// The live entries with `from <= key < to`, in key order. `nil` bounds
  /// are open.
  func scan(from: Bytes?, to: Bytes?) throws -> [KeyValuePair]

  /// Closes the store's files. Does not sync: what was acknowledged is
  /// already as durable as it was promised to be.
  func close() throws
}

extension KeyValueStore {
  /// Sets `key` to `value`.
  @discardableResult
  public func put(_ key: Bytes, _ value: Bytes, options: WriteOptions = .init()) throws -> SequenceNumber {
    var batch = WriteBatch()
    batch.put(key, value)
    return try write(batch, options: options)
  }

  /// Removes `key`. Deleting an absent key is not an error.
  @discardableResult
  public func delete(_ key: Bytes, options: WriteOptions = .init()) throws -> SequenceNumber {
    var batch = WriteBatch()
    batch.delete(key)
    return try write(batch, options: options)
  }

  /// Applies `batch` with the default options (synced).
  @discardableResult
  public func write(_ batch: WriteBatch) throws -> SequenceNumber {
    try write(batch, options: .init())
  }

  /// Every live entry, in key order.
  public func scan() throws -> [KeyValuePair] { try scan(from: nil, to: nil) }
}

/// A key and its value.
public struct KeyValuePair: Equatable, Sendable {
  public var key: Bytes
  public var value: Bytes
  public init(key: Bytes, value: Bytes) {
    self.key = key
    self.value = value
  }
}

/// How a write is made durable.
public struct WriteOptions: Sendable, Equatable {
  /// Whether the write is synced to disk before it is acknowledged.
  ///
  /// `true` (the default): once `write` returns, the batch survives a power
  /// cut. `false`: it survives the process dying, but a power cut may lose
  /// it (and every unsynced write before it).
  public var sync: Bool

  public init(sync: Bool = true) {
    self.sync = sync
  }
}

/// Every operation gets a number, one higher than the one before. The log
/// records them, so recovery restores them; later chapters use them to tell
/// versions of a key apart and to take snapshots.
public typealias SequenceNumber = UInt64
