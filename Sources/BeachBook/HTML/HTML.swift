import BeachShell

/// Small HTML helpers.
enum HTML {
  /// `text` with `&`, `<`, `>` and `"` escaped, for element content and
  /// attribute values alike.
  static func escape(_ text: String) -> String { escapeMarkup(text) }

  /// A heading's anchor, GitHub style: lower case, letters, digits and
  /// hyphens, spaces become hyphens, the rest goes.
  static func slug(_ text: String) -> String {
    var slug = ""
    for character in text.lowercased() {
      if character.isLetter || character.isNumber || character == "-" || character == "_" {
        slug.append(character)
      } else if character == " " {
        slug.append("-")
      }
    }
    return slug
  }

  /// `html` with its tags removed and the common entities decoded: the text
  /// a reader sees.
  static func plainText(_ html: String) -> String {
    var out = ""
    var inTag = false
    for character in html {
      if character == "<" {
        inTag = true
      } else if character == ">" && inTag {
        inTag = false
      } else if !inTag {
        out.append(character)
      }
    }
    return out.replacing("&lt;", with: "<").replacing("&gt;", with: ">").replacing("&quot;", with: "\"")
      .replacing("&#39;", with: "'").replacing("&amp;", with: "&")
  }
}
