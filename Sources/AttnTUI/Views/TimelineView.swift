// Timeline: per step latency, tokens/s, KV bytes (total, or stacked per layer), mean sparsity and
// recall, one step per column, the current step as a cursor. Only the steps on screen are decoded.

import AttnTrace

enum TimelineView {
    struct Series: Sendable {
        var name: String
        var value: @Sendable (StepSummary) -> Double
        var format: @Sendable (Double) -> String
    }

    static let series: [Series] = [
        Series(name: "latency", value: { Double($0.wallNanos) / 1e6 }, format: { formatFixed($0, 2) + " ms" }),
        Series(name: "tokens/s", value: { $0.tokensPerSecond }, format: { formatFixed($0, 1) }),
        Series(name: "KV bytes", value: { Double($0.kvBytesTotal) }, format: { formatBytes(Int($0)) }),
        Series(name: "sparsity", value: { $0.meanSparsity }, format: { formatFixed($0, 3) }),
        Series(name: "recall", value: { $0.meanRecall }, format: { formatFixed($0, 3) }),
    ]

    /// First step shown when `width` steps fit: keeps the cursor in view, centred when possible.
    static func windowStart(step: Int, count: Int, width: Int) -> Int {
        guard count > width else { return 0 }
        return max(0, min(count - width, step - width / 2))
    }

    static func render(_ ctx: ViewContext, into grid: inout CellGrid, area: Rect) {
        if ctx.tooSmall(&grid, area, view: "Timeline", minWidth: 40, minHeight: 12) { return }
        let st = ctx.state
        let traces = [ctx.trace] + (ctx.other.map { [$0] } ?? [])
        let labelW = 22
        let plotW = area.width - labelW - 1
        let count = ctx.trace.stepCount
        let start = windowStart(step: st.step, count: count, width: plotW)
        let end = min(count, start + plotW)
        let (titleRow, rest) = area.splitTop(1)
        let (body, axisRow) = rest.splitBottom(1)
        grid.put(titleRow.x, titleRow.y, " steps \(start)…\(max(start, end - 1)) of \(count) · cursor = step \(st.step)   (h/l step, b KV stacked/total, click a column)",
                 ctx.accent, maxWidth: titleRow.width)

        // bands: every series for every trace; the KV band is taller when stacked
        var bands: [(Series?, TraceModel, String, Int)] = []
        for (ti, t) in traces.enumerated() {
            for s in series {
                let tag = traces.count > 1 ? (ti == 0 ? "A " : "B ") : ""
                let stacked = s.name == "KV bytes" && st.kvStacked
                bands.append((stacked ? nil : s, t, tag + s.name, stacked ? 2 : 1))
            }
        }
        let units = bands.reduce(0) { $0 + $1.3 }
        let unitH = max(1, (body.height - bands.count) / max(1, units))
        var y = body.y
        for (s, t, name, weight) in bands {
            let h = unitH * weight
            guard y + h < body.maxY + 1 else { break }
            let summaries = (start..<end).map { t.summary(step: $0) }
            let cur = t.summary(step: st.step)
            if let s {
                let vals = summaries.map { $0.map(s.value) ?? .nan }
                grid.put(area.x + 1, y, name, ctx.label, maxWidth: labelW - 1)
                grid.put(area.x + 1, y + min(1, h - 1) + (h > 1 ? 0 : 0), h > 1 ? (cur.map { s.format(s.value($0)) } ?? "–") : "", .bold, maxWidth: labelW - 1)
                if h == 1 { grid.put(area.x + 10, y, cur.map { s.format(s.value($0)) } ?? "–", .bold, maxWidth: labelW - 10) }
                sparkline(ctx, &grid, Rect(x: area.x + labelW, y: y, width: plotW, height: h), vals, cursor: st.step - start)
            } else {
                grid.put(area.x + 1, y, name + " by layer", ctx.label, maxWidth: labelW - 1)
                grid.put(area.x + 1, y + 1, cur.map { formatBytes($0.kvBytesTotal) } ?? "–", .bold, maxWidth: labelW - 1)
                stacked(ctx, &grid, Rect(x: area.x + labelW, y: y, width: plotW, height: h), summaries, cursor: st.step - start)
            }
            y += h + 1
        }
        // axis: step numbers every 10 columns
        var lastEnd = area.x + labelW - 1
        for c in 0..<(end - start) where (start + c) % 10 == 0 && area.x + labelW + c > lastEnd {
            lastEnd = grid.put(area.x + labelW + c, axisRow.y, "\(start + c)", ctx.label) + 1
        }
        for c in 0..<(end - start) {
            ctx.feedback.hit(Rect(x: area.x + labelW + c, y: body.y, width: 1, height: body.height + 1), .selectStep(start + c))
        }
    }

    /// Bars from the bottom of `area`, 8 levels per cell row; NaN is blank; the cursor column inverted.
    static func sparkline(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect, _ values: [Double], cursor: Int) {
        let finite = values.filter { $0.isFinite }
        let hi = max(finite.max() ?? 0, 1e-12)
        let levels = area.height * 8
        for (c, v) in values.enumerated() where c < area.width {
            let isCursor = c == cursor
            let color: Color = ctx.mono ? .default : ctx.palette.color(0.35 + 0.65 * (v.isFinite ? v / hi : 0))
            var n = v.isFinite ? Int((v / hi * Double(levels)).rounded()) : 0
            if v.isFinite, v > 0, n == 0 { n = 1 }
            for r in 0..<area.height {
                let y = area.maxY - 1 - r
                let fill = min(8, max(0, n - r * 8))
                var style = Style(fg: color)
                if isCursor { style = ctx.mono ? .reverse : Style(fg: color, bg: Color(hex: 0x5F5F00)) }
                grid.set(area.x + c, y, fill == 0 ? (isCursor ? "│" : " ") : GlyphRamp.bars[fill - 1], isCursor && fill == 0 ? ctx.cursorStyle : style)
            }
        }
    }

    /// Stacked per-layer KV bytes: each cell row of a column takes the colour of the layer that
    /// occupies its middle.
    static func stacked(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect, _ sums: [StepSummary?], cursor: Int) {
        let hi = Double(max(1, sums.compactMap { $0?.kvBytesTotal }.max() ?? 1))
        for (c, s) in sums.enumerated() where c < area.width {
            guard let s else { continue }
            let layers = s.kvBytesPerLayer
            for r in 0..<area.height {
                let mid = (Double(r) + 0.5) / Double(area.height) * hi
                var acc = 0.0, layer: Int? = nil
                for (l, b) in layers.enumerated() { acc += Double(b); if acc >= mid { layer = l; break } }
                let y = area.maxY - 1 - r
                guard let layer else { if c == cursor { grid.set(area.x + c, y, "│", ctx.cursorStyle) }; continue }
                let color = ctx.palette.color(Double(layer) / Double(max(1, layers.count - 1)))
                if ctx.mono { grid.set(area.x + c, y, layer % 2 == 0 ? "█" : "▓", c == cursor ? .reverse : .plain) } else {
                    grid.set(area.x + c, y, "█", Style(fg: color, attrs: c == cursor ? .reverse : []))
                }
            }
        }
    }
}
