// The frame around every view: the tab bar on top, the status line at the bottom, overlays on top.

import AttnTrace

enum Chrome {
    static let minWidth = 40, minHeight = 8

    static func render(_ ctx: ViewContext, into grid: inout CellGrid) {
        let area = grid.bounds
        if ctx.tooSmall(&grid, area, view: "attnscope", minWidth: minWidth, minHeight: minHeight) { return }
        let (top, rest) = area.splitTop(1)
        let (body, bottom) = rest.splitBottom(1)
        tabBar(ctx, &grid, top)
        status(ctx, &grid, bottom)
        switch ctx.state.screen {
        case .overview: OverviewView.render(ctx, into: &grid, area: body)
        case .heatmap: HeatmapView.render(ctx, into: &grid, area: body)
        case .heads: HeadTableView.render(ctx, into: &grid, area: body)
        case .timeline: TimelineView.render(ctx, into: &grid, area: body)
        case .tokens: TokensView.render(ctx, into: &grid, area: body)
        case .runInfo: RunInfoView.render(ctx, into: &grid, area: body)
        case .compare: CompareView.render(ctx, into: &grid, area: body)
        }
        if ctx.state.overlay == .help { HelpOverlay.render(ctx, into: &grid, area: body) }
        if case .bookmarks = ctx.state.overlay { BookmarkListOverlay.render(ctx, into: &grid, area: body) }
    }

    static func tabBar(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect) {
        let bar = ctx.mono ? Style.plain : Style(bg: Color(hex: 0x262626))
        grid.fill(area, Cell(" ", bar))
        var x = area.x
        for s in ctx.app.screens {
            let text = " \(s.rawValue) \(s.title) "
            let style: Style = s == ctx.state.screen
                ? (ctx.mono ? .reverse : Style(fg: Color(hex: 0x000000), bg: Color(hex: 0x5FD7FF), attrs: .bold))
                : bar
            let end = grid.put(x, area.y, text, style, maxWidth: area.maxX - x)
            ctx.feedback.hit(Rect(x: x, y: area.y, width: end - x, height: 1), .show(s))
            x = end
            if x >= area.maxX { break }
        }
        let st = ctx.state
        let total = ctx.trace.stepCount
        let phase = ctx.trace.stepInfo(st.step).map { $0.phase == .prefill ? "prefill" : "decode" } ?? "–"
        let play = st.replay.playing ? "▶ \(formatFixed(st.replay.stepsPerSecond, st.replay.stepsPerSecond < 1 ? 1 : 0))/s" : "❚❚"
        let right = " step \(st.step)/\(max(0, total - 1)) \(phase) · L\(st.layer) H\(st.head) · \(play) "
        let rx = area.maxX - right.count
        if rx > x { grid.put(rx, area.y, right, ctx.mono ? .bold : Style(fg: Color(hex: 0xFFD75F), bg: bar.bg, attrs: .bold)) }
    }

    static func statusText(_ t: TraceModel) -> String {
        switch t.source.fileStatus {
        case .finalized: return "finalized"
        case .inMemory: return "in memory"
        case .recovered(let bytes, let reason): return "RECOVERED: ends at byte \(bytes) (\(reason))"
        }
    }

    static func status(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect) {
        let st = ctx.state
        let bar = ctx.mono ? Style.reverse : Style(fg: Color(hex: 0xD0D0D0), bg: Color(hex: 0x303030))
        grid.fill(area, Cell(" ", bar))
        if case .prompt(let kind, let text) = ctx.state.overlay {
            let (p, hint) = kind.label(ctx)
            let end = grid.put(area.x, area.y, p + text + "█", Style(fg: bar.fg, bg: bar.bg, attrs: .bold))
            grid.put(end, area.y, hint, bar, maxWidth: area.maxX - end)
            return
        }
        var left = " " + ctx.trace.source.name
        if let o = ctx.other { left = " A: \(ctx.trace.source.name)  B: \(o.source.name)" }
        left += " · " + (ctx.app.live?.statusText(ctx.trace) ?? statusText(ctx.trace))
        var style = bar
        if let m = ctx.state.message ?? ctx.trace.lastError ?? ctx.other?.lastError {
            left = " " + m
            style = ctx.mono ? .reverse : Style(fg: Color(hex: 0xFFAF00), bg: bar.bg, attrs: .bold)
        } else if let live = ctx.app.live {
            if live.warn { style = ctx.mono ? .reverse : Style(fg: Color(hex: 0xFFAF00), bg: bar.bg, attrs: .bold) }
        } else if case .recovered = ctx.trace.source.fileStatus {
            style = ctx.mono ? .reverse : Style(fg: Color(hex: 0xFFAF00), bg: bar.bg, attrs: .bold)
        }
        let help = st.history.isEmpty && st.overlay == .none ? " ? help  q quit " : " ? help  q back "
        grid.put(area.x, area.y, left, style, maxWidth: area.width - help.count)
        grid.put(area.maxX - help.count, area.y, help, bar)
    }
}
