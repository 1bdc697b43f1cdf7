// Colours as views ask for them (24-bit), and how a terminal that has fewer gets the nearest one.
// Quantisation is pure: the backend calls `ColorMode.encode` and never decides colours itself.

/// A colour a view asks for: the terminal's default, or an sRGB triple.
public enum Color: Hashable, Sendable {
    case `default`
    case rgb(UInt8, UInt8, UInt8)

    public init(hex: UInt32) {
        self = .rgb(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    /// Perceived brightness in [0, 1] (Rec. 709 weights on sRGB values; good enough to pick a
    /// readable text colour on top of a cell).
    public var luma: Double {
        guard case let .rgb(r, g, b) = self else { return 0.5 }
        return (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255
    }
}

/// What the terminal can show, best first.
public enum ColorMode: String, CaseIterable, Sendable {
    case truecolor   // SGR 38;2;r;g;b
    case cube256     // SGR 38;5;n, n in the 6×6×6 cube (16…231) or the grey ramp (232…255)
    case ansi16      // SGR 30–37 / 90–97
    case mono        // no colour: attributes and glyph ramps only

    /// Picks the mode from the environment, the way btop/htop do: `NO_COLOR` (any non-empty
    /// value) wins, then `COLORTERM=truecolor|24bit`, then the terminfo colour count.
    /// - Parameters:
    ///   - environment: process environment (`ProcessInfo.processInfo.environment`)
    ///   - terminfoColors: `tigetnum("colors")` or `COLORS` after `start_color`; ≤ 0 when unknown
    public static func detect(environment: [String: String], terminfoColors: Int) -> ColorMode {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .mono }
        let colorterm = (environment["COLORTERM"] ?? "").lowercased()
        if colorterm == "truecolor" || colorterm == "24bit" { return .truecolor }
        let term = (environment["TERM"] ?? "").lowercased()
        if term.hasSuffix("-direct") { return .truecolor }
        if terminfoColors >= 256 { return .cube256 }
        if terminfoColors >= 8 { return .ansi16 }
        return .mono
    }
}

// MARK: - Quantisation

/// The 16 ANSI colours as xterm draws them, index = SGR offset (0–7 normal, 8–15 bright).
let ansi16Palette: [(UInt8, UInt8, UInt8)] = [
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
]

/// The six levels of xterm's 6×6×6 cube.
let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

private func squaredDistance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
    let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
    return 2 * dr * dr + 4 * dg * dg + 3 * db * db   // cheap perceptual weighting
}

/// Nearest xterm-256 index (16…255) to an sRGB colour under a weighted squared distance (2:4:3 for
/// r:g:b): the better of the nearest cube entry (per channel, since the weights are separable) and
/// the nearest grey-ramp entry. Exact: tests compare it with a scan of all 240 entries.
public func quantize256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
    func level(_ v: Int) -> Int {   // index of the nearest cube level
        var best = 0
        for i in 1..<6 where abs(cubeLevels[i] - v) < abs(cubeLevels[best] - v) { best = i }
        return best
    }
    let c = (Int(r), Int(g), Int(b))
    let (ri, gi, bi) = (level(c.0), level(c.1), level(c.2))
    let cube = (cubeLevels[ri], cubeLevels[gi], cubeLevels[bi])
    let cubeIndex = 16 + 36 * ri + 6 * gi + bi
    // grey ramp: 232 + k has value 8 + 10k, k in 0..<24; the nearest grey under the weighted
    // distance is the weighted mean of the channels
    let mean = Double(2 * c.0 + 4 * c.1 + 3 * c.2) / 9
    let k = max(0, min(23, Int(((mean - 8) / 10).rounded())))
    let grey = 8 + 10 * k
    let greyIndex = 232 + k
    return squaredDistance(c, (grey, grey, grey)) < squaredDistance(c, cube) ? UInt8(greyIndex) : UInt8(cubeIndex)
}

/// Nearest of the 16 ANSI colours (0…15).
public func quantize16(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
    let c = (Int(r), Int(g), Int(b))
    var best = 0, bestD = Int.max
    for (i, p) in ansi16Palette.enumerated() {
        let d = squaredDistance(c, (Int(p.0), Int(p.1), Int(p.2)))
        if d < bestD { bestD = d; best = i }
    }
    return UInt8(best)
}

extension ColorMode {
    /// SGR parameters selecting `color` as foreground (or background), e.g. "38;2;1;2;3", "48;5;17",
    /// "91", "39". Monochrome always answers the default colour.
    public func sgr(_ color: Color, background: Bool) -> String {
        guard case let .rgb(r, g, b) = color, self != .mono else { return background ? "49" : "39" }
        switch self {
        case .truecolor: return "\(background ? 48 : 38);2;\(r);\(g);\(b)"
        case .cube256: return "\(background ? 48 : 38);5;\(quantize256(r, g, b))"
        case .ansi16:
            let i = Int(quantize16(r, g, b))
            let base = i < 8 ? (background ? 40 : 30) : (background ? 100 : 90)
            return "\(base + i % 8)"
        case .mono: return background ? "49" : "39"
        }
    }
}
