// Compare mode's diff list: the heads that differ most between trace A and trace B at the current
// step, largest difference first.

import AttnTrace

/// The difference of one head between two traces at one step (B − A).
public struct DiffRow: Equatable, Sendable {
    public var layer: Int, head: Int
    public var sink4: Double, entropy: Double, recall: Double, sparsity: Double, outputError: Double
    /// Sum of absolute differences of the fraction metrics (NaN-free): the sort key.
    public var score: Double

    /// Rows for every head present in both traces, largest score first (ties by layer, head).
    public static func rows(a: TraceModel, b: TraceModel, step: Int) -> [DiffRow] {
        var other: [Int: HeadMetrics] = [:]
        for m in b.metrics(step: step) { other[m.layer * 4096 + m.head] = m }
        var out: [DiffRow] = []
        for x in a.metrics(step: step) {
            guard let y = other[x.layer * 4096 + x.head] else { continue }
            func d(_ p: Float, _ q: Float) -> Double { p.isNaN || q.isNaN ? .nan : Double(q - p) }
            let r = DiffRow(layer: x.layer, head: x.head, sink4: d(x.sinkMass4, y.sinkMass4), entropy: d(x.entropy, y.entropy),
                            recall: d(x.recall, y.recall), sparsity: d(x.sparsity, y.sparsity),
                            outputError: d(x.outputError, y.outputError), score: 0)
            var row = r
            row.score = [r.sink4, r.entropy, r.recall, r.sparsity, r.outputError].filter { !$0.isNaN }.map(abs).reduce(0, +)
            out.append(row)
        }
        return out.sorted { $0.score != $1.score ? $0.score > $1.score : ($0.layer, $0.head) < ($1.layer, $1.head) }
    }
}

enum CompareView {
    static func render(_ ctx: ViewContext, into grid: inout CellGrid, area: Rect) {
        if ctx.tooSmall(&grid, area, view: "Diff", minWidth: 50, minHeight: 6) { return }
        guard let o = ctx.other else {
            grid.put(area.x + 1, area.y + 1, "Compare mode needs two traces: attnscope view A.atrace B.atrace", ctx.warn)
            return
        }
        let st = ctx.state
        let rows = DiffRow.rows(a: ctx.trace, b: o, step: st.step)
        let (titleRow, rest) = area.splitTop(1)
        let (headerRow, body) = rest.splitTop(1)
        grid.put(titleRow.x, titleRow.y, " heads that differ most at step \(st.step) (B − A) · \(rows.count) heads in both   (j/k select, Enter heatmap, d diff view)",
                 ctx.accent, maxWidth: titleRow.width)
        let titles = ["L", "H", "score", "Δsink4", "Δentropy", "Δrecall", "Δsparse", "ΔoutErr"]
        let widths = [3, 3, 7, 8, 9, 8, 8, 8]
        var x = area.x + 1
        for (t, w) in zip(titles, widths) { grid.put(x, headerRow.y, HeadTableView.pad(t, w, right: true), Style(attrs: [.bold, .underline])); x += w + 1 }
        ctx.feedback.tableRows = body.height
        if rows.isEmpty { grid.put(body.x + 1, body.y, "no heads in common at this step", ctx.warn); return }
        let selected = rows.firstIndex { $0.layer == st.layer && $0.head == st.head } ?? 0
        let first = HeadTableView.scrollOffset(selected: selected, count: rows.count, visible: body.height)
        let maxScore = rows.first?.score ?? 0
        for i in 0..<min(body.height, rows.count - first) {
            let r = rows[first + i]
            let y = body.y + i
            let isSel = first + i == selected
            if isSel { grid.fill(Rect(x: body.x, y: y, width: body.width, height: 1), Cell(" ", ctx.selectedRow)) }
            let values = [r.sink4, r.entropy, r.recall, r.sparsity, r.outputError]
            let cells = ["\(r.layer)", "\(r.head)", formatFixed(r.score, 3)] + values.map(OverviewView.formatSigned)
            var cx = body.x + 1
            for (j, (text, w)) in zip(cells, widths).enumerated() {
                var style = isSel ? ctx.selectedRow : Style.plain
                if j >= 3, !isSel, !ctx.mono, !values[j - 3].isNaN, maxScore > 0 {
                    style.fg = Palette.diverging.signedColor(max(-1, min(1, values[j - 3] / maxScore)))
                }
                grid.put(cx, y, HeadTableView.pad(text, w, right: true), style, maxWidth: w)
                cx += w + 1
            }
            ctx.feedback.hit(Rect(x: body.x, y: y, width: body.width, height: 1), .select(layer: r.layer, head: r.head))
        }
    }
}
