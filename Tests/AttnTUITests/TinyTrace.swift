// A small deterministic trace for the view tests: 4 layers × 4 heads (2 KV heads), a 12-token
// prompt, 24 decode steps, a sink+window policy that evicts, rows every 2 steps. Every number comes
// from a seeded generator, so a failing snapshot replays exactly.

import AttnAnalysis
import AttnTrace
import Foundation
@testable import AttnTUI
import AttnTraceTestSupport

enum TinyTrace {
    static let layers = 4, heads = 4, kvHeads = 2, promptLength = 12, decodeSteps = 24
    static let sinks = 2, window = 8

    static func header(policy: String = "streaming") -> RunHeader {
        let words = ["<s>", "The", " cat", " sat", " on", " the", " mat", ".", " It", " was", " very", " warm"]
        return RunHeader(
            producer: "attnscope tests", createdUnixSeconds: 0,
            model: ModelInfo(name: "tiny", architecture: "llama", layers: layers, heads: heads, kvHeads: kvHeads,
                             headDim: 8, contextLength: 64, vocabSize: 100),
            policy: PolicyInfo(name: policy, mode: .evicts, parameters: [KeyValue("sinks", "\(sinks)"), KeyValue("window", "\(window)")]),
            capture: .rows, rowInterval: 2, prompt: words.joined(),
            promptTokens: words.enumerated().map { TokenInfo(id: Int32($0.offset), text: $0.element) })
    }

    /// Attention of head (l, h) over `keys` keys for a query at position `q`: head 0 is a sink head,
    /// head 1 local (recent window), head 2 attends to a "retrieved" position, head 3 is diffuse.
    static func row(layer l: Int, head h: Int, query q: Int, keys: Int, visible: (Int) -> Bool, rng: inout SeededGenerator) -> [Float] {
        var w = [Float](repeating: 0, count: keys)
        for k in 0..<keys where visible(k) && k <= q {
            var v: Float = 0.02 + 0.02 * rng.unit()
            switch h {
            case 0: v += k == 0 ? 3 : 0
            case 1: v += k >= q - 2 ? 1.5 : 0
            case 2: v += k == 5 + l ? 2 : (k == 0 ? 0.5 : 0)
            default: v += 0.05
            }
            w[k] = v
        }
        let sum = w.reduce(0, +)
        return sum > 0 ? w.map { $0 / sum } : w
    }

    static func frames(seed: UInt64 = 7, jitter: Float = 0) -> [StepFrame] {
        var rng = SeededGenerator(seed: seed)
        var out: [StepFrame] = []
        for s in 0...decodeSteps {
            let prefill = s == 0
            let position = prefill ? 0 : promptLength + s - 1
            let end = prefill ? promptLength : position + 1   // keys that exist
            let q = end - 1
            func visible(_ k: Int) -> Bool { prefill || k < sinks || k >= end - window }
            var metrics: [HeadMetrics] = [], selections: [HeadSelection] = [], rows: [AttentionRows] = []
            for l in 0..<layers {
                for h in 0..<heads {
                    let r = row(layer: l, head: h, query: q, keys: end, visible: visible, rng: &rng)
                    let vis = (0..<end).filter(visible).count
                    let entropy = -r.filter { $0 > 0 }.reduce(Float(0)) { $0 + $1 * logf($1) } / max(logf(Float(vis)), 1e-6)
                    metrics.append(HeadMetrics(
                        layer: l, head: h, visibleKV: vis, selected: vis,
                        sinkMass1: r[0], sinkMass4: r.prefix(4).reduce(0, +) + jitter * Float(h),
                        entropy: entropy, recall: prefill ? 1 : 1 - 0.01 * Float(h) * Float(s) / Float(decodeSteps),
                        outputError: prefill ? 0 : 0.002 * Float(h + l) * Float(s) / Float(decodeSteps),
                        overlapKept: prefill ? 1 : 0.9, jaccard: prefill ? 1 : 0.8,
                        topSinks: r.enumerated().sorted { $0.element > $1.element }.prefix(3).map { SinkScore(position: $0.offset, score: $0.element) }))
                    let ranges: [Range<Int>] = prefill ? [0..<end] : [0..<sinks, max(sinks, end - window)..<end]
                    selections.append(HeadSelection(layer: l, head: h, ranges: ranges))
                    if prefill {
                        var m: [Float] = []
                        for qq in 0..<promptLength { m += row(layer: l, head: h, query: qq, keys: promptLength, visible: { _ in true }, rng: &rng) }
                        rows.append(AttentionRows(layer: l, head: h, kind: .prefillMatrix, rows: promptLength, cols: promptLength, tile: 1, values: m))
                    } else if s % 2 == 0 {
                        rows.append(AttentionRows(layer: l, head: h, kind: .decodeRow, rows: 1, cols: end, tile: 1, values: r))
                    }
                }
            }
            let kvEntries = (0..<end).filter(visible).count
            let evicted = (!prefill && end - window - 1 >= sinks) ? [end - window - 1] : []
            let kv = (0..<layers).flatMap { l in (0..<kvHeads).map { g in
                KVResidency(layer: l, kvHead: g, entries: kvEntries, bytes: kvEntries * 2 * 8 * 2, evicted: evicted) } }
            let info = StepInfo(index: s, phase: prefill ? .prefill : .decode, position: position,
                                queryCount: prefill ? promptLength : 1,
                                emittedToken: TokenInfo(id: Int32(20 + s), text: [" and", " then", " slept", "."][s % 4]),
                                wallNanos: UInt64(prefill ? 9_000_000 : 2_000_000 + 50_000 * s), layerTimes: [])
            out.append(StepFrame(step: info, metrics: metrics, kv: kv, selections: selections, rows: rows))
        }
        return out
    }

    static func source(name: String = "tiny.atrace", seed: UInt64 = 7, jitter: Float = 0) -> InMemoryTrace {
        InMemoryTrace(name: name, header: header(), steps: frames(seed: seed, jitter: jitter))
    }
}

