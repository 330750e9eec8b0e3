import Chapter1WAL
import Testing

@testable import BeachShell

/// Bad input gets one `error:` line and changes nothing.
@Suite struct BadInputTests {
  @Test(arguments: [
    ("pt a 1", "error: unknown command 'pt'; did you mean 'put'? ('help' lists commands)"),
    ("xyzzy", "error: unknown command 'xyzzy' ('help' lists commands)"),
    ("gte a", "error: unknown command 'gte'; did you mean 'get'? ('help' lists commands)"),
    ("put a", "error: usage: put KEY VALUE"),
    ("put a 1 2", "error: usage: put KEY VALUE (quote a word with spaces: \"two words\")"),
    ("get", "error: usage: get KEY"),
    ("scan a b c", "error: usage: scan [FROM [TO]]"),
    ("put \"a 1", "error: unbalanced \" quote (column 5)"),
    ("put 'a 1", "error: unbalanced ' quote (column 5)"),
    ("put x'0' 1", "error: bad hex x'0': an odd number of hex digits (column 5)"),
    ("put x'zz' 1", "error: bad hex x'zz': a character that is not a hex digit (column 5)"),
    ("put a 1 ; put b 2", "error: ';' separates operations only after 'batch'; usage: put KEY VALUE"),
    ("batch put a 1 ; frob b", "error: a batch holds only put and delete, not 'frob'"),
    ("batch put a 1 ; delete", "error: usage inside a batch: delete KEY"),
    ("batch ;", "error: empty batch; usage: batch put K V ; delete K"),
    ("fill -3", "error: N must be a number, 1..10000000 (got '-3')"),
    ("fill many", "error: N must be a number, 1..10000000 (got 'many')"),
    ("trace loud", "error: expected off or steps or explain, got 'loud'; usage: trace [off|steps|explain]"),
    ("sync maybe", "error: expected on or off, got 'maybe'; usage: sync [on|off]"),
    ("crash hard", "error: usage: crash [tear N]"),
    ("crash tear", "error: usage: crash [tear N]"),
    ("show nothing", "error: unknown topic 'nothing'; chapter 1 can show: wal, files"),
    ("hexdump 000001.log 9999", "error: offset 9999 is past the end of 000001.log (29 bytes)"),
    ("corrupt 000001.log 9999", "error: offset 9999 is past the end of 000001.log (29 bytes)"),
    ("help frob", "error: no command 'frob'"),
    ("source /nonexistent/script", "error: source: cannot read /nonexistent/script"),
    ("chapter x", "error: N must be a number, 1..99 (got 'x')"),
  ])
  func badInputPrintsOneErrorAndChangesNothing(line: String, error: String) throws {
    let session = try ShellSession()
    session.run("put a 1")
    let before = session.contents
    let sequence = session.shell.engine?.lastSequence
    #expect(session.run(line) == [error])
    #expect(session.contents == before)
    #expect(session.shell.engine?.lastSequence == sequence)
    #expect(session.shell.prompt == "beach[ch1]> ")
  }

  @Test func badInputInsideABatchLeavesTheBatchAsItWas() throws {
    let session = try ShellSession()
    session.run("batch")
    session.run("put a 1")
    #expect(session.run("put b") == ["error: usage inside a batch: put KEY VALUE"])
    #expect(session.run("put \"b 2") == ["error: unbalanced \" quote (column 5)"])
    #expect(session.run("commit now") == ["error: usage: commit"])
    #expect(session.shell.prompt == "batch> ")
    #expect(session.run("commit") == ["ok  seq 1"])
    #expect(session.contents == ["a = 1", "(1 entry)"])
  }

  @Test func blankLinesAndCommentsPrintNothing() throws {
    let session = try ShellSession()
    #expect(session.run("") == [])
    #expect(session.run("   ") == [])
    #expect(session.run("# put a 1") == [])
    #expect(session.contents == ["(0 entries)"])
  }

  @Test func suggestionsFindTheClosestCommand() throws {
    let session = try ShellSession()
    #expect(session.shell.suggestion(for: "delte") == "delete")
    #expect(session.shell.suggestion(for: "hexdum") == "hexdump")
    #expect(session.shell.suggestion(for: "sacn") == "scan")
    #expect(session.shell.suggestion(for: "quitt") == "quit")
    #expect(session.shell.suggestion(for: "zzzzzz") == nil)
  }
}
