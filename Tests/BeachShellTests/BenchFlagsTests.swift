import BeachShell
import Testing

/// `beach bench` reads db_bench's flags the way gflags does.
@Suite struct BenchFlagsTests {
  private func parse(_ arguments: String) throws -> BenchConfiguration {
    try BenchFlags.parse(arguments.split(separator: " ").map(String.init))
  }

  private func error(_ arguments: String) -> String {
    do {
      _ = try BenchFlags.parse(arguments.split(separator: " ").map(String.init))
      return "(no error)"
    } catch {
      return error.message
    }
  }

  @Test func theDefaultsAreDbBenchs() throws {
    let c = try BenchFlags.parse([])
    #expect(c.num == 1_000_000 && c.keySize == 16 && c.valueSize == 100 && c.threads == 1)
    #expect(c.effectiveReads == 1_000_000 && !c.sync && !c.useExistingDB && c.seed == 0)
  }

  @Test func valuesComeAfterAnEqualsSignOrAsTheNextArgument() throws {
    let c = try parse("--benchmarks=fillseq,readrandom --num=1000 --reads 50 -value_size=8 --key-size=20")
    #expect(c.benchmarks == ["fillseq", "readrandom"])
    #expect(c.num == 1000 && c.effectiveReads == 50 && c.valueSize == 8 && c.keySize == 20)
  }

  @Test func booleansTakeGflagsSpellings() throws {
    #expect(try parse("--sync").sync)
    #expect(try parse("--sync=true").sync)
    #expect(try parse("--sync=1").sync)
    #expect(try !parse("--sync=false").sync)
    #expect(try !parse("--sync=0").sync)
    #expect(try !parse("--sync --nosync").sync)
    #expect(try parse("--use_existing_db=yes").useExistingDB)
  }

  @Test func harmlessDbBenchFlagsAreAcceptedWithANote() throws {
    #expect(try parse("--compression_type=none").notes.isEmpty)
    let c = try parse("--compression_type=snappy --mmap_read --statistics")
    #expect(c.notes.count == 3)
    #expect(c.notes[0].contains("--compression_type=snappy is ignored"))
  }

  @Test func cacheFlagsHaveDbBenchDefaults() throws {
    let defaults = try parse("")
    #expect(defaults.cacheSize == 8 << 20 && defaults.openFiles == -1 && !defaults.cacheSizeGiven)
    let c = try parse("--cache_size=0 --open_files=20")
    #expect(c.cacheSize == 0 && c.openFiles == 20 && c.cacheSizeGiven && c.openFilesGiven && c.notes.isEmpty)
  }

  @Test func badFlagsAreErrorsThatNameThem() {
    #expect(
      error("--value_sise=10") == "unknown flag --value_sise (did you mean --value_size?) "
        + "(beach bench --help lists the flags)")
    #expect(error("--frobnicate") == "unknown flag --frobnicate (beach bench --help lists the flags)")
    #expect(error("--num=abc") == "--num=abc: expected a whole number")
    #expect(error("--num=0") == "--num=0: expected 1 to 1000000000")
    #expect(error("--sync=maybe") == "--sync=maybe: expected true or false (or 1 or 0)")
    #expect(error("--nosync=1") == "--nosync takes no value; write --sync=false instead")
    #expect(error("--num") == "--num needs a value, as in --num=VALUE")
    #expect(error("fillseq") == "unexpected argument 'fillseq': flags look like --num=1000")
    #expect(error("--chapter=99").hasPrefix("no chapter 99 engine in this build"))
    #expect(error("--svg=x.svg") == "--svg and --markdown compare chapters: add --chapters=1,2,3")
  }

  @Test func unknownBenchmarksAreErrorsWithASuggestion() {
    #expect(
      error("--benchmarks=fillseq,readrandon").hasPrefix("unknown benchmark 'readrandon' (did you mean 'readrandom'?)"))
    #expect(error("--benchmarks=,").hasPrefix("--benchmarks is empty"))
  }
}
