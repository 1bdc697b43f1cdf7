// Head table: one row per (layer, head) with every metric as a column; sortable (s / S / r),
// filterable (/). The current head is the highlighted row.

import AttnTrace

enum HeadTableView {
    static func render(_ ctx: ViewContext, into grid: inout CellGrid, area: Rect) {
        if ctx.tooSmall(&grid, area, view: "Head table", minWidth: 40, minHeight: 6) { return }
        let st = ctx.state
        let rows = ctx.app.tableRows()
        let total = ctx.trace.metrics(step: st.step).count
        let (titleRow, rest) = area.splitTop(1)
        let (headerRow, body) = rest.splitTop(1)
        let order = st.table.descending ? "▼" : "▲"
        var title = " heads at step \(st.step) · sorted by \(st.table.sortColumn.title) \(order) · \(rows.count) of \(total)"
        if !st.table.filter.isEmpty { title += " · filter: \(st.table.filter)" }
        title += "   (s/S sort, r reverse, / filter, Enter heatmap)"
        grid.put(titleRow.x, titleRow.y, title, ctx.accent, maxWidth: titleRow.width)
        ctx.feedback.tableRows = body.height
        let tableArea = Rect(x: area.x, y: headerRow.y, width: area.width, height: area.maxY - headerRow.y)
        guard let o = ctx.other else {
            table(ctx, &grid, tableArea, rows, total: total)
            return
        }
        // compare mode: A's rows (sorted and filtered) on the left, B's values for the same heads
        // in the same order on the right, so that rows line up
        var byHead: [Int: HeadMetrics] = [:]
        for m in o.metrics(step: st.step) { byHead[m.layer * 4096 + m.head] = m }
        let bRows = rows.map { r -> HeadRow in
            let m = byHead[r.layer * 4096 + r.head] ?? HeadMetrics(layer: r.layer, head: r.head, visibleKV: 0, selected: 0,
                sinkMass1: .nan, sinkMass4: .nan, entropy: .nan, recall: .nan, outputError: .nan, overlapKept: .nan, jaccard: .nan, topSinks: [])
            return HeadRow(metrics: m, kvBytes: o.kvBytes(step: st.step, layer: r.layer, head: r.head), headClass: ctx.app.classify?(m),
                           context: o.context(step: st.step))
        }
        let (l, right) = tableArea.halves()
        let r = Rect(x: right.x, y: right.y, width: l.width, height: right.height)   // same columns on both sides
        table(ctx, &grid, l, rows, total: total, tag: "A")
        table(ctx, &grid, r, bRows, total: total, tag: "B")
    }

    /// The header row and the rows of one table, the current head highlighted and kept in view.
    static func table(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect, _ rows: [HeadRow], total: Int, tag: String = "") {
        let st = ctx.state
        let order = st.table.descending ? "▼" : "▲"
        let (headerRow, body) = area.splitTop(1)
        let columns = HeadColumn.allCases.filter { $0 != .headClass || ctx.app.classify != nil }
        // keep the columns that fit
        var shown: [HeadColumn] = []
        var used = 1
        for c in columns where used + c.width + 1 <= area.width { shown.append(c); used += c.width + 1 }

        if !tag.isEmpty { grid.put(area.x, headerRow.y, tag, ctx.accent) }
        var x = area.x + 1
        for c in shown {
            let mark = c == st.table.sortColumn ? order : ""
            let style = c == st.table.sortColumn ? ctx.accent : Style(attrs: [.bold, .underline])
            grid.put(x, headerRow.y, pad(c.title + mark, c.width, right: c.rightAligned), style, maxWidth: c.width)
            x += c.width + 1
        }
        guard !rows.isEmpty else {
            grid.put(body.x + 1, body.y, total == 0 ? "no head metrics at this step" : "no head matches the filter", ctx.warn)
            return
        }
        let selected = rows.firstIndex { $0.layer == st.layer && $0.head == st.head } ?? 0
        let first = scrollOffset(selected: selected, count: rows.count, visible: body.height)
        for i in 0..<min(body.height, rows.count - first) {
            let r = rows[first + i]
            let y = body.y + i
            let isSel = first + i == selected
            if isSel { grid.fill(Rect(x: body.x, y: y, width: body.width, height: 1), Cell(" ", ctx.selectedRow)) }
            var cx = body.x + 1
            for c in shown {
                var style = isSel ? ctx.selectedRow : Style.plain
                if !isSel, !ctx.mono, let t = c.heat(r) { style.fg = ctx.palette.color(0.25 + 0.75 * t) }
                grid.put(cx, y, pad(c.text(r), c.width, right: c.rightAligned), style, maxWidth: c.width)
                cx += c.width + 1
            }
            ctx.feedback.hit(Rect(x: body.x, y: y, width: body.width, height: 1), .select(layer: r.layer, head: r.head))
        }
    }

    /// First visible row so that `selected` stays on screen, centred when possible.
    static func scrollOffset(selected: Int, count: Int, visible: Int) -> Int {
        guard count > visible, visible > 0 else { return 0 }
        return max(0, min(count - visible, selected - visible / 2))
    }

    static func pad(_ s: String, _ w: Int, right: Bool) -> String {
        let t = String(s.prefix(w))
        let fill = String(repeating: " ", count: max(0, w - t.count))
        return right ? fill + t : t + fill
    }
}

extension HeadColumn {
    var rightAligned: Bool { self != .headClass && self != .topSink }
    /// A 0…1 value for tinting fraction columns, nil for the rest.
    func heat(_ r: HeadRow) -> Double? {
        guard case .metric(let m) = self, m.info.unit == .fraction else { return nil }
        let v = number(r)
        return v.isNaN ? nil : min(1, max(0, v))
    }
}
