// Heatmap of the current head: (a) the prefill query × key matrix, (b) key position × decode step,
// (c) the selected / evicted mask × step. Half blocks (▀, fg = upper, bg = lower) give two data rows
// per cell; monochrome terminals get one row per cell and a glyph ramp.

import AttnTrace

/// A rectangle of values a heatmap samples from, one data-row span at a time: `row` reads what the
/// span needs once (one decoded attention row, one selection) and answers a function over key
/// spans, or nil when the whole span is a hole (causal mask, future step, no captured row).
struct HeatSource {
    typealias RowValues = (_ keys: Range<Int>) -> Double?
    var cols: Int
    var rows: Int
    var row: (_ rows: Range<Int>) -> RowValues?
    var rowLabel: (Int) -> String
    var colUnit: Int = 1   // key positions per data column (pooled prefill tiles)
    /// Key positions evicted in these rows, drawn in vermillion.
    var evicted: (_ rows: Range<Int>) -> [Int] = { _ in [] }
    var cursorRow: Int? = nil
}

enum HeatmapView {
    static func render(_ ctx: ViewContext, into grid: inout CellGrid, area: Rect) {
        if ctx.tooSmall(&grid, area, view: "Heatmap", minWidth: 40, minHeight: 10) { return }
        let st = ctx.state
        let (titleRow, rest) = area.splitTop(1)
        let (body, legendRow) = rest.splitBottom(1)
        let scaleName = st.heatmap.mode == .mask ? "fraction selected" : st.heatmap.scale == .log ? "log" : "linear"
        grid.put(titleRow.x, titleRow.y, " L\(st.layer) H\(st.head) · \(st.heatmap.mode.title) · \(scaleName)   (v mode, i/o zoom, f fit, s scale, hjkl pan)",
                 ctx.accent, maxWidth: titleRow.width)

        if let o = ctx.other {
            let a = source(ctx, ctx.trace), b = source(ctx, o)
            if st.showDifference, let a, let b {
                let diff = HeatSource(cols: max(a.cols, b.cols), rows: max(a.rows, b.rows), row: { r in
                    let fa = a.row(r), fb = b.row(r)
                    if fa == nil && fb == nil { return nil }
                    return { k in
                        let x = fa?(k), y = fb?(k)
                        if x == nil && y == nil { return nil }
                        return (y ?? 0) - (x ?? 0)
                    }
                }, rowLabel: a.rowLabel, colUnit: a.colUnit, cursorRow: a.cursorRow)
                let m = draw(ctx, &grid, body, diff, signed: true).maxValue
                ctx.legend(&grid, x: legendRow.x + 1, y: legendRow.y, width: legendRow.width - 2, title: "B − A (PuOr, linear)",
                           lo: "-" + ValueScale(lo: 0, hi: m, log: false).label(m), hi: "+" + ValueScale(lo: 0, hi: m, log: false).label(m)) { Palette.diverging.color($0) }
                return
            }
            let (l, r) = body.halves()
            var scale: ValueScale? = nil
            for (half, src, name) in [(l, a, "A"), (r, b, "B")] {
                grid.put(half.x, half.y, name, ctx.accent)
                let inner = Rect(x: half.x + 1, y: half.y, width: half.width - 1, height: half.height)
                if let src { scale = drawOrNote(ctx, &grid, inner, src) ?? scale } else { missing(ctx, &grid, inner) }
            }
            if let scale { legend(ctx, &grid, legendRow, scale) }
            return
        }
        guard let src = source(ctx, ctx.trace) else { missing(ctx, &grid, body); return }
        var map = body
        if st.heatmap.mode == .keyByStep, body.height >= AlphaCurvePanel.height + 12 {   // the α_k curve under the map
            let (top, curve) = body.splitBottom(AlphaCurvePanel.height)
            map = top
            AlphaCurvePanel.render(ctx, into: &grid, area: curve, trace: ctx.trace)
        }
        if let scale = drawOrNote(ctx, &grid, map, src) { legend(ctx, &grid, legendRow, scale) } else { maskLegend(ctx, &grid, legendRow) }
    }

    static func missing(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect) {
        let st = ctx.state
        let why: String
        switch st.heatmap.mode {
        case .prefill: why = "no prefill attention matrix captured for L\(st.layer) H\(st.head) (capture level < rows?)"
        case .keyByStep: why = "no attention rows captured for this head"
        case .mask: why = "no selected sets in this trace (capture level < selections)"
        }
        grid.put(area.x + 1, area.y + 1, why, ctx.warn, maxWidth: area.width - 2)
        grid.put(area.x + 1, area.y + 2, "press v for another heatmap, or record with --capture rows", ctx.label, maxWidth: area.width - 2)
    }

    /// The mask view's key: what each colour means.
    static func maskLegend(_ ctx: ViewContext, _ grid: inout CellGrid, _ row: Rect) {
        var x = row.x + 1
        let items: [(Color, String)] = [(ctx.palette.color(1), "selected"), (Color(hex: 0x3A3A3A), "kept, not selected"),
                                        (ViewContext.evicted, "evicted at this step")]
        for (c, label) in items {
            grid.set(x, row.y, ctx.mono ? (label == "selected" ? "█" : label.hasPrefix("evicted") ? "x" : "·") : " ", ctx.mono ? .plain : Style(bg: c))
            x = grid.put(x + 2, row.y, label + "   ", .plain, maxWidth: row.maxX - x - 2)
        }
        grid.put(x, row.y, "blank: evicted earlier / not yet generated", ctx.label, maxWidth: row.maxX - x)
    }

    static func drawOrNote(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect, _ src: HeatSource) -> ValueScale? {
        let (m, minPositive) = draw(ctx, &grid, area, src, signed: false)
        return ctx.state.heatmap.mode == .mask ? nil : ValueScale.forMax(m, minPositive: minPositive, log: ctx.state.heatmap.scale == .log)
    }

    static func legend(_ ctx: ViewContext, _ grid: inout CellGrid, _ row: Rect, _ s: ValueScale) {
        ctx.legend(&grid, x: row.x + 1, y: row.y, width: row.width - 2, title: "\(ctx.palette.name) \(s.log ? "log" : "linear"):",
                   lo: s.label(s.lo), hi: s.label(s.hi)) { t in
            // the bar shows the colours of evenly spaced values on this scale
            ctx.palette.color(t)
        }
    }

    // MARK: - Sources for the three modes

    static func source(_ ctx: ViewContext, _ t: TraceModel) -> HeatSource? {
        let st = ctx.state
        let (l, h) = (st.layer, st.head)
        switch st.heatmap.mode {
        case .prefill:
            guard let m = t.row(step: 0, layer: l, head: h, kind: .prefillMatrix), m.rows > 0, m.cols > 0,
                  m.values.count >= m.rows * m.cols else { return nil }
            // a cell covering several queries × keys shows their maximum (a one-key sink stays)
            return HeatSource(cols: m.cols, rows: m.rows, row: { qs in
                { keys in
                    var top = -Double.infinity
                    for q in qs { for k in keys where k <= q || m.tile > 1 { top = max(top, Double(m.values[q * m.cols + k])) } }
                    return top.isFinite ? top : nil
                }
            }, rowLabel: { "q\($0 * m.tile)" }, colUnit: m.tile)
        case .keyByStep, .mask:
            let steps = t.stepCount
            guard steps > 0 else { return nil }
            let lastInfo = t.stepInfo(steps - 1)
            let keys = max(1, (lastInfo?.position ?? 0) + (lastInfo?.queryCount ?? 1))
            let g = t.kvHead(ofHead: h)
            let evicts = t.header.policy.mode == .evicts
            // positions the head's KV group evicted at the first step of a span
            let evictedIn: (Range<Int>) -> [Int] = { ss in
                guard let s = ss.first, s <= st.step else { return [] }
                return t.kv(step: s).first { $0.layer == l && $0.kvHead == g }?.evicted ?? []
            }
            if st.heatmap.mode == .keyByStep {
                // Rows are captured every `rowInterval` steps: a step without one shows the latest
                // captured row before it (held for at most rowInterval − 1 steps). A cell covering
                // several steps × keys shows their maximum (BinnedRows), so a one-token sink stays.
                let hold = max(0, t.header.rowInterval - 1)
                return HeatSource(cols: keys, rows: steps, row: { ss in
                    guard let first = ss.first, first <= st.step else { return nil }
                    guard let row = t.maxRow(layer: l, head: h, steps: first..<(min(ss.last!, st.step) + 1), hold: hold) else { return nil }
                    return { ks in maxValue(row, ks) }
                }, rowLabel: { "s\($0)" }, evicted: evictedIn, cursorRow: st.step)
            }
            if t.selection(step: 0, layer: l, head: h) == nil && t.selection(step: st.step, layer: l, head: h) == nil { return nil }
            return HeatSource(cols: keys, rows: steps, row: { ss in
                guard let s = ss.first, s <= st.step, let sel = t.selection(step: s, layer: l, head: h),
                      let info = t.stepInfo(s) else { return nil }
                let end = info.position + info.queryCount   // keys that exist at this step
                return { ks in
                    var selected = 0, existing = 0
                    for k in ks where k < end {
                        existing += 1
                        if sel.ranges.contains(where: { $0.contains(k) }) { selected += 1 }
                    }
                    if existing == 0 { return nil }
                    if selected == 0 { return evicts ? nil : 0.0001 }   // evicted = hole; kept but unselected = dim
                    return Double(selected) / Double(existing)
                }
            }, rowLabel: { "s\($0)" }, evicted: evictedIn, cursorRow: st.step)
        }
    }

    // MARK: - Drawing

    /// Draws `src` into `area` with axis labels; returns the largest |value| drawn and the smallest
    /// positive one (for the legend).
    @discardableResult
    static func draw(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect, _ src: HeatSource, signed: Bool) -> (maxValue: Double, minPositive: Double) {
        let st = ctx.state
        let gutter = 7
        let plot = Rect(x: area.x + gutter, y: area.y + 1, width: area.width - gutter, height: area.height - 1)
        guard plot.width > 0, plot.height > 0 else { return (0, 1) }
        let perCellRows = ctx.mono || ctx.ascii ? 1 : 2   // half blocks need Unicode
        let cells = (cols: plot.width, rows: plot.height * perCellRows)
        ctx.feedback.heatmapCells = cells
        ctx.feedback.heatmapData = (src.cols, src.rows)
        let mode = st.heatmap.mode
        let xa = st.heatmap.x[mode] ?? AxisView()
        var ya = st.heatmap.y[mode] ?? AxisView()
        // key × step views: unless fitted, the window ends at the current step
        if mode != .prefill, !ya.fitted, let cur = src.cursorRow {
            let p = ya.perCell
            ya.origin = max(0, Double(cur + 1) - Double(cells.rows) * p)
        }
        let rowSpans = (0..<cells.rows).map { ya.span(cell: $0, length: src.rows, cells: cells.rows) }
        let colSpans = (0..<cells.cols).map { xa.span(cell: $0, length: src.cols, cells: cells.cols) }

        // sample every visible data cell once
        var values = [Double?](repeating: nil, count: cells.cols * cells.rows)
        var evicted = [Bool](repeating: false, count: cells.cols * cells.rows)
        var maxV = 0.0, minPos = Double.infinity
        for r in 0..<cells.rows {
            guard let rs = rowSpans[r] else { continue }
            let f = src.row(rs)
            let gone = mode == .prefill ? [] : src.evicted(rs)
            guard f != nil || !gone.isEmpty else { continue }
            for c in 0..<cells.cols {
                guard let cs = colSpans[c] else { continue }
                if !gone.isEmpty, gone.contains(where: { cs.contains($0) }) { evicted[r * cells.cols + c] = true }
                guard let v = f?(cs) else { continue }
                values[r * cells.cols + c] = v
                maxV = max(maxV, abs(v))
                if abs(v) > 0 { minPos = min(minPos, abs(v)) }
            }
        }
        let minPositive = minPos.isFinite ? minPos : 1
        let scale = signed ? ValueScale(lo: 0, hi: maxV > 0 ? maxV : 1, log: false)
            : (mode == .mask ? ValueScale(lo: 0, hi: 1, log: false) : ValueScale.forMax(maxV, minPositive: minPositive, log: st.heatmap.scale == .log))
        func color(_ i: Int) -> Color? {
            if evicted[i] { return ViewContext.evicted }
            guard let v = values[i] else { return nil }
            if signed { return Palette.diverging.signedColor(maxV > 0 ? v / maxV : 0) }
            if mode == .mask, v < 0.001 { return Color(hex: 0x3A3A3A) }
            return ctx.palette.color(scale.t(v))
        }
        for y in 0..<plot.height {
            for c in 0..<cells.cols {
                let x = plot.x + c
                if ctx.mono {
                    let i = y * cells.cols + c
                    let g: Unicode.Scalar = evicted[i] ? "x" : (values[i].map { GlyphRamp.glyph(signed ? abs($0) / max(maxV, 1e-12) : scale.t($0)) } ?? " ")
                    grid.set(x, plot.y + y, g)
                    continue
                }
                if ctx.ascii {
                    let i = y * cells.cols + c
                    grid.set(x, plot.y + y, " ", color(i).map { Style(bg: $0) } ?? .plain)
                    continue
                }
                let top = color((2 * y) * cells.cols + c), bottom = color((2 * y + 1) * cells.cols + c)
                switch (top, bottom) {
                case (nil, nil): grid.set(x, plot.y + y, " ")
                case (let t?, nil): grid.set(x, plot.y + y, "▀", Style(fg: t))
                case (nil, let b?): grid.set(x, plot.y + y, "▄", Style(fg: b))
                case (let t?, let b?): grid.set(x, plot.y + y, "▀", Style(fg: t, bg: b))
                }
            }
        }
        // axes: key positions on top, row labels on the left, the current step marked
        var lastEnd = plot.x - 1
        for c in stride(from: 0, to: cells.cols, by: 1) {
            guard let cs = colSpans[c] else { break }
            let label = "\(cs.lowerBound * src.colUnit)"
            if c == 0 || (plot.x + c > lastEnd + 2 && c % 10 == 0) {
                grid.set(plot.x + c, area.y, "▏", ctx.label)
                lastEnd = grid.put(plot.x + c + 1, area.y, label, ctx.label, maxWidth: plot.maxX - plot.x - c - 1)
            }
        }
        grid.put(area.x, area.y, mode == .prefill ? "key→" : "pos→", ctx.label, maxWidth: gutter - 1)
        for y in 0..<plot.height {
            let r = y * perCellRows
            guard let rs = rowSpans[r] else { continue }
            let isCursor = src.cursorRow.map { cur in (r..<(r + perCellRows)).contains { rowSpans[$0]?.contains(cur) ?? false } } ?? false
            if isCursor {
                grid.put(area.x, plot.y + y, String(src.rowLabel(min(src.cursorRow!, src.rows - 1)).prefix(gutter - 2)), ctx.cursorStyle, maxWidth: gutter - 2)
                grid.set(plot.x - 1, plot.y + y, "▶", ctx.accent)
            } else if y % 4 == 0 {
                grid.put(area.x, plot.y + y, src.rowLabel(rs.lowerBound), ctx.label, maxWidth: gutter - 1)
            }
        }
        return (maxV, minPositive)
    }
}
