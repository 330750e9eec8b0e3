/// Small helpers for the words and figures in traces and dumps.

/// `1 key`, `2 keys`; `1 entry`, `2 entries` with an explicit plural.
public func plural(_ count: Int, _ noun: String, _ pluralNoun: String? = nil) -> String {
  "\(count) \(count == 1 ? noun : pluralNoun ?? noun + "s")"
}

/// A size for people: `512 B`, `1.2 KiB`, `4.0 MiB`.
public func formatBytes(_ count: Int) -> String {
  if count < 1024 { return "\(count) B" }
  let units = ["KiB", "MiB", "GiB", "TiB"]
  var value = Double(count) / 1024
  var unit = 0
  while value >= 1024 && unit < units.count - 1 {
    value /= 1024
    unit += 1
  }
  let tenths = Int((value * 10).rounded())
  return "\(tenths / 10).\(tenths % 10) \(units[unit])"
}
