import Chapter1WAL
import Foundation

/// `beach notebook play`: a notebook as a guided session.
///
/// Prints the prose as it comes; at each command of a `beach` block it shows
/// the prompt and the command, waits for Enter, runs it in a live shell
/// (fresh temporary directory, the notebook's chapter and trace level) and
/// prints what the engine really does. The expected output in the file is
/// not shown: the point is to watch it happen.
public enum NotebookPlayer {
  /// Plays the notebook at `path`.
  ///
  /// - Parameters:
  ///   - output: where prose, commands and results go.
  ///   - waitForEnter: called before each command; returning `false` (end of
  ///     input) runs the rest without pausing.
  public static func play(_ path: String, output: ShellOutput, waitForEnter: () -> Bool) throws {
    let notebook = try NotebookRunner.load(path)
    let directory = try makeTemporaryDirectory(prefix: "beach-play")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let trace = notebook.frontMatter["trace"].flatMap(Tracer.Level.init(name:)) ?? .steps
    let collector = LineCollector()
    let shell = try Shell(
      options: Shell.Options(
        chapter: notebook.chapter, directory: joinPath(directory, "db"), trace: trace,
        output: .collecting(into: collector), deterministic: true))
    defer { shell.finish() }
    _ = collector.drain()

    var pausing = true
    var next = firstProseLine(notebook)
    for block in notebook.blocks {
      for line in notebook.lines[next..<block.openingLine] { output.line(line) }
      for step in block.steps {
        output.line(shell.prompt + step.command)
        if pausing { pausing = waitForEnter() }
        shell.execute(line: step.command)
        for line in collector.drain() { output.line(line) }
      }
      next = block.closingLine + 1
    }
    for line in notebook.lines[next...] { output.line(line) }
  }

  /// The first line after the front matter.
  private static func firstProseLine(_ notebook: Notebook) -> Int {
    guard notebook.lines.first == "---", let end = notebook.lines.dropFirst().firstIndex(of: "---") else { return 0 }
    return end + 1
  }
}
