// Which characters the viewer may draw. A terminal without a UTF-8 locale (LANG=C) or a
// vt100-class terminal shows block, box and symbol characters as garbage, so there the viewer
// draws ASCII only: `App.render` passes the finished grid through `ascii(_:)`, and views that
// need half blocks draw one data row per cell instead.

public enum GlyphSet: Sendable, Equatable {
    case unicode, ascii

    /// Terminal types (TERM, before any "-variant") that cannot show Unicode box and block
    /// characters: DEC VT terminals, the Linux and BSD consoles, dumb terminals.
    static let asciiTerminals: Set<String> = ["vt52", "vt100", "vt102", "vt220", "vt320", "vt420", "linux", "cons25", "dumb", "ansi"]

    /// ASCII when the locale's character set is not UTF-8 (LC_ALL, else LC_CTYPE, else LANG,
    /// the first one set; none set is the C locale) or TERM names an ASCII-only terminal.
    public static func detect(environment env: [String: String]) -> GlyphSet {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"].lazy.compactMap { env[$0] }.first { !$0.isEmpty } ?? "C"
        let codeset = locale.split(separator: ".").dropFirst().first.map { $0.split(separator: "@")[0].lowercased() } ?? ""
        guard codeset == "utf-8" || codeset == "utf8" else { return .ascii }
        let term = (env["TERM"] ?? "").lowercased()
        let base = String(term.split(separator: "-").first ?? "")
        return asciiTerminals.contains(base) ? .ascii : .unicode
    }

    /// The ASCII stand-in for a character the viewer draws: density ramps keep their order
    /// (" .:+#@"), box lines become - | +, arrows and markers their nearest ASCII shape; anything
    /// else outside ASCII becomes "?".
    public static func ascii(_ s: Unicode.Scalar) -> Unicode.Scalar {
        if s.isASCII { return s }
        switch s {
        case "·", "…": return "."
        case "░": return ":"
        case "▒": return "+"
        case "▓": return "#"
        case "█": return "@"
        case "▁", "▂": return "_"
        case "▃", "▄", "▅": return "="
        case "▆", "▇": return "#"
        case "▀": return "^"
        case "─", "–", "—", "−": return "-"
        case "│", "▏", "❚": return "|"
        case "┌", "┐", "└", "┘", "├", "┤", "┬", "┴", "┼": return "+"
        case "▶", "→": return ">"
        case "◀", "←": return "<"
        case "▲", "↑": return "^"
        case "▼", "↓": return "v"
        case "◆": return "*"
        case "×": return "x"
        case "Δ": return "D"
        case "α": return "a"
        case "τ": return "t"
        case "≥": return ">"
        case "≤": return "<"
        case "⏎": return "~"
        case "∅": return "0"
        default: return "?"
        }
    }
}

extension CellGrid {
    /// Every glyph replaced by its ASCII stand-in (styles kept).
    public mutating func transliterateToASCII() {
        for y in 0..<height {
            for x in 0..<width where !self[x, y].glyph.isASCII {
                var cell = self[x, y]
                cell.glyph = GlyphSet.ascii(cell.glyph)
                self[x, y] = cell
            }
        }
    }
}
