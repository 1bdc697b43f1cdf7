// Run info: model, policy and parameters, capture level, file status (finalized, or recovered and
// where it ends).

import AttnTrace
import Foundation

enum RunInfoView {
    static func lines(_ t: TraceModel) -> [(String, String)] {
        let h = t.header, m = h.model
        var out: [(String, String)] = [
            ("file", t.source.name),
            ("size", t.source.fileBytes > 0 ? formatBytes(t.source.fileBytes) : "–"),
            ("status", Chrome.statusText(t)),
            ("producer", h.producer),
            ("created", h.createdUnixSeconds > 0 ? ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(h.createdUnixSeconds))) : "–"),
            ("model", "\(m.name) (\(m.architecture))"),
            ("shape", "\(m.layers) layers × \(m.heads) heads, \(m.kvHeads) KV heads, head dim \(m.headDim)"),
            ("context", "\(m.contextLength) tokens, vocabulary \(m.vocabSize)"),
            ("policy", "\(h.policy.name) (\(mode(h.policy.mode)))"),
        ]
        for p in h.policy.parameters { out.append(("  " + p.key, p.value)) }
        out.append(("capture", "\(capture(h.capture))" + (h.capture >= .rows ? ", rows every \(h.rowInterval) steps" : "")))
        out.append(("steps", "\(t.stepCount) (1 prefill of \(h.promptTokens.count) tokens + \(max(0, t.stepCount - 1)) decode)"))
        for e in h.extra { out.append((e.key, e.value)) }
        out.append(("prompt", h.prompt.replacingOccurrences(of: "\n", with: "⏎")))
        return out
    }

    static func mode(_ m: PolicyMode) -> String {
        switch m {
        case .dense: return "dense"
        case .selects: return "selects: full cache kept"
        case .evicts: return "evicts: KV entries leave the cache"
        }
    }
    static func capture(_ c: CaptureLevel) -> String {
        switch c {
        case .metrics: return "metrics"
        case .selections: return "metrics + selected sets"
        case .rows: return "metrics + selections + attention rows"
        case .full: return "full (every row at every step)"
        }
    }

    static func render(_ ctx: ViewContext, into grid: inout CellGrid, area: Rect) {
        if ctx.tooSmall(&grid, area, view: "Run info", minWidth: 40, minHeight: 6) { return }
        if let o = ctx.other {
            let (l, r) = area.halves()
            draw(ctx, &grid, l, ctx.trace, title: "A")
            draw(ctx, &grid, r, o, title: "B")
        } else {
            draw(ctx, &grid, area, ctx.trace, title: "Run")
        }
    }

    static func draw(_ ctx: ViewContext, _ grid: inout CellGrid, _ area: Rect, _ t: TraceModel, title: String) {
        grid.box(area, title: title)
        let inner = area.inset(1)
        var y = inner.y
        for (k, v) in lines(t) {
            guard y < inner.maxY else { break }
            grid.put(inner.x + 1, y, k, ctx.label, maxWidth: 11)
            let style: Style = k == "status" && v.hasPrefix("RECOVERED") ? ctx.warn : .plain
            // wrap long values (the prompt) over the remaining rows
            var rest = Substring(v)
            let w = max(1, inner.width - 14)
            repeat {
                grid.put(inner.x + 13, y, String(rest.prefix(w)), style, maxWidth: w)
                rest = rest.dropFirst(w)
                y += 1
            } while !rest.isEmpty && y < inner.maxY && k == "prompt"
        }
    }
}
