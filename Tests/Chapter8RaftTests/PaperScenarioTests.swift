import Chapter1WAL
import Testing

@testable import Chapter8Raft

@Suite("The paper's scenarios")
struct PaperScenarioTests {
  @Test("§5.4.2 Figure 8: an entry from an earlier term on a majority is not committed by counting")
  func figure8() throws {
    let correct = try Figure8.replay(bug: false)
    print(correct.lines.joined(separator: "\n"))
    #expect(!correct.lost)
    let broken = try Figure8.replay(bug: true)
    print(broken.lines.joined(separator: "\n"))
    #expect(broken.lost)
  }
}
