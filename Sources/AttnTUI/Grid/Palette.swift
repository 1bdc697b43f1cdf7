// Colour maps for values in [0, 1] and [-1, 1], and glyph ramps for terminals without colour.
//
// viridis and magma are matplotlib's perceptually uniform maps (CC0), sampled at 11 evenly spaced
// points and interpolated linearly in sRGB between them; the error against the 256-entry tables is
// well below what a 256-colour terminal can show. The diverging map is ColorBrewer PuOr (11 classes),
// marked colour-blind safe by ColorBrewer: purple = negative, orange = positive, grey-white = 0.

public struct Palette: Sendable, Equatable {
    public let name: String
    let stops: [(UInt8, UInt8, UInt8)]

    public static func == (a: Palette, b: Palette) -> Bool { a.name == b.name }

    init(name: String, hex: [UInt32]) {
        self.name = name
        stops = hex.map { (UInt8(($0 >> 16) & 0xFF), UInt8(($0 >> 8) & 0xFF), UInt8($0 & 0xFF)) }
    }

    public static let viridis = Palette(name: "viridis", hex: [
        0x440154, 0x482475, 0x414487, 0x355F8D, 0x2A788E, 0x21918C, 0x22A884, 0x44BF70, 0x7AD151, 0xBDDF26, 0xFDE725,
    ])
    public static let magma = Palette(name: "magma", hex: [
        0x000004, 0x140E36, 0x3B0F70, 0x641A80, 0x8C2981, 0xB73779, 0xDE4968, 0xF7705C, 0xFE9F6D, 0xFECF92, 0xFCFDBF,
    ])
    /// Diverging, colour-blind safe (ColorBrewer PuOr, reversed so that negative is purple).
    public static let diverging = Palette(name: "puor", hex: [
        0x2D004B, 0x542788, 0x8073AC, 0xB2ABD2, 0xD8DAEB, 0xF7F7F7, 0xFEE0B6, 0xFDB863, 0xE08214, 0xB35806, 0x7F3B08,
    ])
    public static let sequential: [Palette] = [.viridis, .magma]

    /// Colour at `t` in [0, 1] (clamped; NaN gives the first stop).
    public func color(_ t: Double) -> Color {
        let u = t.isNaN ? 0 : min(1, max(0, t))
        let f = u * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(f))
        let w = f - Double(i)
        let a = stops[i], b = stops[i + 1]
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) * (1 - w) + Double(y) * w).rounded()) }
        return .rgb(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// Colour of a signed value in [-1, 1] on a diverging map (0 → the middle stop).
    public func signedColor(_ v: Double) -> Color { color((v + 1) / 2) }
}

/// Glyphs of increasing density for monochrome heatmaps (one value per cell).
public enum GlyphRamp {
    public static let shades: [Unicode.Scalar] = [" ", "·", "░", "▒", "▓", "█"]
    /// The glyph for `t` in [0, 1]; exactly 0 is blank so holes stay visible.
    public static func glyph(_ t: Double) -> Unicode.Scalar {
        guard t > 0, !t.isNaN else { return " " }
        let i = 1 + Int((min(1, t) * Double(shades.count - 2)).rounded())
        return shades[min(shades.count - 1, i)]
    }
    /// Eight-level bar glyphs for sparklines.
    public static let bars: [Unicode.Scalar] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
}
