// What every view reads while drawing: the state, the trace(s), colours, and where to report
// clickable regions. Views only read it; they draw into the grid they are given.

import AttnTrace
import Foundation

public struct ViewContext {
    public let app: App
    public var state: AppState { app.state }
    public var trace: TraceModel { app.trace }
    public var other: TraceModel? { app.other }
    public var palette: Palette { app.palette }
    public var mono: Bool { app.colorMode == .mono }
    /// Only ASCII reaches the screen (`App.render` transliterates the rest); views that draw
    /// with half blocks draw one data row per cell instead.
    public var ascii: Bool { app.glyphs == .ascii }
    public var feedback: RenderFeedback { app.feedback }

    /// Styles shared by the views.
    var accent: Style { mono ? .bold : Style(fg: Color(hex: 0x5FD7FF), attrs: .bold) }
    var label: Style { mono ? .plain : Style(fg: Color(hex: 0xA8A8A8)) }
    var warn: Style { mono ? .bold : Style(fg: Color(hex: 0xFFAF00), attrs: .bold) }
    var cursorStyle: Style { Style(fg: Color(hex: 0x000000), bg: Color(hex: 0xFFD75F), attrs: .bold) }
    var selectedRow: Style { mono ? .reverse : Style(fg: Color(hex: 0xFFFFFF), bg: Color(hex: 0x3A3A5A), attrs: .bold) }
    /// Vermillion (Okabe–Ito), used for evictions.
    static let evicted = Color(hex: 0xD55E00)

    /// Text colour readable on top of `bg`.
    func textOn(_ bg: Color) -> Color { bg.luma > 0.5 ? Color(hex: 0x000000) : Color(hex: 0xFFFFFF) }

    /// Draws "need W×H, have w×h" instead of a view that does not fit. Returns true when it did.
    @discardableResult
    func tooSmall(_ grid: inout CellGrid, _ area: Rect, view: String, minWidth: Int, minHeight: Int) -> Bool {
        guard area.width < minWidth || area.height < minHeight else { return false }
        grid.fill(area)
        let lines = Self.tooSmallLines(view: view, need: (minWidth, minHeight), have: (area.width, area.height))
        let top = area.y + max(0, (area.height - lines.count) / 2)
        for (i, l) in lines.enumerated() {
            let x = area.x + max(0, (area.width - l.count) / 2)
            grid.put(x, top + i, l, warn, maxWidth: area.width)
        }
        return true
    }

    /// The too-small message broken into lines that fit `have.width` (each phrase whole on a line
    /// where it fits), at most `have.height` of them, the sizes kept first.
    static func tooSmallLines(view: String, need: (Int, Int), have: (width: Int, height: Int)) -> [String] {
        let groups = [["Terminal too small", "for \(view)"], ["need \(need.0)×\(need.1),", "have \(have.width)×\(have.height)"]]
        var lines: [[String]] = groups.map { g in
            let joined = g.joined(separator: " ")
            return joined.count <= have.width ? [joined] : g
        }
        // drop the heading first, then the "need" phrase, so that what the terminal has stays visible
        while lines.joined().count > max(1, have.height) {
            if !lines[0].isEmpty { lines[0].removeLast() } else if lines[1].count > 1 { lines[1].removeFirst() } else { break }
        }
        return lines.joined().map { String($0) }
    }

    /// A horizontal colour legend: "lo ████████ hi" with a label, in one row.
    func legend(_ grid: inout CellGrid, x: Int, y: Int, width: Int, title: String, lo: String, hi: String,
                color: (Double) -> Color) {
        var cx = grid.put(x, y, title + " ", label, maxWidth: width)
        cx = grid.put(cx, y, lo + " ", .plain, maxWidth: x + width - cx)
        let bar = max(0, min(32, x + width - cx - hi.count - 1))
        for i in 0..<bar {
            let t = bar > 1 ? Double(i) / Double(bar - 1) : 1
            if mono { grid.set(cx + i, y, GlyphRamp.glyph(max(0.01, t))) } else { grid.set(cx + i, y, " ", Style(bg: color(t))) }
        }
        grid.put(cx + bar + 1, y, hi, .plain, maxWidth: max(0, x + width - cx - bar - 1))
    }
}

/// Maps a value to [0, 1] on a linear or log scale between `lo` and `hi`.
public struct ValueScale: Equatable, Sendable {
    public var lo: Double, hi: Double, log: Bool
    public init(lo: Double, hi: Double, log: Bool) { self.lo = lo; self.hi = hi; self.log = log }

    /// A scale over values in `max` (log: four decades below the maximum, or down to the smallest
    /// positive value when that is higher).
    public static func forMax(_ maxValue: Double, minPositive: Double, log: Bool) -> ValueScale {
        let hi = maxValue > 0 ? maxValue : 1
        if !log { return ValueScale(lo: 0, hi: hi, log: false) }
        let floor = hi * 1e-4
        return ValueScale(lo: max(floor, min(minPositive, hi)), hi: hi, log: true)
    }

    public func t(_ v: Double) -> Double {
        guard v > 0, !v.isNaN else { return 0 }
        if !log { return min(1, v / hi) }
        if hi <= lo { return 1 }
        let x = (log10(v) - log10(lo)) / (log10(hi) - log10(lo))
        return min(1, max(0.02, x))   // still visibly non-empty below the floor
    }

    public func label(_ v: Double) -> String {
        if v == 0 { return "0" }
        if v < 0.01 {
            let e = Int(log10(v).rounded(.down))
            var m = v; for _ in 0..<(-e) { m *= 10 }
            return formatFixed(m, 1) + "e\(e)"
        }
        return formatFixed(v, v < 1 ? 3 : 2)
    }
}

