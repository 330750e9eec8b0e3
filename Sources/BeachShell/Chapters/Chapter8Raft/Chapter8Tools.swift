import ArgumentParser

/// Chapter 8's tools for `beach`: the real cluster's server and the
/// clients that follow its leader.
enum Chapter8Tools {
  static let all: [any ParsableCommand.Type] = [RaftServeCommand.self, RaftConnectCommand.self]
}
