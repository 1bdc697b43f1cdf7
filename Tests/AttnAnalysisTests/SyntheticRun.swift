import AttnTrace
@testable import AttnAnalysis
import AttnTraceTestSupport

/// An in-memory run with L = 2 layers, H = 4 heads, G = 2 KV heads, a 6-token prompt, one
/// prefill step and `steps − 1` decode steps, selections and decode rows at every step.
enum SyntheticRun {
    static let layers = 2, heads = 4, kvHeads = 2, promptLength = 6

    static func header(model: String = "synthetic", layers: Int = layers, policy: String = "dense",
                       prompt: [Int32] = Array(100..<106)) -> RunHeader {
        RunHeader(
            producer: "SyntheticRun", createdUnixSeconds: 0,
            model: ModelInfo(name: model, architecture: "llama", layers: layers, heads: heads, kvHeads: kvHeads,
                             headDim: 8, contextLength: 128, vocabSize: 1000),
            policy: PolicyInfo(name: policy, mode: .dense), capture: .rows, rowInterval: 1,
            prompt: "p", promptTokens: prompt.map { TokenInfo(id: $0, text: "t\($0)") })
    }

    static func make(seed: UInt64, steps: Int = 8, header h: RunHeader? = nil) -> InMemoryTrace {
        var rng = SeededGenerator(seed: seed)
        let h = h ?? header()
        let L = h.model.layers
        var frames: [StepFrame] = []
        for s in 0..<steps {
            let visible = promptLength + s
            let info = StepInfo(index: s, phase: s == 0 ? .prefill : .decode, position: s == 0 ? 0 : promptLength + s - 1,
                                queryCount: s == 0 ? promptLength : 1,
                                emittedToken: TokenInfo(id: Int32(200 + s), text: "e\(s)"),
                                wallNanos: UInt64(1_000_000 + s * 1000),
                                layerTimes: (0..<L).map { _ in LayerTime(attentionNanos: 20_000, restNanos: 30_000) })
            var metrics: [HeadMetrics] = [], selections: [HeadSelection] = [], rows: [AttentionRows] = []
            for l in 0..<L {
                for hd in 0..<heads {
                    let sink = Float.random(in: 0...1, using: &rng)
                    let sel = max(1, visible - Int.random(in: 0...2, using: &rng))
                    metrics.append(HeadMetrics(
                        layer: l, head: hd, visibleKV: visible, selected: sel, sinkMass1: sink * 0.8, sinkMass4: sink,
                        entropy: Float.random(in: 0...1, using: &rng), recall: 1, outputError: 0,
                        overlapKept: 1, jaccard: 1, topSinks: [SinkScore(position: 0, score: sink)]))
                    selections.append(HeadSelection(layer: l, head: hd, ranges: [0..<sel]))
                    var row = (0..<visible).map { _ in Float.random(in: 0...1, using: &rng) }
                    let total = row.reduce(0, +)
                    row = row.map { $0 / total }
                    rows.append(AttentionRows(layer: l, head: hd, kind: .decodeRow, rows: 1, cols: visible, tile: 1,
                                              values: row))
                }
            }
            let kv = (0..<L).flatMap { l in (0..<kvHeads).map { g in
                KVResidency(layer: l, kvHead: g, entries: visible, bytes: visible * 2 * 8 * 2, evicted: [])
            } }
            frames.append(StepFrame(step: info, metrics: metrics, kv: kv, selections: selections, rows: rows))
        }
        return InMemoryTrace(header: h, steps: frames)
    }
}
