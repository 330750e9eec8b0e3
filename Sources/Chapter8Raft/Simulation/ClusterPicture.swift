import Chapter1WAL

// snippet: raft-status-picture
/// The cluster at a glance, for `status`: each node's role and numbers,
/// then the logs side by side, one column per index, each cell the term of
/// the entry there.
///
///     node  role           term  vote  commit  applied
///     1     leader            2     1       3        3
///     2     follower          2     1       3        3
///     3     down (power cut)
///     index   1  2  3
///     1       1  2  2
///     2       1  2  2
///     3       1  2  .
///
/// `.` is an index the node's log does not reach, `s` one folded into a
/// snapshot; a cell in brackets is past that node's commit index.
public enum ClusterPicture {
  /// At most this many indexes are drawn (the latest), to fit 80 columns.
  public static let columns = 18

  public static func lines(_ cluster: ManualCluster) -> [String] {
    var lines = ["node  role            term  vote  commit  applied"]
    var lastIndex: LogIndex = 0
    for id in 1...NodeID(cluster.size) {
      guard let peer = cluster.peer(id) else {
        lines.append("\(id)".padded(6) + "down (power cut)")
        continue
      }
      let node = peer.node
      lastIndex = max(lastIndex, node.log.lastIndex)
      lines.append(
        "\(id)".padded(6) + node.role.description.padded(14) + "\(node.term)".leftPadded(6)
          + (node.vote == 0 ? "-" : "\(node.vote)").leftPadded(6) + "\(node.commit)".leftPadded(8)
          + "\(peer.machine.applied)".leftPadded(9))
    }
    guard (1...NodeID(cluster.size)).contains(where: { cluster.peer($0) != nil }) else {
      return lines + ["(no node is running)"]
    }
    guard lastIndex > 0 else { return lines + ["(every log is empty)"] }
    let first = lastIndex > LogIndex(columns) ? lastIndex - LogIndex(columns) + 1 : 1
    lines.append("index " + (first...lastIndex).map { "\($0)".leftPadded(4) }.joined())
    for id in 1...NodeID(cluster.size) {
      guard let node = cluster.peer(id)?.node else { continue }
      let cells = (first...lastIndex).map { index -> String in
        if index <= node.log.snapshot.index { return "s ".leftPadded(4) }
        guard let term = node.log.term(at: index) else { return ". ".leftPadded(4) }
        return (index > node.commit ? "[\(term)]" : "\(term) ").leftPadded(4)
      }
      lines.append("\(id)".padded(6) + cells.joined())
    }
    return lines
  }
}
// end snippet

extension String {
  fileprivate func padded(_ width: Int) -> String {
    count >= width ? self + " " : self + String(repeating: " ", count: width - count)
  }

  fileprivate func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
