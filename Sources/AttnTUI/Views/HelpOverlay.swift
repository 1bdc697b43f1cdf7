// `?`: every key binding, generated from the key table, drawn over the current view.

enum HelpOverlay {
    static func entries() -> [(String, String)] {
        KeyBindings.table.map { b in
            let keys = b.keys.map(\.label).joined(separator: " ")
            let scope = b.screens.map { " (" + $0.map(\.title).joined(separator: ", ") + ")" } ?? ""
            return (keys, b.help + scope)
        } + [("mouse", "click tabs, cells, rows, timeline columns; wheel steps / scrolls (--no-mouse)")]
    }

    static func render(_ ctx: ViewContext, into grid: inout CellGrid, area: Rect) {
        let all = entries()
        let colW = 58
        let cols = area.width >= 2 * colW + 4 ? 2 : 1
        let fits = (area.height - 2) * cols >= all.count
        // scrolled with j/k when it does not fit; the state's offset is clamped here
        let first = fits ? 0 : min(ctx.state.helpScroll, all.count - (area.height - 2) * cols)
        let items = Array(all[max(0, first)...])
        let perCol = fits ? (items.count + cols - 1) / cols : area.height - 2
        let w = min(area.width, cols * colW + 3)
        let h = min(area.height, perCol + 2)
        let box = Rect(x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h)
        let bg = ctx.mono ? Style.plain : Style(bg: Color(hex: 0x1C1C1C))
        grid.fill(box, Cell(" ", bg))
        grid.box(box, title: fits ? "keys (? or Esc to close)" : "keys \(first + 1)–\(min(all.count, first + perCol * cols)) of \(all.count) (j/k scroll, ? or Esc to close)", style: ctx.mono ? .plain : Style(fg: Color(hex: 0x5FD7FF), bg: bg.bg),
                 titleStyle: ctx.mono ? .bold : Style(fg: Color(hex: 0x5FD7FF), bg: bg.bg, attrs: .bold))
        for (i, (k, d)) in items.enumerated() {
            let c = i / perCol, r = i % perCol
            guard r < h - 2 else { continue }
            let x = box.x + 2 + c * colW, y = box.y + 1 + r
            var ks = bg; ks.attrs = .bold
            if !ctx.mono { ks.fg = Color(hex: 0xFFD75F) }
            grid.put(x, y, k, ks, maxWidth: 14)
            grid.put(x + 15, y, d, bg, maxWidth: min(colW - 16, box.maxX - x - 16))
        }
        if items.count > (h - 2) * cols {
            grid.put(box.x + 2, box.maxY - 1, " more: j / ↓ ", ctx.warn, maxWidth: box.width - 4)
        }
    }
}
