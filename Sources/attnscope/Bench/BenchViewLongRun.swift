// `bench view --long`: a synthetic long run for the viewer's long-run case, 24,576 prompt tokens and
// 8,192 decode steps (32,768 key positions by the end), SmolLM2's 30 × 9 heads with metrics and
// selections at every step (AttnTrace.SyntheticTrace), and a decode row at every step for two heads
// (L0 H0 and L2 H2): a sink at position 0, a recent window, a weak retrieval token, and one token
// that gets a large share at one step only — the spike that max binning must keep on screen.

import AttnTrace
import Foundation

struct LongRunSample {
    static let promptTokens = 24_576, decodeSteps = 8_192
    static let spike = (step: 5_000, key: 10_000)
    static let rowHeads = [(0, 0), (2, 2)]

    /// Writes the trace (about 250 MB) to `path`.
    static func write(to path: String) throws {
        var shape = SyntheticTrace.Shape.smolLM
        shape.promptTokens = promptTokens
        shape.decodeSteps = decodeSteps
        shape.capture = .selections   // rows are added below, for two heads only
        shape.window = 512
        shape.evicts = false
        let sample = SyntheticTrace(shape: shape, seed: 5)
        var header = sample.header
        header.capture = .rows
        header.rowInterval = 1
        let w = try TraceWriter(path: path, header: header)
        for s in 0..<sample.stepCount {
            var f = sample.frame(step: s)
            if s > 0 {
                let end = f.step.position + f.step.queryCount
                f.rows = rowHeads.map { l, h in
                    AttentionRows(layer: l, head: h, kind: .decodeRow, rows: 1, cols: end, tile: 1, values: row(step: s, keys: end, head: h))
                }
            }
            try w.append(f)
        }
        try w.finish()
    }

    /// One decode row over `keys` positions, summing to 1.
    static func row(step: Int, keys: Int, head: Int) -> [Float] {
        var r = [Float](repeating: 0, count: keys)
        var x = UInt32(truncatingIfNeeded: step &* 2_654_435_761 &+ head)
        for k in 0..<keys {
            x = x &* 1_664_525 &+ 1_013_904_223
            r[k] = 1e-6 * Float(1 + (x >> 29))
        }
        r[0] += head == 0 ? 0.6 : 0.3
        for k in max(0, keys - 64)..<keys { r[k] += 0.3 / 64 }
        if keys > 7_777 { r[7_777] += 0.02 }
        if step == spike.step, keys > spike.key { r[spike.key] += 0.4 }
        let sum = r.reduce(0, +)
        return r.map { $0 / sum }
    }
}
