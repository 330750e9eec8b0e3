import ArgumentParser

/// Everything one chapter adds to the tools: its engine in the shell (with
/// the commands and `show` topics it brings), its engine in `beach bench`,
/// and its own `beach` subcommands (dumps, measurements).
///
/// Each chapter's adapter lives in `Chapters/<Module>/`, a folder named by
/// the chapter, and declares one of these; `Chapters/Chapters.swift` lists
/// them in order. That list is the only place the tools name a chapter, so a
/// milestone (see `Scripts/milestones`) removes a chapter's folder and its
/// line in the list, and nothing else changes.
public struct ChapterAdapter: Sendable {
  /// The engine, as the shell runs it.
  public var shell: EngineDescriptor
  /// The engine, as `beach bench` drives it.
  public var bench: BenchEngineDescriptor
  /// The chapter's own `beach` subcommands.
  public var tools: [any ParsableCommand.Type]

  init(shell: EngineDescriptor, bench: BenchEngineDescriptor, tools: [any ParsableCommand.Type] = []) {
    precondition(shell.chapter == bench.chapter, "REQUIRES: one chapter's engines")
    self.shell = shell
    self.bench = bench
    self.tools = tools
  }
}

/// The engines this build of the shell can run, one per chapter.
public enum EngineRegistry {
  /// Every chapter's engine, oldest chapter first.
  public static let all: [EngineDescriptor] = chapters.map(\.shell)

  /// Every chapter's own `beach` subcommands, oldest chapter first.
  ///
  /// A later chapter may replace an earlier chapter's tool by giving one
  /// of its own the same command name (a `serve` that does all the earlier
  /// `serve` did, and more): the later one is kept, in the earlier one's
  /// place, so the earlier chapter need not know it is replaced.
  public static let tools: [any ParsableCommand.Type] = newestByName(chapters.flatMap(\.tools))

  /// `tools` with one tool per command name: of those sharing a name, the
  /// last, in the place of the first.
  static func newestByName(_ tools: [any ParsableCommand.Type]) -> [any ParsableCommand.Type] {
    func name(_ tool: any ParsableCommand.Type) -> String {
      tool.configuration.commandName ?? String(describing: tool)
    }
    var newest: [String: any ParsableCommand.Type] = [:]
    for tool in tools { newest[name(tool)] = tool }
    var seen: Set<String> = []
    return tools.compactMap { tool in seen.insert(name(tool)).inserted ? newest[name(tool)] : nil }
  }

  /// The engine for `chapter`, or `nil` if this build has none.
  public static func engine(chapter: Int) -> EngineDescriptor? {
    all.first { $0.chapter == chapter }
  }

  /// The newest chapter's engine that is a database in its directory: the
  /// shell's default, and what `beach serve` opens. (A chapter whose shell
  /// engine simulates something in memory, as chapter 8's cluster does, is
  /// opened by name: `--chapter 8`.)
  public static var newest: EngineDescriptor { databases[databases.count - 1] }

  /// The engines that are databases in their directory, oldest first.
  public static var databases: [EngineDescriptor] { all.filter(\.keepsItsDirectory) }

  /// The chapter numbers available, for messages: `1, 2, 3`.
  public static var chapterList: String { all.map { String($0.chapter) }.joined(separator: ", ") }
}
