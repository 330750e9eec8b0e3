import Chapter1WAL

/// The user's view of a memtable at a snapshot: each key once, with its
/// newest value no newer than the snapshot, and deleted keys not at all.
///
/// Underneath is a skip list iterator over internal entries, where a key
/// appears once per version, newest first:
///
/// ```
///  internal entries          snapshot 8 shows
///  apple  #9 PUT red         (too new: skipped)
///  apple  #4 PUT green       apple → green
///  apple  #2 PUT yellow      (older version: skipped)
///  banana #7 DEL             (tombstone: hides banana)
///  banana #3 PUT ripe        (hidden)
///  cherry #5 PUT ""          cherry → "" (an empty value is a value)
/// ```
///
/// This is LevelDB's `DBIter`, adapted. Moving forward is a filter: skip
/// entries newer than the snapshot, take the first visible version of a key,
/// skip the rest of that key's versions, and skip a key altogether if its
/// first visible version is a tombstone.
///
/// Moving backward is the subtle part. Walking back, a key's versions come
/// oldest first, so the iterator cannot know which one to show until it has
/// passed all of them: it keeps going back, remembering the newest visible
/// version so far (its key and value are *saved*, copied out), and stops at
/// the first visible entry of a smaller key once it holds a value. So in
/// reverse the internal iterator sits *before* the entries of the key
/// shown, and `key`/`value` come from the saved copies; switching direction
/// first moves the internal iterator back across the current key's entries
/// (or forward into them). The cost of going backward is O(log n) a step,
/// since the skip list has no back links.
///
/// Reads see a consistent view while the writer continues: every entry with
/// a sequence at most the snapshot was already in the list when the
/// snapshot was taken (the caller passes the last *published* sequence),
/// and every entry inserted since has a larger sequence and is skipped.
public struct MemtableIterator: Sendable {
  private enum Direction: Sendable {
    /// The internal iterator is at the entry shown.
    case forward
    /// The internal iterator is before all entries of the key shown, whose
    /// key and value are in `savedKey` and `savedValue`.
    case reverse
  }

  /// The sequence number this iterator reads at.
  public let snapshot: SequenceNumber
  private var entries: SkipList.Iterator
  private var direction = Direction.forward
  private var valid = false
  /// In reverse, the key shown. Moving forward, scratch space: the key
  /// whose remaining (older or hidden) versions are being skipped.
  private var savedKey: Bytes = []
  private var savedValue: Bytes = []
  private var savedSequence: SequenceNumber = 0

  init(_ entries: SkipList.Iterator, snapshot: SequenceNumber) {
    self.entries = entries
    self.snapshot = snapshot
  }

  /// Whether the iterator is at a key. Reading or moving REQUIRES it.
  public var isValid: Bool { valid }

  /// The current user key.
  public var key: Bytes {
    precondition(valid, "MemtableIterator.key on an invalid iterator")
    return direction == .forward ? entries.userKey : savedKey
  }

  /// The current key's value: its newest version at the snapshot.
  public var value: Bytes {
    precondition(valid, "MemtableIterator.value on an invalid iterator")
    return direction == .forward ? entries.value : savedValue
  }

  /// The sequence number of the version shown.
  public var sequence: SequenceNumber {
    precondition(valid, "MemtableIterator.sequence on an invalid iterator")
    return direction == .forward ? entries.sequence : savedSequence
  }

  /// Moves to the smallest visible key.
  public mutating func seekToFirst() {
    direction = .forward
    savedValue.removeAll()
    entries.seekToFirst()
    findNextUserEntry(skipping: false)
  }

  /// Moves to the largest visible key.
  public mutating func seekToLast() {
    direction = .reverse
    savedValue.removeAll()
    entries.seekToLast()
    findPrevUserEntry()
  }

  /// Moves to the smallest visible key at or after `userKey`.
  public mutating func seek(_ userKey: Bytes) {
    direction = .forward
    savedValue.removeAll()
    entries.seek(InternalKey(userKey, sequence: snapshot, kind: .value))
    findNextUserEntry(skipping: false)
  }

  /// Moves to the next visible key.
  ///
  /// REQUIRES: `isValid`.
  public mutating func next() {
    precondition(valid, "MemtableIterator.next() on an invalid iterator")
    if direction == .reverse {
      // The internal iterator is just before the current key's entries (or
      // invalid, if they start the list). Step into them; `savedKey` already
      // names the key to skip.
      direction = .forward
      if entries.isValid { entries.next() } else { entries.seekToFirst() }
    } else {
      saveCurrentKey()
      entries.next()
    }
    findNextUserEntry(skipping: true)
  }

  /// Moves to the previous visible key.
  ///
  /// REQUIRES: `isValid`.
  public mutating func prev() {
    precondition(valid, "MemtableIterator.prev() on an invalid iterator")
    if direction == .forward {
      // The internal iterator is at the current key's newest visible
      // version. Back up past every entry of that key, then search backward
      // as if we had been going that way all along.
      saveCurrentKey()
      repeat {
        entries.prev()
        if !entries.isValid {
          invalidate()
          return
        }
      } while currentKeyCompared(toSaved: >=)
      direction = .reverse
    }
    findPrevUserEntry()
  }

  /// Forward: from the internal iterator's position, the first entry that is
  /// visible, a value, and (if `skipping`) after `savedKey`.
  private mutating func findNextUserEntry(skipping: Bool) {
    var skipping = skipping
    while entries.isValid {
      if entries.sequence <= snapshot {
        switch entries.kind {
        case .deletion:
          // The newest visible version of this key is a tombstone: hide
          // the key, that is, skip all its older versions.
          saveCurrentKey()
          skipping = true
        case .value:
          if !(skipping && currentKeyCompared(toSaved: <=)) {
            valid = true
            savedKey.removeAll(keepingCapacity: true)
            return
          }
        }
      }
      entries.next()
    }
    invalidate()
  }

  /// Backward: walk back over the entries of one key after another, keeping
  /// the newest visible version seen so far, until the version kept is a
  /// value and the walk reaches a visible entry of a smaller key.
  private mutating func findPrevUserEntry() {
    var kept = ValueKind.deletion  // nothing kept yet counts as a tombstone
    while entries.isValid {
      if entries.sequence <= snapshot {
        if kept == .value && currentKeyCompared(toSaved: <) {
          break  // a smaller key's entry, and we hold a value: done
        }
        kept = entries.kind
        if kept == .deletion {
          savedKey.removeAll(keepingCapacity: true)
          savedValue.removeAll(keepingCapacity: true)
        } else {
          saveCurrentKey()
          savedValue.removeAll(keepingCapacity: true)
          entries.withUnsafeValue { savedValue.append(contentsOf: $0) }
          savedSequence = entries.sequence
        }
      }
      entries.prev()
    }
    if kept == .deletion {
      invalidate()
    } else {
      valid = true
    }
  }

  private mutating func invalidate() {
    valid = false
    direction = .forward
    savedKey.removeAll(keepingCapacity: true)
    savedValue.removeAll(keepingCapacity: true)
  }

  /// Copies the internal iterator's user key into `savedKey`, reusing its
  /// buffer.
  private mutating func saveCurrentKey() {
    savedKey.removeAll(keepingCapacity: true)
    entries.withUnsafeUserKey { savedKey.append(contentsOf: $0) }
  }

  /// Compares the internal iterator's user key with `savedKey`, in place.
  private func currentKeyCompared(toSaved relation: (Int, Int) -> Bool) -> Bool {
    entries.withUnsafeUserKey { current in
      savedKey.withUnsafeBytes { saved in relation(compareBytes(current, saved), 0) }
    }
  }
}

extension MemtableIterator: ReversibleKeyValueIterator {}
