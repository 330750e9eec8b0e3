/// `text` with `&`, `<`, `>` and `"` escaped, for HTML and SVG element
/// content and attribute values alike (the HTML book and `beach bench`'s
/// chart both write markup).
public func escapeMarkup(_ text: String) -> String {
  var out = ""
  out.reserveCapacity(text.utf8.count)
  for character in text {
    switch character {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    default: out.append(character)
    }
  }
  return out
}
