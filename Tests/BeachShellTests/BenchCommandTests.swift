import Foundation
import TestSupport
import Testing

/// `beach bench` as a process, the way the comparison script runs it.
@Suite struct BenchCommandTests {
  private func beach(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = try KillLoopTests.beachExecutable()
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (
      process.terminationStatus, String(decoding: data, as: UTF8.self), String(decoding: errorData, as: UTF8.self)
    )
  }

  @Test func aPipeGetsTheHeaderAndResultLinesOnly() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let result = try beach([
      "bench", "--benchmarks=fillseq,readrandom", "--num=100", "--seed=3", "--compression_type=none",
      "--db=\(directory.path)/db",
    ])
    #expect(result.status == 0)
    #expect(!result.output.contains("\r") && !result.output.contains("\u{1B}"))
    let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.contains { $0.hasPrefix("fillseq      : ") && $0.contains(" 100 operations; ") })
    #expect(lines.contains { $0.hasPrefix("readrandom   : ") && $0.contains("(100 of 100 found)") })
  }

  @Test func aBadFlagIsAClearErrorAndAFailure() throws {
    let result = try beach(["bench", "--nmu=10"])
    #expect(result.status != 0)
    #expect(result.error.contains("unknown flag --nmu (did you mean --num?)"))
    #expect(result.error.split(separator: "\n").count == 1, "one line, not the whole usage: \(result.error)")
    #expect(result.output.isEmpty)
  }
}
