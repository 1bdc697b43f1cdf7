// `'`: the trace's bookmarks (name, place, note) drawn over the current view; j/k select, Enter jumps.

enum BookmarkListOverlay {
    static func render(_ ctx: ViewContext, into grid: inout CellGrid, area: Rect) {
        guard case .bookmarks(let selected) = ctx.state.overlay else { return }
        let marks = ctx.app.bookmarks?.bookmarks ?? []
        let w = min(area.width, 90)
        let h = min(area.height, max(3, marks.count + 2))
        let box = Rect(x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h)
        let bg = ctx.mono ? Style.plain : Style(bg: Color(hex: 0x1C1C1C))
        grid.fill(box, Cell(" ", bg))
        let file = ctx.app.bookmarks.map { " · " + ($0.path.split(separator: "/").last.map(String.init) ?? $0.path) } ?? ""
        grid.box(box, title: "bookmarks\(file) (j/k select, Enter jump, ' or Esc close)",
                 style: ctx.mono ? .plain : Style(fg: Color(hex: 0x5FD7FF), bg: bg.bg),
                 titleStyle: ctx.mono ? .bold : Style(fg: Color(hex: 0x5FD7FF), bg: bg.bg, attrs: .bold))
        if marks.isEmpty {
            grid.put(box.x + 2, box.y + 1, "none yet: m marks the current step, layer and head", bg, maxWidth: box.width - 4)
            return
        }
        let rows = h - 2
        let first = max(0, min(selected - rows + 1, marks.count - rows))
        let nameW = min(16, marks.map(\.name.count).max() ?? 4)
        for (i, b) in marks.enumerated().dropFirst(first).prefix(rows) {
            let y = box.y + 1 + i - first
            let style = i == selected ? ctx.selectedRow : bg
            grid.fill(Rect(x: box.x + 1, y: y, width: box.width - 2, height: 1), Cell(" ", style))
            var bold = style; bold.attrs.insert(.bold)
            var x = grid.put(box.x + 2, y, b.name, bold, maxWidth: nameW)
            x = grid.put(max(x, box.x + 3 + nameW), y, b.place, style, maxWidth: box.maxX - x - 1)
            grid.put(x + 2, y, b.note, style, maxWidth: max(0, box.maxX - x - 4))
        }
    }
}
