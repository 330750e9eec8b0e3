/// The words and figures of traces, dumps and the shell: `3 entries`,
/// `4.0 KiB`, a key as the shell would type it, a batch in one phrase.
///
/// These are presentation, not the engine's API: every chapter's trace
/// lines and dump tools use them so that one thing is always written one way.
public enum Format {
  /// `1 key`, `2 keys`; `1 entry`, `2 entries` with an explicit plural.
  public static func plural(_ count: Int, _ noun: String, _ pluralNoun: String? = nil) -> String {
    "\(count) \(count == 1 ? noun : pluralNoun ?? noun + "s")"
  }

  /// A size for people: `512 B`, `1.2 KiB`, `4.0 MiB`.
  public static func size(_ count: Int) -> String {
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

  /// Renders bytes for a human, in a form the shell reads back as the same
  /// bytes: text as text (`alice`, `café`), quoted where a word would not
  /// survive the shell's tokenizer (`"two words"`, `""`, `"tab\there"`), and
  /// anything that is not mostly printable UTF-8 as `x'…'` hex.
  public static func printable(_ bytes: Bytes) -> String {
    guard let text = String(validating: bytes, as: UTF8.self) else { return "x'" + bytes.hexString + "'" }
    let scalars = text.unicodeScalars
    // Tabs and newlines have readable escapes; other controls make it binary.
    let controls = scalars.filter { isControl($0) }.count
    let opaque = scalars.filter { isControl($0) && !["\t", "\n", "\r"].contains($0) }.count
    if opaque * 4 > scalars.count { return "x'" + bytes.hexString + "'" }
    let plain =
      !text.isEmpty && controls == 0 && !text.hasPrefix("x'") && !text.hasPrefix("#")
      && !scalars.contains { " \"'\\;".unicodeScalars.contains($0) || $0.properties.isWhitespace }
    if plain { return text }
    var quoted = "\""
    for scalar in scalars {
      switch scalar {
      case "\"": quoted += "\\\""
      case "\\": quoted += "\\\\"
      case "\n": quoted += "\\n"
      case "\t": quoted += "\\t"
      case "\r": quoted += "\\r"
      case "\0": quoted += "\\0"
      case _ where isControl(scalar) && scalar.value < 0x80:
        quoted += "\\x" + [UInt8(scalar.value)].hexString
      case _ where isControl(scalar):
        // A control character outside ASCII has no escape: its UTF-8 bytes, in hex, are the only way back.
        return "x'" + bytes.hexString + "'"
      default: quoted.unicodeScalars.append(scalar)
      }
    }
    return quoted + "\""
  }

  /// Whether a scalar would be invisible or move the cursor if printed: a
  /// control or formatting character, or one not assigned at all.
  private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .unassigned, .surrogate, .privateUse, .lineSeparator, .paragraphSeparator: true
    default: false
    }
  }

  /// A batch in one phrase for a trace: `seq 7 PUT user:1`, or
  /// `seq 7..9 BATCH 2 PUT, 1 DEL`.
  public static func batch(_ batch: WriteBatch, from first: SequenceNumber) -> String {
    if batch.count == 1 {
      switch batch.operations[0] {
      case .put(let key, _): return "seq \(first) PUT \(Format.printable(key))"
      case .delete(let key): return "seq \(first) DEL \(Format.printable(key))"
      }
    }
    let puts = batch.operations.filter { if case .put = $0 { true } else { false } }.count
    return "seq \(first)..\(first + SequenceNumber(batch.count) - 1) BATCH \(puts) PUT, \(batch.count - puts) DEL"
  }
}
