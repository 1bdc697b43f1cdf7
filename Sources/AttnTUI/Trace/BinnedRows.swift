// Attention rows over many steps, reduced by maximum so that long runs stay drawable: a heatmap row
// that covers a bin of steps shows the element-wise max of the rows in the bin (binning, not
// sampling: a one-token sink in one step never disappears), and the α_k curve of a key position
// (the attention it receives from each step's query) is read once per step and kept.

import AttnTrace

final class BinnedRows {
    struct SpanKey: Hashable { var layer: Int, head: Int, steps: Range<Int> }
    struct CurveKey: Hashable { var layer: Int, head: Int, key: Int }
    /// Merged rows of the spans on screen (one per heatmap half-row, and a screen's worth more).
    var merged = SmallCache<SpanKey, [Float]>(capacity: 256)
    /// α_k by step: NaN = not read yet, −1 = no row at that step (or the key is not in it).
    var curves = SmallCache<CurveKey, [Float]>(capacity: 16)
    /// Spans whose merge the frame budget interrupted: what is merged so far and the next step to read.
    struct Partial {
        var row: [Float]?
        var next: Int
        var rowAtFirst: Bool
    }
    var partial = SmallCache<SpanKey, Partial>(capacity: 256)
    /// The Timeline's reduced columns (TimelineBins), for the columns and step count they were made for.
    var timeline: (cols: TimelineColumns, steps: Int, bins: TimelineBins)?
    /// The run's text for the Tokens search (TokenText), for the step count it was built at.
    var text: TokenText?
}

extension TraceModel {
    /// The element-wise maximum of the rows shown at `steps` (a step without a row shows the latest
    /// row captured at most `hold` steps before it); nil when no step of the span has one. A span cut
    /// short by the frame budget is returned as far as it was read but not kept.
    func maxRow(layer l: Int, head h: Int, steps: Range<Int>, hold: Int) -> [Float]? {
        guard !steps.isEmpty else { return nil }
        let key = BinnedRows.SpanKey(layer: l, head: h, steps: steps)
        if let m = binned.merged[key] { return m.isEmpty ? nil : m }
        let wasIncomplete = incomplete
        incomplete = false
        defer { incomplete = incomplete || wasIncomplete }
        // a span too long for one frame goes on where the last frame stopped
        var part = binned.partial[key] ?? BinnedRows.Partial(row: nil, next: steps.upperBound - 1, rowAtFirst: false)
        func merge(_ r: [Float]) {
            guard var o = part.row else { part.row = r; return }
            part.row = nil   // o is the only reference: merged in place
            if o.count < r.count { o += Array(repeating: 0, count: r.count - o.count) }
            for i in r.indices where r[i] > o[i] { o[i] = r[i] }
            part.row = o
        }
        while part.next >= steps.lowerBound {
            // merging costs as much as reading when the rows are cached: it counts against the budget
            if steps.count > 1, budgetSpent() { binned.partial[key] = part; return part.row }
            let s = part.next
            if let r = queryRow(step: s, layer: l, head: h) { merge(r); noteWork(); part.rowAtFirst = s == steps.lowerBound }
            if incomplete { binned.partial[key] = part; return part.row }   // that read was skipped
            part.next -= 1
        }
        if !part.rowAtFirst {   // the row held into the span's first step
            for s in stride(from: steps.lowerBound - 1, through: max(0, steps.lowerBound - hold), by: -1) {
                if let r = queryRow(step: s, layer: l, head: h) { merge(r); break }
            }
        }
        binned.partial[key] = nil
        if !incomplete { binned.merged[key] = part.row ?? [] }
        return part.row
    }

    /// The attention key position `k` receives from the query of each step (nil: no row at that
    /// step, or not read yet within the frame budget). Steps already read are kept.
    func alphaCurve(key k: Int, layer l: Int, head h: Int) -> [Float?] {
        let key = BinnedRows.CurveKey(layer: l, head: h, key: k)
        var c = binned.curves[key] ?? []
        if c.count < stepCount { c += Array(repeating: .nan, count: stepCount - c.count) }
        let wasIncomplete = incomplete
        incomplete = false
        defer { incomplete = incomplete || wasIncomplete }
        for s in c.indices where c[s].isNaN {
            let r = queryRow(step: s, layer: l, head: h)
            if incomplete { break }   // skipped for the frame budget: the rest on the next frame
            c[s] = r.flatMap { k < $0.count ? $0[k] : nil } ?? -1
        }
        binned.curves[key] = c
        return c.map { $0.isNaN || $0 < 0 ? nil : $0 }
    }
}

/// The largest value of `row` over `keys` (nil when the range is outside the row).
func maxValue(_ row: [Float], _ keys: Range<Int>) -> Double? {
    let hi = min(keys.upperBound, row.count)
    guard keys.lowerBound < hi else { return nil }
    // a plain loop over the buffer (no bounds checks): a 32K-key heatmap scans every key each frame
    return row.withUnsafeBufferPointer { p in
        var m = p[keys.lowerBound]
        for k in (keys.lowerBound + 1)..<hi { m = max(m, p[k]) }
        return Double(m)
    }
}
