// Overview: a layer × head grid, each cell coloured by the chosen metric at the current step.
// Selecting a cell selects that head everywhere.

import AttnTrace

enum OverviewView {
    /// The value of `metric` for one head (a catalogue metric per head, or its KV group's bytes).
    static func value(_ m: HeadMetrics, _ metric: Metric, kvBytes: Int, context: Int) -> Double {
        metric.info.head?.read(m, context: context) ?? (metric == .kvBytes ? Double(kvBytes) : .nan)
    }

    /// [L][H] values of `metric` at `step` (NaN where missing).
    static func values(_ t: TraceModel, step: Int, metric: Metric) -> [[Double]] {
        var v = Array(repeating: Array(repeating: Double.nan, count: t.heads), count: t.layers)
        let context = t.context(step: step)
        for m in t.metrics(step: step) where m.layer < t.layers && m.head < t.heads && m.layer >= 0 && m.head >= 0 {
            v[m.layer][m.head] = value(m, metric, kvBytes: metric == .kvBytes ? t.kvBytes(step: step, layer: m.layer, head: m.head) : 0,
                                       context: context)
        }
        return v
    }

    static func render(_ ctx: ViewContext, into grid: inout CellGrid, area: Rect) {
        let t = ctx.trace
        let minW = 12 + min(t.heads, 8) * 2
        if ctx.tooSmall(&grid, area, view: "Overview", minWidth: max(30, minW), minHeight: 6) { return }
        let st = ctx.state
        let (titleRow, rest) = area.splitTop(1)
        let (body, legendRow) = rest.splitBottom(1)
        let a = values(t, step: st.step, metric: st.metric)

        if let o = ctx.other {
            let b = values(o, step: st.step, metric: st.metric)
            if st.showDifference {
                let d = zip(a, b).map { zip($0, $1).map { $1 - $0 } }
                let m = d.joined().filter { !$0.isNaN }.map(abs).max() ?? 0
                let span = m > 0 ? m : 1
                grid.put(titleRow.x, titleRow.y, " Δ \(st.metric.info.title), B − A, step \(st.step)   (v/V metric, d side by side)", ctx.accent, maxWidth: titleRow.width)
                drawGrid(ctx, &grid, body, d, text: { formatSigned($0) }) { Palette.diverging.signedColor($0 / span) }
                ctx.legend(&grid, x: legendRow.x + 1, y: legendRow.y, width: legendRow.width - 2, title: "B − A (PuOr)",
                           lo: formatSigned(-span), hi: formatSigned(span)) { Palette.diverging.color($0) }
                return
            }
            let (left, right) = body.halves()
            let range = range(a + b, metric: st.metric)
            grid.put(titleRow.x, titleRow.y, " \(st.metric.info.title) at step \(st.step): A left, B right   (d difference)", ctx.accent, maxWidth: titleRow.width)
            drawGrid(ctx, &grid, left, a, text: { formatCell($0, st.metric) }) { ctx.palette.color(($0 - range.lo) / (range.hi - range.lo)) }
            drawGrid(ctx, &grid, right, b, text: { formatCell($0, st.metric) }) { ctx.palette.color(($0 - range.lo) / (range.hi - range.lo)) }
            legend(ctx, &grid, legendRow, range, st.metric)
            return
        }

        let range = range(a, metric: st.metric)
        grid.put(titleRow.x, titleRow.y, " \(st.metric.info.title) at step \(st.step)   (v/V metric, arrows/hjkl select, Enter heatmap)", ctx.accent, maxWidth: titleRow.width)
        // details of the selected head on the right when there is room
        var gridArea = body
        if body.width >= 30 + t.heads * 5 + 6 {
            let (l, r) = body.splitLeft(body.width - 30)
            gridArea = l
            details(ctx, &grid, r.inset(0))
        }
        drawGrid(ctx, &grid, gridArea, a, text: { formatCell($0, st.metric) }) { ctx.palette.color(($0 - range.lo) / (range.hi - range.lo)) }
        legend(ctx, &grid, legendRow, range, st.metric)
    }

    static func range(_ v: [[Double]], metric: Metric) -> (lo: Double, hi: Double) {
        switch metric.info.unit {
        case .fraction, .distance: return (0, 1)
        default:
            let m = v.joined().filter { !$0.isNaN }.max() ?? 1
            return (0, m > 0 ? m : 1)
        }
    }

    static func legend(_ ctx: ViewContext, _ grid: inout CellGrid, _ row: Rect, _ r: (lo: Double, hi: Double), _ metric: Metric) {
        let f = { (v: Double) in metric.info.unit == .bytes ? formatBytes(Int(v)) : formatFixed(v, 2) }
        ctx.legend(&grid, x: row.x + 1, y: row.y, width: row.width - 2, title: "\(ctx.palette.name):", lo: f(r.lo), hi: f(r.hi)) { ctx.palette.color($0) }
    }

    static func formatCell(_ v: Double, _ metric: Metric) -> String {
        if v.isNaN { return " – " }
        if metric.info.unit == .bytes { return formatBytes(Int(v)) }
        if v >= 0.995 { return "1.0" }
        return "." + formatFixed(v, 2).suffix(2)
    }

    static func formatSigned(_ v: Double) -> String {
        if v.isNaN { return "–" }
        return (v >= 0 ? "+" : "") + formatFixed(v, 2)
    }

    /// Draws the layer × head grid into `area`, scrolled so that the current layer is visible.
    static func drawGrid(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect, _ v: [[Double]],
                         text: (Double) -> String, color: (Double) -> Color) {
        let layers = v.count, heads = v.first?.count ?? 0
        guard layers > 0, heads > 0 else {
            grid.put(area.x + 1, area.y + 1, "no head metrics at this step", ctx.warn); return
        }
        let labelW = 5
        let cellW = max(1, min(6, (area.width - labelW) / heads))
        let rows = area.height - 1   // one header row
        guard rows > 0 else { return }
        let st = ctx.state
        let first = max(0, min(layers - rows, st.layer - rows / 2))
        // header
        for h in 0..<heads {
            let label = cellW >= 3 ? "H\(h)" : (h % 5 == 0 ? "\(h)" : "")
            grid.put(area.x + labelW + h * cellW, area.y, label, h == st.head ? ctx.accent : ctx.label, maxWidth: cellW)
        }
        for row in 0..<min(rows, layers - first) {
            let l = first + row
            let y = area.y + 1 + row
            grid.put(area.x, y, "L\(l)", l == st.layer ? ctx.accent : ctx.label, maxWidth: labelW - 1)
            for h in 0..<heads {
                let x = area.x + labelW + h * cellW
                let value = v[l][h]
                let selected = l == st.layer && h == st.head
                let cellRect = Rect(x: x, y: y, width: cellW, height: 1)
                ctx.feedback.hit(cellRect, .select(layer: l, head: h))
                if ctx.mono {
                    let g = value.isNaN ? " " : GlyphRamp.glyph(max(0.01, min(1, abs(value))))
                    let s = String(repeating: Character(g), count: max(1, cellW - 1))
                    grid.put(x, y, s, selected ? .reverse : .plain, maxWidth: cellW)
                    continue
                }
                let bg = value.isNaN ? Color(hex: 0x1C1C1C) : color(value)
                let style = Style(fg: ctx.textOn(bg), bg: bg, attrs: selected ? [.bold, .underline] : [])
                var s = cellW >= 4 ? " " + text(value) : ""
                s = String(s.prefix(cellW - 1))
                while s.count < cellW - 1 { s += " " }
                grid.put(x, y, s, style, maxWidth: cellW - 1)
                grid.set(x + cellW - 1, y, selected ? "◀" : " ", selected ? ctx.accent : .plain)
                if cellW == 1 { grid.set(x, y, selected ? "◆" : " ", style) }
            }
        }
    }

    /// The selected head's metrics as a list.
    static func details(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect) {
        let st = ctx.state, t = ctx.trace
        grid.box(area, title: "L\(st.layer) H\(st.head) step \(st.step)")
        guard let m = t.metrics(step: st.step, layer: st.layer, head: st.head) else {
            grid.put(area.x + 2, area.y + 1, "no metrics", ctx.warn); return
        }
        let row = HeadRow(metrics: m, kvBytes: t.kvBytes(step: st.step, layer: st.layer, head: st.head), headClass: ctx.app.classify?(m),
                          context: t.context(step: st.step))
        var lines: [(String, String)] = HeadColumn.allCases.filter { ![.layer, .head, .topSink].contains($0) && ($0 != .headClass || row.headClass != nil) }
            .map { ($0.title, $0.text(row)) }
        lines.append(("KV head", "\(t.kvHead(ofHead: st.head))"))
        for s in m.topSinks.prefix(4) { lines.append(("sink @\(s.position)", formatFixed(Double(s.score), 3))) }
        for (i, (k, v)) in lines.enumerated() where i < area.height - 2 {
            grid.put(area.x + 2, area.y + 1 + i, k, ctx.label, maxWidth: 12)
            grid.put(area.x + 15, area.y + 1 + i, v, .plain, maxWidth: area.width - 17)
        }
    }
}
