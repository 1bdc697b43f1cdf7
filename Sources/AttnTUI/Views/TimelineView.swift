// Timeline: per step latency, tokens/s, KV bytes (total, or stacked per layer), mean sparsity and
// recall across the plot's whole width (TimelineColumns: columns per step, or bins drawn min–max),
// linear or log scale (`s`), the prefill left out or not (`x`), the current step as a cursor.

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

    /// The leading prefill steps (more than one query), which `x` leaves out.
    static func prefillSteps(_ t: TraceModel) -> Int {
        var n = 0
        while n < t.stepCount, let s = t.summary(step: n), s.queryCount > 1 { n += 1 }
        return n
    }

    static func render(_ ctx: ViewContext, into grid: inout CellGrid, area: Rect) {
        if ctx.tooSmall(&grid, area, view: "Timeline", minWidth: 40, minHeight: 12) { return }
        let st = ctx.state
        let traces = [ctx.trace] + (ctx.other.map { [$0] } ?? [])
        let labelW = 22
        let plotW = area.width - labelW - 1
        let total = ctx.trace.stepCount
        let skip = st.timelineExcludePrefill ? min(prefillSteps(ctx.trace), max(0, total - 1)) : 0
        let cols = TimelineColumns(first: skip, count: total - skip, width: plotW)
        let (titleRow, rest) = area.splitTop(1)
        let (body, axisRow) = rest.splitBottom(1)
        let bins = cols.binned ? " in \(plotW) bins (min–max)" : ""
        grid.put(titleRow.x, titleRow.y, " cursor = step \(st.step) · steps \(cols.first)…\(max(cols.first, total - 1)) of \(total)\(bins)"
                 + " · \(st.timelineLog ? "log" : "linear")" + (skip > 0 ? " · prefill excluded" : "")
                 + "   (h/l step, s log, x prefill, b KV stacked, click a column)", ctx.accent, maxWidth: titleRow.width)

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
        let cursor = cols.columns(step: st.step)
        let binned = Dictionary(uniqueKeysWithValues: traces.map { t in (ObjectIdentifier(t), TimelineBins.get(t, cols, series: series)) })
        var y = body.y
        for (s, t, name, weight) in bands {
            let h = unitH * weight
            guard y + h < body.maxY + 1 else { break }
            let cur = t.summary(step: st.step)
            if let s {
                // per column: min and max of the series over the column's steps
                let si = series.firstIndex { $0.name == s.name } ?? 0
                let lows = binned[ObjectIdentifier(t)]!.lows[si], highs = binned[ObjectIdentifier(t)]!.highs[si]
                let color = seriesColors[(series.firstIndex { $0.name == s.name } ?? 0) % seriesColors.count]
                let value = cur.map { s.format(s.value($0)) } ?? "–"
                let (lo, hi) = barRange(lows + highs)
                let range = "\(s.format(lo))–\(s.format(hi))"
                grid.put(area.x + 1, y, name, ctx.mono ? .bold : Style(fg: color, attrs: .bold), maxWidth: labelW - 1)
                if h > 1 { grid.put(area.x + 1, y + 1, value, .bold, maxWidth: labelW - 1) } else {
                    grid.put(area.x + 12, y, value, .bold, maxWidth: labelW - 12)
                }
                if h > 2 { grid.put(area.x + 1, y + 2, range, ctx.label, maxWidth: labelW - 1) }
                let log = st.timelineLog
                sparkline(ctx, &grid, Rect(x: area.x + labelW, y: y, width: plotW, height: h),
                          lows.map { TimelineScale.map($0, log: log) }, highs.map { TimelineScale.map($0, log: log) },
                          cursor: cursor, color: color)
            } else {
                grid.put(area.x + 1, y, name + " by layer", ctx.label, maxWidth: labelW - 1)
                grid.put(area.x + 1, y + 1, cur.map { formatBytes($0.kvBytesTotal) } ?? "–", .bold, maxWidth: labelW - 1)
                let summaries = (0..<cols.used).map { c in cols.steps(column: c).last.flatMap { t.summary(step: $0) } }
                stacked(ctx, &grid, Rect(x: area.x + labelW, y: y, width: plotW, height: h), summaries, cursor: cursor)
            }
            y += h + 1
        }
        // axis: the first step of a column, every 10 columns at least, where it fits
        var lastEnd = area.x + labelW - 1
        var lastLabel = -1
        for c in 0..<cols.used {
            let s = cols.steps(column: c).lowerBound
            guard s != lastLabel, area.x + labelW + c > lastEnd, c % 10 == 0 || (!cols.binned && cols.perStep >= 6) else { continue }
            lastEnd = grid.put(area.x + labelW + c, axisRow.y, "\(s)", ctx.label) + 1
            lastLabel = s
        }
        for c in 0..<cols.used {
            ctx.feedback.hit(Rect(x: area.x + labelW + c, y: body.y, width: 1, height: body.height + 1),
                             .selectStep(cols.steps(column: c).lowerBound))
        }
    }

    /// Okabe–Ito colours (colour-blind safe), one per series.
    static let seriesColors: [Color] = [Color(hex: 0x56B4E9), Color(hex: 0xE69F00), Color(hex: 0x009E73),
                                        Color(hex: 0xCC79A7), Color(hex: 0x0072B2)]

    /// The range bars are drawn over: the visible minimum to maximum, so that small variations show;
    /// a flat series is drawn at half height.
    static func barRange(_ values: [Double]) -> (lo: Double, hi: Double) {
        let finite = values.filter { $0.isFinite }
        guard let lo = finite.min(), let hi = finite.max() else { return (0, 1) }
        return (lo, hi)
    }

    /// Bar height in eighths of a cell for `v` on `levels` levels: the minimum still shows (1/8 of
    /// the band), the maximum fills it.
    static func barLevel(_ v: Double, lo: Double, hi: Double, levels: Int) -> Int {
        guard v.isFinite else { return 0 }
        if hi - lo <= abs(hi) * 1e-9 { return max(1, levels / 2) }
        let t = (v - lo) / (hi - lo)
        return max(1, Int((Double(levels) * (0.125 + 0.875 * t)).rounded()))
    }

    /// Bars from the bottom of `area`, 8 levels per cell row, up to each column's maximum; cells above
    /// its minimum (the spread of a binned column) are dimmed. −∞ (no log) is the lowest bar, NaN is
    /// blank; the cursor columns in the cursor colour.
    static func sparkline(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect, _ lows: [Double], _ highs: [Double],
                          cursor: Range<Int>, color: Color) {
        let (lo, hi) = barRange(lows + highs)
        let levels = area.height * 8
        func level(_ v: Double) -> Int { v == -.infinity ? 1 : barLevel(v, lo: lo, hi: hi, levels: levels) }
        for (c, v) in highs.enumerated() where c < area.width {
            let isCursor = cursor.contains(c)
            let n = level(v), nMin = c < lows.count ? level(lows[c]) : n
            for r in 0..<area.height {
                let y = area.maxY - 1 - r
                let fill = min(8, max(0, n - r * 8))
                if fill == 0 {
                    if isCursor { grid.set(area.x + c, y, "│", ctx.mono ? .bold : Style(fg: Color(hex: 0xFFD75F))) }
                    continue
                }
                let spread = r * 8 + fill > nMin
                var style: Style = ctx.mono ? (isCursor ? .reverse : .plain) : Style(fg: isCursor ? Color(hex: 0xFFD75F) : color)
                if spread && !isCursor { style.attrs.insert(.dim) }
                grid.set(area.x + c, y, GlyphRamp.bars[fill - 1], style)
            }
        }
    }

    /// Stacked per-layer KV bytes: each cell row of a column takes the colour of the layer that
    /// occupies its middle.
    static func stacked(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect, _ sums: [StepSummary?], cursor: Range<Int>) {
        let hi = Double(max(1, sums.compactMap { $0?.kvBytesTotal }.max() ?? 1))
        for (c, s) in sums.enumerated() where c < area.width {
            guard let s else { continue }
            let layers = s.kvBytesPerLayer
            for r in 0..<area.height {
                let mid = (Double(r) + 0.5) / Double(area.height) * hi
                var acc = 0.0, layer: Int? = nil
                for (l, b) in layers.enumerated() { acc += Double(b); if acc >= mid { layer = l; break } }
                let y = area.maxY - 1 - r
                guard let layer else { if cursor.contains(c) { grid.set(area.x + c, y, "│", ctx.cursorStyle) }; continue }
                let color = ctx.palette.color(Double(layer) / Double(max(1, layers.count - 1)))
                if ctx.mono { grid.set(area.x + c, y, layer % 2 == 0 ? "█" : "▓", cursor.contains(c) ? .reverse : .plain) } else {
                    grid.set(area.x + c, y, "█", Style(fg: color, attrs: cursor.contains(c) ? .reverse : []))
                }
            }
        }
    }
}
