// Tokens: the prompt and the generated text up to the current step, each token coloured by the
// attention it receives from the current query (current head, or the mean over the layer's heads).

import AttnTrace

enum TokensView {
    struct Token { var text: String; var position: Int }

    static func render(_ ctx: ViewContext, into grid: inout CellGrid, area: Rect) {
        if ctx.tooSmall(&grid, area, view: "Tokens", minWidth: 30, minHeight: 6) { return }
        if let o = ctx.other {
            // compare mode: A and B side by side, same query and head
            let (l, r) = area.halves()
            draw(ctx, &grid, l, ctx.trace, tag: "A ")
            draw(ctx, &grid, r, o, tag: "B ")
            for y in area.y..<area.maxY { grid.set(l.maxX, y, "│", ctx.label) }
        } else {
            draw(ctx, &grid, area, ctx.trace, tag: "")
        }
    }

    static func draw(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect, _ t: TraceModel, tag: String) {
        let st = ctx.state
        let (titleRow, rest) = area.splitTop(1)
        var (body, legendRow) = rest.splitBottom(2)
        var curveArea: Rect? = nil   // the α_k curve under the text, where there is room
        if body.height >= AlphaCurvePanel.height + 4 { (body, curveArea) = body.splitBottom(AlphaCurvePanel.height) }
        let who = st.averageHeads ? "mean over L\(st.layer)'s heads" : "L\(st.layer) H\(st.head)"

        // the attention of the current query, or the nearest earlier step that has a row
        var used = st.step
        var weights: [Float]? = nil
        while used >= 0, weights == nil, st.step - used < 64 {
            weights = attention(t, step: used, layer: st.layer, head: st.head, average: st.averageHeads)
            if weights == nil { used -= 1 }
        }
        var title = " \(tag)attention received from the query at step \(st.step) · \(who)"
        if weights != nil, used != st.step { title += " · no row at this step, showing step \(used)" }
        title += "   (a head/mean, h/l step, / search)"
        grid.put(titleRow.x, titleRow.y, title, ctx.accent, maxWidth: titleRow.width)

        let tokens = visibleTokens(t, step: st.step, budget: body.width * body.height)
        let curveKey = curveArea == nil ? nil : AlphaCurvePanel.key(ctx, t)
        let queryPos = tokens.last?.position ?? 0
        let w = weights ?? []
        let maxW = Double(w.max() ?? 0)
        let minPos = Double(w.filter { $0 > 0 }.min() ?? 1)
        let scale = ValueScale.forMax(maxW, minPositive: minPos, log: st.heatmap.scale == .log)

        // lay the tokens out left to right, wrapping; keep the end (the current query) visible
        var lines: [[(Token, Int)]] = [[]]   // (token, x offset)
        var x = 0
        for tok in tokens {
            let text = display(tok.text)
            if x + text.count > body.width, x > 0 { lines.append([]); x = 0 }
            lines[lines.count - 1].append((Token(text: text, position: tok.position), x))
            x += text.count
            if tok.text.contains("\n") { lines.append([]); x = 0 }
        }
        let firstLine = max(0, lines.count - body.height)
        for (i, line) in lines[firstLine...].enumerated() {
            for (tok, ox) in line {
                let a = tok.position < w.count ? Double(w[tok.position]) : .nan
                var style = Style.plain
                if ctx.mono {
                    if a.isFinite, scale.t(a) > 0.5 { style.attrs.insert(.bold) }
                    if a.isFinite, scale.t(a) > 0.8 { style.attrs.insert(.reverse) }
                } else if a.isFinite, a > 0 {
                    let bg = ctx.palette.color(scale.t(a))
                    style = Style(fg: ctx.textOn(bg), bg: bg)
                }
                if tok.position == queryPos { style.attrs.insert(.underline); style.attrs.insert(.bold) }
                if tok.position == curveKey { style.attrs.insert(.underline) }   // the α_k curve's key
                if st.search.hit?.contains(tok.position) ?? false { style.attrs.insert(.reverse) }   // the search match
                let end = grid.put(body.x + ox, body.y + i, tok.text, style, maxWidth: body.maxX - body.x - ox)
                ctx.feedback.hit(Rect(x: body.x + ox, y: body.y + i, width: max(1, end - body.x - ox), height: 1), .chooseKey(tok.position))
            }
        }
        if weights == nil {
            grid.put(legendRow.x + 1, legendRow.y, "no attention row captured near step \(st.step) for this head (rows every \(t.header.rowInterval) steps)", ctx.warn, maxWidth: legendRow.width - 2)
        } else {
            // the strongest keys, by name
            let top = strongest(w, 4)
            let names = top.map { p in "\(p.offset) \(quoted(tokenText(t, position: p.offset))) \(formatFixed(Double(p.element), 3))" }
            grid.put(legendRow.x + 1, legendRow.y, "top: " + names.joined(separator: " · "), .plain, maxWidth: legendRow.width - 2)
            ctx.legend(&grid, x: legendRow.x + 1, y: legendRow.y + 1, width: legendRow.width - 2, title: "\(ctx.palette.name) \(scale.log ? "log" : "linear"):",
                       lo: scale.label(scale.lo), hi: scale.label(scale.hi)) { ctx.palette.color($0) }
        }
        if let curveArea { AlphaCurvePanel.render(ctx, into: &grid, area: curveArea, trace: t) }
    }

    /// The `n` largest weights with their positions, largest first (one pass: rows reach 32K keys).
    static func strongest(_ w: [Float], _ n: Int) -> [(offset: Int, element: Float)] {
        var top: [(offset: Int, element: Float)] = []
        for (i, v) in w.enumerated() where top.count < n || v > top[top.count - 1].element {
            let at = top.firstIndex { v > $0.element } ?? top.count
            top.insert((i, v), at: at)
            if top.count > n { top.removeLast() }
        }
        return top
    }

    /// The query row at `step` for the head, or the mean over the layer's heads that have one.
    static func attention(_ t: TraceModel, step: Int, layer: Int, head: Int, average: Bool) -> [Float]? {
        guard average else { return t.queryRow(step: step, layer: layer, head: head) }
        var sum: [Float] = [], n = 0
        for h in 0..<t.heads {
            guard let r = t.queryRow(step: step, layer: layer, head: h) else { continue }
            if sum.count < r.count { sum += Array(repeating: 0, count: r.count - sum.count) }
            for i in r.indices { sum[i] += r[i] }
            n += 1
        }
        return n == 0 ? nil : sum.map { $0 / Float(n) }
    }

    /// Prompt tokens then generated ones up to the query of `step`, keeping about `budget`
    /// characters from the end (so a long generation decodes only what fits).
    static func visibleTokens(_ t: TraceModel, step: Int, budget: Int) -> [Token] {
        var generated: [Token] = []
        var chars = 0
        var s = step - 1
        while s >= 0, chars < budget {
            if let info = t.stepInfo(s), let e = info.emittedToken {
                generated.append(Token(text: e.text, position: info.position + info.queryCount))
                chars += max(1, e.text.count)
            }
            s -= 1
        }
        var prompt: [Token] = []
        if chars < budget {
            for (i, p) in t.header.promptTokens.enumerated().reversed() {
                prompt.append(Token(text: p.text, position: i))
                chars += max(1, p.text.count)
                if chars >= budget { break }
            }
        }
        return prompt.reversed() + generated.reversed()
    }

    static func tokenText(_ t: TraceModel, position: Int) -> String {
        let prompt = t.header.promptTokens
        if position < prompt.count { return prompt[position].text }
        // generated token at `position` was emitted by the step whose query sits just before it
        let s = position - prompt.count
        return t.stepInfo(s)?.emittedToken?.text ?? "?"
    }

    static func display(_ s: String) -> String {
        // most tokens hold neither: skip Foundation's replacing (a long run lays out thousands per frame)
        guard s.utf8.contains(where: { $0 == 10 || $0 == 9 }) else { return s.isEmpty ? "∅" : s }
        let shown = s.replacingOccurrences(of: "\n", with: "⏎").replacingOccurrences(of: "\t", with: "→")
        return shown.isEmpty ? "∅" : shown
    }
    static func quoted(_ s: String) -> String { "\"" + display(s).prefix(12) + "\"" }
}
