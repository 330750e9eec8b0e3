import Chapter1WAL
import Chapter4Manifest
import Testing

@testable import Chapter6Compaction

/// The picker decides from metadata alone, so these tests give it levels
/// of made-up tables and check its decisions.
@Suite struct CompactionPickerTests {
  var options: CompactionOptions {
    var options = CompactionOptions()
    options.level0Trigger = 4
    options.level1Bytes = 10_000
    options.levelMultiplier = 10
    options.targetTableSize = 1000
    return options
  }
  var picker: CompactionPicker { CompactionPicker(options: options) }

  @Test func level0IsScoredByTablesAndDeeperLevelsByBytes() {
    let scores = picker.scores(
      levels(
        [table(9, "a", "z"), table(8, "a", "z")], [table(5, "a", "m", size: 15_000)], [table(4, "a", "z", size: 50_000)]
      ))
    #expect(scores.count == 6)
    #expect(scores[0].score == 0.5)
    #expect(scores[1].score == 1.5)
    #expect(scores[2].score == 0.5)
    #expect(scores[3].score == 0)
  }

  @Test func nothingIsPickedBelowTheTriggers() {
    #expect(picker.pick(levels([table(9, "a", "z"), table(8, "a", "z"), table(7, "a", "z")])) == nil)
    #expect(picker.pick(levels([], [table(5, "a", "m", size: 9_999)])) == nil)
  }

  @Test func level0IsCompactedWholeWithTheLevel1TablesItOverlaps() throws {
    let level0 = [table(12, "c", "e"), table(11, "a", "b"), table(10, "d", "f"), table(9, "x", "y")]
    let level1 = [table(3, "a", "a"), table(4, "b", "c"), table(5, "g", "h"), table(6, "y", "z")]
    let plan = try #require(picker.pick(levels(level0, level1)))
    #expect(plan.level == 0)
    #expect(plan.inputs.map(\.number) == [12, 11, 10, 9])
    #expect(plan.overlapping.map(\.number) == [3, 4, 5, 6])
    #expect(!plan.isTrivialMove)
    #expect(plan.reason == "L0 holds 4 tables (trigger 4)")
  }

  @Test func theHighestScoreWins() throws {
    let level0 = (1...5).map { table(UInt64(20 + $0), "a", "b") }  // score 1.25
    let level1 = [table(3, "c", "d", size: 20_000)]  // score 2
    let plan = try #require(picker.pick(levels(level0, level1)))
    #expect(plan.level == 1)
  }

  @Test func deeperLevelsGoRoundRobinFromTheCompactionPointer() throws {
    let level1 = [table(3, "a", "c", size: 4000), table(4, "d", "f", size: 4000), table(5, "g", "i", size: 4000)]
    let all = levels([], level1)
    #expect(try #require(picker.pick(all)).inputs.map(\.number) == [3])
    #expect(try #require(picker.pick(all, pointers: [1: Bytes(utf8: "c")])).inputs.map(\.number) == [4])
    #expect(try #require(picker.pick(all, pointers: [1: Bytes(utf8: "f")])).inputs.map(\.number) == [5])
    // Past the last table, it starts again from the first.
    #expect(try #require(picker.pick(all, pointers: [1: Bytes(utf8: "i")])).inputs.map(\.number) == [3])
  }

  @Test func aTableWithNothingBelowItIsMovedNotRewritten() throws {
    let level1 = [table(3, "a", "c", size: 12_000)]
    let plan = try #require(picker.pick(levels([], level1, [table(7, "x", "z")])))
    #expect(plan.isTrivialMove)
    #expect(plan.overlapping.isEmpty)
  }

  @Test func tooMuchGrandparentOverlapForbidsAMove() throws {
    // Under the one L1 input, nothing on L2, but 11 tables of 1000 B on L3:
    // more than 10 target sizes. Moved whole to L2, it would make a table
    // whose next compaction rewrites all of them; it is rewritten, and cut,
    // instead.
    let grandparents = (0..<11).map { table(UInt64(30 + $0), "b\($0)", "b\($0)z") }
    let plan = try #require(picker.pick(levels([], [table(3, "a", "c", size: 12_000)], [], grandparents)))
    #expect(plan.level == 1)
    #expect(plan.overlapping.isEmpty)
    #expect(plan.grandparents.count == 11)
    #expect(!plan.isTrivialMove)
    let fewer = try #require(
      picker.pick(levels([], [table(3, "a", "c", size: 12_000)], [], Array(grandparents.prefix(10)))))
    #expect(fewer.isTrivialMove)
  }

  @Test func inputsExpandWhenThatAddsNothingBelow() {
    // L1: c..d is chosen; it overlaps L2's b..h, which also covers L1's
    // e..f: taking e..f too costs no extra bytes on L2.
    let level1 = [table(3, "a", "b"), table(4, "c", "d"), table(5, "e", "f"), table(6, "x", "y")]
    let level2 = [table(8, "b2", "h")]
    let plan = picker.plan(level: 1, seeds: [level1[1]], levels: levels([], level1, level2), reason: "test")
    #expect(plan.inputs.map(\.number) == [4, 5])
    #expect(plan.overlapping.map(\.number) == [8])
  }

  @Test func expansionStopsWhereItWouldPullInMoreBelow() {
    let level1 = [table(4, "c", "d"), table(5, "e", "k")]
    let level2 = [table(8, "b", "f"), table(9, "j", "m")]
    let plan = picker.plan(level: 1, seeds: [level1[0]], levels: levels([], level1, level2), reason: "test")
    #expect(plan.inputs.map(\.number) == [4])
    #expect(plan.overlapping.map(\.number) == [8])
  }

  @Test func expansionStopsAtTheSizeLimit() {
    var small = options
    small.expansionLimit = 3  // 3000 B
    let level1 = [table(4, "c", "d", size: 1000), table(5, "e", "f", size: 1500)]
    let level2 = [table(8, "b", "h", size: 1000)]
    let plan = CompactionPicker(options: small).plan(
      level: 1, seeds: [level1[0]], levels: levels([], level1, level2), reason: "test")
    #expect(plan.inputs.map(\.number) == [4])
  }

  @Test func levelTargetsGrowByTheMultiplier() {
    #expect(options.targetBytes(level: 1) == 10_000)
    #expect(options.targetBytes(level: 3) == 1_000_000)
    var huge = options
    huge.levelMultiplier = 1 << 40
    #expect(huge.targetBytes(level: 6) == .max)
  }
}
