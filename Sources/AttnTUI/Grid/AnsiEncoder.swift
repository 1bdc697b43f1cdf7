// Turns a CellGrid into the bytes a terminal needs: cursor moves and SGR sequences, only for the
// cells that changed since the previous frame. Pure, so the colour fallbacks are testable; the
// backend only writes the bytes.

public struct AnsiEncoder: Sendable {
    public var mode: ColorMode
    public init(mode: ColorMode) { self.mode = mode }

    /// The SGR sequence that sets `style` from a reset state.
    public func sgr(_ style: Style) -> String {
        var parts = ["0"]
        var attrs = style.attrs
        // Without colour, a coloured background is the only thing telling a highlighted cell apart:
        // show it as reverse video.
        if mode == .mono, style.bg != .default { attrs.insert(.reverse) }
        if attrs.contains(.bold) { parts.append("1") }
        if attrs.contains(.dim) { parts.append("2") }
        if attrs.contains(.underline) { parts.append("4") }
        if attrs.contains(.reverse) { parts.append("7") }
        if mode != .mono {
            if style.fg != .default { parts.append(mode.sgr(style.fg, background: false)) }
            if style.bg != .default { parts.append(mode.sgr(style.bg, background: true)) }
        }
        return "\u{1B}[" + parts.joined(separator: ";") + "m"
    }

    /// Bytes that turn a screen showing `previous` (nil: unknown, redraw all) into `grid`.
    /// Cursor positions are 1-based; the style is reset at the end.
    public func encode(_ grid: CellGrid, previous: CellGrid?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(grid.width * grid.height * 4)
        let full = previous == nil || previous!.width != grid.width || previous!.height != grid.height
        var current: Style? = nil
        var sgrCache: [Style: [UInt8]] = [:]
        for y in 0..<grid.height {
            var cursorX = -1   // where the terminal cursor is on this row, -1 = unknown
            for x in 0..<grid.width {
                let cell = grid[x, y]
                if !full, previous![x, y] == cell { continue }
                if cursorX != x { out.append(contentsOf: Array("\u{1B}[\(y + 1);\(x + 1)H".utf8)) }
                if current != cell.style {
                    if let b = sgrCache[cell.style] { out.append(contentsOf: b) } else {
                        let b = Array(sgr(cell.style).utf8); sgrCache[cell.style] = b; out.append(contentsOf: b)
                    }
                    current = cell.style
                }
                var buf = [UInt8](repeating: 0, count: 4)
                let n = encodeUTF8(cell.glyph, into: &buf)
                out.append(contentsOf: buf[0..<n])
                cursorX = x + 1
            }
        }
        if current != nil { out.append(contentsOf: Array("\u{1B}[0m".utf8)) }
        return out
    }

    private func encodeUTF8(_ s: Unicode.Scalar, into buf: inout [UInt8]) -> Int {
        var n = 0
        UTF8.encode(s) { byte in buf[n] = byte; n += 1 }
        return n
    }
}
