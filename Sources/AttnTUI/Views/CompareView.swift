// Compare mode's diff list: the heads of trace A and trace B that differ beyond tolerance at the
// current step, as `TraceDiff` finds them (the engine and tolerances of `attnscope diff`).

import AttnAnalysis
import AttnTrace

/// One head that differs beyond tolerance between two traces at one step.
public struct DiffRow: Equatable, Sendable {
    public var layer: Int, head: Int
    /// The head's metrics beyond tolerance, and those of its KV group; most beyond first.
    public var differences: [Difference]
    /// How many tolerances beyond its worst difference is (the sort key).
    public var excess: Double { differences.first?.excess ?? 0 }

    /// The heads that differ beyond `tolerances` at `step`, most beyond first (ties by layer,
    /// head), from the step's head metrics and KV residency (`attnscope diff` also compares
    /// selected sets and attention rows). Empty when a step cannot be read or the grids differ.
    public static func rows(a: TraceModel, b: TraceModel, step: Int,
                            tolerances: ToleranceSet = .defaults) -> [DiffRow] {
        guard let report = report(a: a, b: b, step: step, tolerances: tolerances) else { return [] }
        let H = report.heads, G = max(1, report.kvHeads)
        var byHead = [Int: [Difference]]()
        for d in report.differences {
            switch d.subject.kind {
            case .head: byHead[d.subject.layer * H + d.subject.index, default: []].append(d)
            case .kvHead:
                for h in 0..<H where h * G / H == d.subject.index { byHead[d.subject.layer * H + h, default: []].append(d) }
            case .layer, .run: break
            }
        }
        let rows = byHead.map { key, ds in
            DiffRow(layer: key / H, head: key % H, differences: ds.sorted { $0.excess > $1.excess })
        }
        return rows.sorted { $0.excess != $1.excess ? $0.excess > $1.excess : ($0.layer, $0.head) < ($1.layer, $1.head) }
    }

    /// The one-step diff report (nil when a step cannot be read or the runs cannot be compared).
    static func report(a: TraceModel, b: TraceModel, step: Int, tolerances: ToleranceSet) -> TraceDiffReport? {
        guard let sa = a.stepInfo(step), let sb = b.stepInfo(step) else { return nil }
        let fa = StepFrame(step: sa, metrics: a.metrics(step: step), kv: a.kv(step: step))
        let fb = StepFrame(step: sb, metrics: b.metrics(step: step), kv: b.kv(step: step))
        return try? TraceDiff.step(fa, fb, headers: (a.header, b.header),
                                   options: DiffOptions(tolerances: tolerances))
    }

    /// "sink_mass_4 +0.130 · entropy -0.040": each difference's name and B − A.
    public var summary: String {
        differences.map { d in
            let v = d.metric.isDistance ? d.delta : d.newMean - d.baselineMean
            return d.metric.name + " " + (v >= 0 ? "+" : "") + d.metric.info.text(v)
        }.joined(separator: " · ")
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
        grid.put(titleRow.x, titleRow.y, " heads beyond tolerance at step \(st.step) (B − A) · \(rows.count) of \(ctx.trace.layers * ctx.trace.heads)   (j/k select, Enter heatmap, d diff view)",
                 ctx.accent, maxWidth: titleRow.width)
        let titles = ["L", "H", "×tol", "beyond tolerance (B − A)"]
        let widths = [3, 3, 7, max(1, area.width - 17)]
        var x = area.x + 1
        for (j, (t, w)) in zip(titles, widths).enumerated() {
            grid.put(x, headerRow.y, HeadTableView.pad(t, w, right: j < 3), Style(attrs: [.bold, .underline]), maxWidth: w)
            x += w + 1
        }
        ctx.feedback.tableRows = body.height
        if rows.isEmpty { grid.put(body.x + 1, body.y, "no head differs beyond tolerance at this step", ctx.warn); return }
        let selected = rows.firstIndex { $0.layer == st.layer && $0.head == st.head } ?? 0
        let first = HeadTableView.scrollOffset(selected: selected, count: rows.count, visible: body.height)
        for i in 0..<min(body.height, rows.count - first) {
            let r = rows[first + i]
            let y = body.y + i
            let isSel = first + i == selected
            if isSel { grid.fill(Rect(x: body.x, y: y, width: body.width, height: 1), Cell(" ", ctx.selectedRow)) }
            let cells = ["\(r.layer)", "\(r.head)", formatFixed(r.excess, 1), r.summary]
            var cx = body.x + 1
            for (j, (text, w)) in zip(cells, widths).enumerated() {
                var style = isSel ? ctx.selectedRow : Style.plain
                if j == 2, !isSel, !ctx.mono { style.fg = Palette.diverging.signedColor(min(1, r.excess / 10)) }
                grid.put(cx, y, HeadTableView.pad(text, w, right: j < 3), style, maxWidth: w)
                cx += w + 1
            }
            ctx.feedback.hit(Rect(x: body.x, y: y, width: body.width, height: 1), .select(layer: r.layer, head: r.head))
        }
    }
}
