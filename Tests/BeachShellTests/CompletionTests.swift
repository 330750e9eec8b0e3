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
    #expect(complete(model, "corrupt ") == .matches(["000001.log"]))
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
