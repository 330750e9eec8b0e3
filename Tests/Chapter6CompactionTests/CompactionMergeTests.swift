import Chapter1WAL
import Chapter2Memtable
import Chapter4Manifest
import Testing

@testable import Chapter6Compaction

/// What a compaction keeps, decided entry by entry.
@Suite struct CompactionMergeTests {
  func entry(_ key: String, _ sequence: SequenceNumber, _ kind: ValueKind = .value) -> InternalKey {
    InternalKey(Bytes(utf8: key), sequence: sequence, kind: kind)
  }

  /// Feeds `entries` (in merge order) and returns the decisions.
  func decide(_ merge: inout CompactionMerge, _ entries: [InternalKey]) -> [DropReason?] {
    entries.map { merge.decide($0) }
  }

  @Test func olderVersionsVisibleToNoReaderAreDropped() {
    var merge = CompactionMerge(snapshots: [], levelsBelowOutput: [])
    let decisions = decide(&merge, [entry("a", 9), entry("a", 5), entry("a", 2), entry("b", 7)])
    #expect(decisions == [nil, .shadowed, .shadowed, nil])
  }

  @Test func aSnapshotKeepsTheVersionItSees() {
    // A snapshot at 6 reads a#5.
    var merge = CompactionMerge(snapshots: [6], levelsBelowOutput: [])
    let decisions = decide(&merge, [entry("a", 9), entry("a", 5), entry("a", 2)])
    #expect(decisions == [nil, nil, .shadowed])
  }

  @Test func onlyTheNewestVersionInEachStripeBetweenSnapshotsIsKept() {
    // Snapshots at 3 and 6 read a#2 and a#5; the present reads a#9. Nobody
    // can read a#8 or a#4.
    var merge = CompactionMerge(snapshots: [6, 3, 3], levelsBelowOutput: [])
    let decisions = decide(&merge, [entry("a", 9), entry("a", 8), entry("a", 5), entry("a", 4), entry("a", 2)])
    #expect(decisions == [nil, .shadowed, nil, .shadowed, nil])
    #expect(merge.snapshots == [3, 6])
    #expect([1, 3, 4, 6, 7].map(merge.stripe(of:)) == [0, 0, 1, 1, 2])
  }

  @Test func aTombstoneAtTheBottomGoesWithWhatItHides() {
    var merge = CompactionMerge(snapshots: [], levelsBelowOutput: [[], []])
    let decisions = decide(&merge, [entry("a", 9, .deletion), entry("a", 5), entry("b", 3)])
    #expect(decisions == [.tombstone, .shadowed, nil])
  }

  @Test func aTombstoneStaysWhileADeeperLevelMayHoldItsKey() {
    let below = [[table(20, "a", "c")], [table(21, "x", "z")]]
    var merge = CompactionMerge(snapshots: [], levelsBelowOutput: below)
    let decisions = decide(
      &merge, [entry("b", 9, .deletion), entry("d", 8, .deletion), entry("y", 7, .deletion), entry("zz", 6, .deletion)])
    #expect(decisions == [nil, .tombstone, nil, .tombstone])
  }

  @Test func aTombstoneNewerThanASnapshotStays() {
    var merge = CompactionMerge(snapshots: [4], levelsBelowOutput: [])
    let decisions = decide(&merge, [entry("a", 9, .deletion), entry("a", 3)])
    #expect(decisions == [nil, nil])
  }

  @Test func theDeliberateBugDropsTombstonesOverDeeperData() {
    let below = [[table(20, "a", "c")]]
    var merge = CompactionMerge(snapshots: [], levelsBelowOutput: below, dropTombstonesEverywhere: true)
    #expect(decide(&merge, [entry("b", 9, .deletion)]) == [.tombstone])
  }
}
