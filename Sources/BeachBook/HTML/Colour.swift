import Foundation

/// An sRGB colour, with the arithmetic the style sheet needs to choose
/// readable ones: HSL to RGB, and WCAG 2 contrast.
///
/// WCAG's contrast ratio is `(L1 + 0.05) / (L2 + 0.05)` for the relative
/// luminances of the lighter and the darker colour; 4.5 is the minimum for
/// body text (level AA), which trace output is.
struct Colour: Equatable {
  /// Red, green and blue, 0–255.
  var red: Int
  var green: Int
  var blue: Int

  /// The minimum contrast of text with its background (WCAG AA).
  static let minimumContrast = 4.5

  /// `#rrggbb`. REQUIRES: `hex` is six hexadecimal digits after a `#`.
  init(_ hex: String) {
    let value = Int(hex.dropFirst(), radix: 16) ?? 0
    self.init(red: value >> 16 & 0xFF, green: value >> 8 & 0xFF, blue: value & 0xFF)
  }

  init(red: Int, green: Int, blue: Int) {
    self.red = red
    self.green = green
    self.blue = blue
  }

  /// The colour of `hue` (degrees), `saturation` and `lightness` (0–1).
  init(hue: Int, saturation: Double, lightness: Double) {
    let chroma = (1 - abs(2 * lightness - 1)) * saturation
    let sector = Double(hue % 360) / 60
    let second = chroma * (1 - abs(sector.truncatingRemainder(dividingBy: 2) - 1))
    let (r, g, b): (Double, Double, Double) =
      switch Int(sector) {
      case 0: (chroma, second, 0)
      case 1: (second, chroma, 0)
      case 2: (0, chroma, second)
      case 3: (0, second, chroma)
      case 4: (second, 0, chroma)
      default: (chroma, 0, second)
      }
    let base = lightness - chroma / 2
    func channel(_ value: Double) -> Int { Int(((value + base) * 255).rounded()) }
    self.init(red: channel(r), green: channel(g), blue: channel(b))
  }

  /// `#rrggbb`, lower case.
  var hex: String {
    "#"
      + [red, green, blue].map { value in
        let digits = String(value, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
      }.joined()
  }

  /// The WCAG relative luminance, 0 (black) to 1 (white).
  var luminance: Double {
    0.2126 * Self.linear(red) + 0.7152 * Self.linear(green) + 0.0722 * Self.linear(blue)
  }

  /// How different this colour looks from `other`: the CIE76 ΔE, the
  /// distance in CIELAB (D65). About 2.3 is just noticeable; 100 is black
  /// from white.
  func difference(from other: Colour) -> Double {
    let (a, b) = (lab, other.lab)
    let (dl, da, db) = (a.l - b.l, a.a - b.a, a.b - b.b)
    return (dl * dl + da * da + db * db).squareRoot()
  }

  private var lab: (l: Double, a: Double, b: Double) {
    let (r, g, b) = (Self.linear(red), Self.linear(green), Self.linear(blue))
    let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    func f(_ t: Double) -> Double { t > 216.0 / 24389 ? cbrt(t) : (24389.0 / 27 * t + 16) / 116 }
    return (116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z)))
  }

  /// An sRGB channel (0–255) as linear light (0–1).
  private static func linear(_ channel: Int) -> Double {
    let value = Double(channel) / 255
    return value <= 0.04045 ? value / 12.92 : pow((value + 0.055) / 1.055, 2.4)
  }

  /// The WCAG contrast ratio of this colour with `other`, 1 to 21.
  func contrast(with other: Colour) -> Double {
    let (lighter, darker) = (max(luminance, other.luminance), min(luminance, other.luminance))
    return (lighter + 0.05) / (darker + 0.05)
  }
}
