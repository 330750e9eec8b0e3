import Chapter1WAL
import Chapter2Memtable

/// `beach sst-dump`: a table file, part by part, for a human.
///
/// It reads the table the way `TableReader` does, from the end: the footer,
/// then the properties and the index, and prints each. Then it reads every
/// data block, checking its checksum, its format, the order of its keys
/// (within the block and across blocks) and that it ends with the key the
/// index holds for it; with `blocks` it prints a line per block (offset,
/// size, checksum status, entries, restart points), with `entries` every
/// entry as `key #seq KIND = value`. A damaged data block is reported and
/// the dump goes on with the next one, because the index still says where
/// it is; a damaged footer or index ends the dump, because nothing else can
/// be found without them. A damaged properties block is reported and the
/// dump goes on from the index.
///
/// The last line is a summary; the result says whether anything was
/// corrupt, so the command can exit non-zero.
public enum TableDump {
  /// The dump's lines and its verdict.
  public struct Result: Sendable, Equatable {
    public var lines: [String]
    /// Data blocks that read back whole and well-formed.
    public var goodBlocks: Int
    /// Entries read from good blocks.
    public var entries: Int
    /// Problems found: each damaged part counts once.
    public var problems: Int

    public var isCorrupt: Bool { problems > 0 }
  }

  /// Dumps the table at `path`, naming it `name` in the output.
  ///
  /// - Throws: `TableError.io` only if the file cannot be opened or read;
  ///   damage is reported in the result.
  public static func run(
    path: String, name: String? = nil, fileSystem: any FileSystem, blocks: Bool, entries: Bool
  ) throws(TableError) -> Result {
    let name = name ?? splitPath(path).name
    let file: any ReadableFile
    do throws(FileSystemError) {
      file = try fileSystem.openReadable(path)
    } catch {
      throw .io(file: name, error)
    }
    defer { try? file.close() }
    return try dump(file, name: name, blocks: blocks, entries: entries)
  }

  /// Dumps an open table file.
  public static func dump(_ file: any ReadableFile, name: String, blocks: Bool, entries: Bool) throws(TableError)
    -> Result
  {
    var result = Result(lines: ["\(name): \(Format.plural(file.size, "byte"))"], goodBlocks: 0, entries: 0, problems: 0)
    func report(_ error: TableError) throws(TableError) {
      if case .io = error { throw error }
      result.problems += 1
      result.lines.append("  CORRUPT: \(error)")
    }

    let footer: Footer
    do throws(TableError) {
      footer = try TableReader.readFooter(file, name: name)
    } catch {
      try report(error)
      return finish(result)
    }
    result.lines.append(
      "footer @\(file.size - Footer.size): index \(footer.index), properties \(footer.properties), "
        + "format \(footer.formatVersion), magic BEACHSST, checksum ok")

    var properties: TableProperties?
    do throws(TableError) {
      properties = try TableReader.readProperties(file, name: name, footer: footer)
    } catch {
      try report(error)
    }
    if let p = properties {
      result.lines.append(
        "properties: \(Format.plural(p.entryCount, "entry", "entries")) (\(Format.plural(p.deletionCount, "deletion"))), "
          + "\(Format.plural(p.dataBlockCount, "data block")), sequences \(p.smallestSequence)..\(p.largestSequence), "
          + "raw keys \(p.rawKeyBytes) B, raw values \(p.rawValueBytes) B")
      result.lines.append("  smallest \(p.smallestKey)")
      result.lines.append("  largest  \(p.largestKey)")
    }

    let index: TableIndex
    do throws(TableError) {
      index = try TableReader.readIndex(file, name: name, footer: footer)
      if let properties { try TableReader.check(index, against: properties, footer: footer, name: name) }
    } catch {
      try report(error)
      return finish(result)
    }
    result.lines.append("index: \(Format.plural(index.keys.count, "entry", "entries"))")
    for (number, (key, handle)) in zip(index.keys, index.handles).enumerated() {
      result.lines.append(
        "  block \(number)  \(handle)  last key \(InternalKeyEncoding.decodeUnchecked(key))")
    }

    do throws(TableError) {
      if let meta = try TableReader.readMetaBlock(file, name: name, footer: footer, index: index) {
        result.lines.append(
          "meta block: \(meta.handle), checksum ok (format 2; chapter 5 stores a table's bloom filter here)")
      }
    } catch {
      try report(error)
    }

    var previousKey: Bytes?
    for number in index.handles.indices {
      do throws(TableError) {
        let count = try dumpBlock(
          number, file: file, name: name, index: index, previousKey: &previousKey, blocks: blocks,
          entries: entries, into: &result.lines)
        result.goodBlocks += 1
        result.entries += count
      } catch {
        try report(error)
        previousKey = nil
      }
    }
    if let properties, result.problems == 0, result.entries != properties.entryCount {
      result.problems += 1
      result.lines.append(
        "  CORRUPT: \(name): the blocks hold \(Format.plural(result.entries, "entry", "entries")) but the properties "
          + "count \(properties.entryCount)")
    }
    return finish(result)
  }

  /// Reads, checks and prints data block `number`; returns its entry count.
  private static func dumpBlock(
    _ number: Int, file: any ReadableFile, name: String, index: TableIndex, previousKey: inout Bytes?,
    blocks: Bool, entries: Bool, into lines: inout [String]
  ) throws(TableError) -> Int {
    let handle = index.handles[number]
    let contents = try TableReader.readBlock(file, name: name, handle: handle, what: "data block \(number)")
    func corrupt(_ error: BlockCorruption) -> TableError {
      .corrupt(
        file: name, offset: handle.offset + error.offset,
        what: "data block \(number) @ \(handle.offset) (\(handle.size) B): \(error)")
    }
    var printed: [String] = []
    var count = 0
    let block: Block
    do throws(BlockCorruption) {
      block = try Block(contents)
      var iterator = block.makeIterator(.internalKey)
      try iterator.seekToFirst()
      guard iterator.isValid else { throw BlockCorruption(offset: 0, "data block has no entries") }
      while iterator.isValid {
        if let problem = iterator.withUnsafeKey({ InternalKeyEncoding.problem($0) }) {
          throw BlockCorruption(offset: iterator.entryOffset, problem)
        }
        if let previousKey, compareInternalKeys(previousKey, iterator.key) >= 0 {
          throw BlockCorruption(
            offset: iterator.entryOffset,
            "key \(InternalKeyEncoding.decodeUnchecked(iterator.key)) does not follow "
              + "\(InternalKeyEncoding.decodeUnchecked(previousKey))")
        }
        previousKey = iterator.key
        count += 1
        if entries {
          let key = InternalKeyEncoding.decodeUnchecked(iterator.key)
          printed.append(
            "    \(key)" + (key.kind == .deletion ? "" : " = \(Format.printable(iterator.value))"))
        }
        try iterator.next()
      }
      guard previousKey == index.keys[number] else {
        throw BlockCorruption(
          offset: handle.size,
          "block ends with a key other than its index key \(InternalKeyEncoding.decodeUnchecked(index.keys[number]))")
      }
    } catch {
      throw corrupt(error)
    }
    if blocks || entries {
      // The contents passed their check, so resealing them gives the stored
      // checksum; dumps print the CRC32C itself, before masking, as the
      // log's dump does.
      var sealed = Bytes()
      let checksum = CRC32C.unmask(BlockTrailer.seal(contents, into: &sealed))
      lines.append(
        "data block \(number)  \(handle)  crc32c \(BlockTrailer.hex(checksum)) ok  "
          + "\(Format.plural(count, "entry", "entries"))  \(Format.plural(block.restartCount, "restart point"))")
    }
    lines += printed
    return count
  }

  private static func finish(_ result: Result) -> Result {
    var result = result
    var summary =
      "\(Format.plural(result.goodBlocks, "good data block")), \(Format.plural(result.entries, "entry", "entries")) read"
    if result.problems > 0 { summary += ", \(Format.plural(result.problems, "problem"))" }
    summary += result.isCorrupt ? ": CORRUPT" : ": ok"
    result.lines.append(summary)
    return result
  }
}
