import Chapter1WAL
import Testing

@testable import Chapter8Raft

@Suite("Simulation")
struct SimulationTests {
  @Test("a calm cluster elects a leader and serves every client")
  func calm() throws {
    let outcome = try Simulation.run(.calm(seed: 1))
    #expect(outcome.violations == [], "\(outcome.options.replay)")
    #expect(outcome.stats.leaderChanges >= 1)
    #expect(outcome.stats.operationsCompleted > 100)
  }

  @Test("seeded runs with faults find nothing wrong", arguments: 1...40)
  func faults(seed: UInt64) throws {
    let outcome = try Simulation.run(SimulationOptions(seed: seed))
    #expect(outcome.violations == [], "\(outcome.options.replay)")
  }
}
