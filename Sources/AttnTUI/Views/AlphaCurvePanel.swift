// The α_k curve: the attention one key position (a token) receives from the current head's query at
// every step, across the whole run (columns per step, or bins drawn up to their max with the part
// above their min dimmed, as the Timeline). Drawn under the Tokens view and the key × step heatmap;
// `,` / `.` choose the key (or a click on a token), the strongest key of the current query otherwise.

import AttnTrace

enum AlphaCurvePanel {
    static let height = 5

    /// The chosen key position, or the strongest key of the current query (nearest captured row).
    static func key(_ ctx: ViewContext, _ t: TraceModel) -> Int? {
        if let k = ctx.state.keyPosition { return k }
        return strongestKey(t, ctx.state)
    }

    static func strongestKey(_ t: TraceModel, _ st: AppState) -> Int? {
        var s = st.step
        while s >= 0, st.step - s < 64 {
            if let row = t.queryRow(step: s, layer: st.layer, head: st.head), let m = row.indices.max(by: { row[$0] < row[$1] }) {
                return m
            }
            s -= 1
        }
        return nil
    }

    static func render(_ ctx: ViewContext, into grid: inout CellGrid, area: Rect, trace t: TraceModel) {
        let st = ctx.state
        let (titleRow, plotArea) = area.splitTop(1)
        guard let k = key(ctx, t) else {
            grid.put(titleRow.x + 1, titleRow.y, "α_k curve: no attention row near this step to pick a key from", ctx.label, maxWidth: titleRow.width - 2)
            return
        }
        let labelW = 14
        let plot = Rect(x: plotArea.x + labelW, y: plotArea.y, width: max(0, plotArea.width - labelW - 1), height: plotArea.height)
        let cols = TimelineColumns(first: 0, count: t.stepCount, width: plot.width)
        let curve = t.alphaCurve(key: k, layer: st.layer, head: st.head)
        var lows: [Double] = [], highs: [Double] = []
        for c in 0..<cols.used {
            var lo = Double.infinity, hi = -Double.infinity
            for s in cols.steps(column: c) where s < curve.count {
                guard let v = curve[s] else { continue }
                lo = min(lo, Double(v)); hi = max(hi, Double(v))
            }
            lows.append(lo <= hi ? lo : .nan); highs.append(lo <= hi ? hi : .nan)
        }
        let (bottom, top) = TimelineView.barRange(lows + highs)
        let chosen = st.keyPosition == nil ? "strongest key" : "key"
        let bins = cols.binned ? ", max per bin of \(max(1, t.stepCount / max(1, plot.width))) steps" : ""
        grid.put(titleRow.x + 1, titleRow.y,
                 "α_k: attention \(chosen) \(k) \(TokensView.quoted(TokensView.tokenText(t, position: k))) receives from L\(st.layer) H\(st.head), steps 0…\(max(0, t.stepCount - 1))\(bins)   (, . key)",
                 ctx.accent, maxWidth: titleRow.width - 2)
        let now = st.step < curve.count ? curve[st.step] : nil
        grid.put(plotArea.x + 1, plotArea.y, "now " + (now.map { formatFixed(Double($0), 3) } ?? "–"), .bold, maxWidth: labelW - 1)
        if plotArea.height > 1 { grid.put(plotArea.x + 1, plotArea.y + 1, "max " + formatFixed(top, 3), ctx.label, maxWidth: labelW - 1) }
        if plotArea.height > 2 { grid.put(plotArea.x + 1, plotArea.maxY - 1, "min " + formatFixed(bottom, 3), ctx.label, maxWidth: labelW - 1) }
        TimelineView.sparkline(ctx, &grid, plot, lows, highs, cursor: cols.columns(step: st.step), color: Color(hex: 0xE69F00))
    }
}
