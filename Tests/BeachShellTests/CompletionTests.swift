import Testing

@testable import BeachShell

@Suite struct CompletionTests {
  private func complete(_ model: CompletionModel, _ line: String) -> CompletionModel.Result {
    let start = line.lastIndex(of: " ").map { line.utf8.distance(from: line.startIndex, to: $0) + 1 } ?? 0
    return model.complete(line: line, start: start, end: line.utf8.count)
  }

  @Test func completesCommandNamesKeywordsAndDatabaseFiles() throws {
    let session = try ShellSession()
    session.run("put a 1")
    let model = session.shell.completionModel
    #expect(complete(model, "he") == .matches(["help", "hexdump"]))
    #expect(complete(model, "trace e") == .matches(["explain"]))
    #expect(complete(model, "sync ") == .matches(["on", "off"]))
    #expect(complete(model, "show ") == .matches(["wal", "files"]))
    #expect(complete(model, "hexdump 0") == .matches(["000001.log"]))
    #expect(complete(model, "corrupt ") == .matches(["000001.log", "FORMAT", "LOCK"]))
    #expect(complete(model, "put a") == .matches([]))
    #expect(complete(model, "source /tm") == .localPaths)
    #expect(complete(model, "batch put a 1 ; d") == .matches(["delete"]))
    #expect(complete(model, "help sc") == .matches(["scan"]))
  }

  @Test func insideABatchOnlyBatchWordsComplete() throws {
    let session = try ShellSession()
    session.run("batch")
    let model = session.shell.completionModel
    #expect(complete(model, "") == .matches(["abort", "commit", "delete", "help", "put"]))
  }

  @Test func commonPrefixIsWhatReadlineInserts() {
    #expect(CompletionModel.commonPrefix(["help", "hexdump"]) == "he")
    #expect(CompletionModel.commonPrefix(["scan"]) == "scan")
    #expect(CompletionModel.commonPrefix([]) == "")
  }
}

@Suite struct TopicCompletionTests {
  @Test func showSstCompletesTablesOnlyAndChapterCompletesNumbers() throws {
    let session = try ShellSession(chapter: EngineRegistry.newest.chapter)
    guard EngineRegistry.newest.chapter >= 3 else { return }
    session.run("put a 1")
    session.run("flush")
    let model = session.shell.completionModel
    let line = "show sst "
    let tables = model.complete(line: line, start: line.utf8.count, end: line.utf8.count)
    guard case .matches(let names) = tables else {
      Issue.record("\(tables)")
      return
    }
    #expect(!names.isEmpty && names.allSatisfy { $0.hasSuffix(".sst") }, "\(names)")
    let show = model.complete(line: "sh", start: 0, end: 2)
    #expect(show == .matches(["show"]))
    let chapter = model.complete(line: "chapter ", start: 8, end: 8)
    #expect(chapter == .matches(EngineRegistry.all.map { String($0.chapter) }))
  }
}
