import Chapter1WAL
import Foundation
import TestSupport
import Testing

/// The shell on a real terminal: a pseudo-terminal from util-linux's
/// `script`, typed into as a person would: each key only once the shell
/// has shown what a person would wait to see.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
struct TerminalTests {
  @Test(.timeLimit(.minutes(1)))
  func ctrlCTakesBackALineAndStopsAFillButNotTheShell() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let beach = try KillLoopTests.beachExecutable().path
    let terminal = try Terminal(command: "\(beach) --dir \(directory.path)/db --trace off --chapter 1")
    defer { terminal.stop() }
    let prompt = "beach[ch1]> "

    try terminal.waitFor(prompt, count: 1)
    terminal.type("put a hel")
    try terminal.waitFor("put a hel")
    terminal.type("\u{03}")
    try terminal.waitFor(prompt, count: 2)
    terminal.type("get a\r")
    try terminal.waitFor(prompt, count: 3)
    terminal.type("fill 5000000\r")
    try terminal.waitFor("fill 5000000\n")
    // Long enough that the fill is under way, far too short for it to end.
    Thread.sleep(forTimeInterval: 0.5)
    terminal.type("\u{03}")
    try terminal.waitFor(prompt, count: 4)
    terminal.type("put b 2\r")
    try terminal.waitFor(prompt, count: 5)
    terminal.type("quit\r")
    let status = try terminal.waitForExit()

    let text = terminal.text
    #expect(status == 0, "the shell left normally: \(text)")
    #expect(text.contains("put a hel^C"), "\(text)")
    #expect(text.contains("(not found)"), "the cancelled put was never run: \(text)")
    #expect(text.contains("interrupted after "), "\(text)")
    #expect(text.contains(" of 5000000 writes"), "\(text)")
    #expect(text.contains("\(prompt)put b 2"), "the shell went on after Ctrl-C: \(text)")
    // The interrupted fill kept what it wrote, and the next put follows it.
    let written = text.firstMatch(of: /interrupted after (\d+) of/).map { Int($0.1) ?? 0 } ?? 0
    #expect(written > 0 && text.contains("ok  seq \(written + 1)"), "\(text)")
  }
}

/// A command on a pseudo-terminal, with what it has printed so far.
private final class Terminal {
  struct Timeout: Error, CustomStringConvertible {
    let waitingFor: String
    let text: String
    var description: String { "no \(waitingFor.debugDescription) within the time; the terminal showed:\n\(text)" }
  }

  private let process = Process()
  private let input = Pipe()
  private let output = Pipe()
  private let printed = Printed()

  private final class Printed: Sendable {
    let text = Locked("")
  }

  init(command: String) throws {
    process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
    // `script` runs the command with $SHELL, or /bin/sh if it is unset. A
    // shell that stays as the beach's parent (dash does) is in the same
    // process group, so Ctrl-C would end it too: `exec` makes the beach the
    // only process on the terminal, whatever the shell.
    process.arguments = ["-qfec", "exec " + command, "/dev/null"]
    var environment = ProcessInfo.processInfo.environment
    environment["SHELL"] = "/bin/sh"
    process.environment = environment
    process.standardInput = input
    process.standardOutput = output
    output.fileHandleForReading.readabilityHandler = { [printed] handle in
      let data = handle.availableData
      printed.text.withLock { $0 += String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r", with: "") }
    }
    try process.run()
  }

  var text: String { printed.text.withLock { $0 } }

  func type(_ keys: String) {
    input.fileHandleForWriting.write(Data(keys.utf8))
  }

  /// Waits, bounded, until `needle` has appeared `count` times.
  func waitFor(_ needle: String, count: Int = 1, seconds: Double = 20) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while text.components(separatedBy: needle).count - 1 < count {
      guard Date() < deadline, process.isRunning else { throw Timeout(waitingFor: needle, text: text) }
      Thread.sleep(forTimeInterval: 0.02)
    }
  }

  /// Waits, bounded, for the command to end; a shell that ignored Ctrl-C
  /// would still be filling.
  func waitForExit(seconds: Double = 20) throws -> Int32 {
    try? input.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning { stop() }
    process.waitUntilExit()
    Thread.sleep(forTimeInterval: 0.1)
    output.fileHandleForReading.readabilityHandler = nil
    return process.terminationStatus
  }

  func stop() {
    guard process.isRunning else { return }
    process.terminate()
    kill(-process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }
}
