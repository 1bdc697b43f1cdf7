#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Realistic, deterministic synthetic traces for the benchmarks of every part that reads traces
/// (viewer, diff, stats, the format itself) and for the tests: a prefill step plus decode steps
/// of a sink + window policy over a model shaped like SmolLM2-135M, with sink-heavy, local, diffuse and retrieval heads, KV residency,
/// selections, attention rows every `rowInterval` steps, and a few annotations.
///
/// The same (shape, seed) always gives the same frames; `frame(step:)` can be called in any order,
/// so arbitrarily long traces stream without holding earlier steps.
public struct SyntheticTrace: Sendable {
    public struct Shape: Sendable {
        public var layers = 30, heads = 9, kvHeads = 3, headDim = 64
        public var promptTokens = 48
        public var decodeSteps = 32
        public var sinkTokens = 4
        public var window = 32                 // recent keys kept by the sink + window policy
        public var evicts = false              // KV entries outside sink + window leave the cache
        public var capture = CaptureLevel.rows
        public var rowInterval = 8             // decode rows every N steps (and the prefill matrix)
        public var rowHeads = 4                // how many heads get rows when rows are captured
        public var maxPrefillSide = 32         // prefill matrices larger than this are pooled
        public var topSinks = 4
        /// Where top sinks after position 0 sit: `.uniform` anywhere in the context (a worst case
        /// for their encoding), or `.measured`: 70 % in the last 64 positions, 20 % in the first
        /// 64, 10 % anywhere, as in a recorded SmolLM2-135M trace (docs/trace-format.md §9).
        public var sinkPlacement = SinkPlacement.uniform
        public enum SinkPlacement: Sendable { case uniform, measured }

        public init() {}
        /// SmolLM2-135M's shape (30 layers × 9 heads × 3 KV heads, head dim 64).
        public static let smolLM = Shape()
    }

    public let shape: Shape
    public let seed: UInt64

    public init(shape: Shape = .smolLM, seed: UInt64 = 1) { self.shape = shape; self.seed = seed }

    public var stepCount: Int { 1 + shape.decodeSteps }

    static let words = ["The", " cat", " sat", " on", " the", " mat", ".", " It", " was", " a", " sunny",
                        " day", ",", " and", " birds", " sang", "\n", " Why", "?", " é", "🙂"]

    // MARK: - Header

    public var header: RunHeader {
        var g = SplitMix64(seed: seed)
        let tokens = (0..<shape.promptTokens).map { i -> TokenInfo in
            let w = Self.words[Int(g.next() % UInt64(Self.words.count))]
            return TokenInfo(id: Int32(i == 0 ? 1 : 100 + Int(g.next() % 49_000)), text: i == 0 ? "<|im_start|>" : w)
        }
        let model = ModelInfo(name: "sample-\(shape.layers)x\(shape.heads)", architecture: "llama",
                              layers: shape.layers, heads: shape.heads, kvHeads: shape.kvHeads,
                              headDim: shape.headDim, contextLength: 8192, vocabSize: 49152)
        let policy = PolicyInfo(name: "sink_window", mode: shape.evicts ? .evicts : .selects,
                                parameters: [KeyValue("sink", String(shape.sinkTokens)),
                                             KeyValue("window", String(shape.window))])
        // (the producer keeps the name the golden traces were written with)
        return RunHeader(producer: "attnscope SampleTraces", createdUnixSeconds: 1_700_000_000 + Int64(seed % 1000),
                         model: model, policy: policy, capture: shape.capture,
                         rowInterval: shape.capture >= .rows ? shape.rowInterval : 0,
                         prompt: tokens.map(\.text).joined(), promptTokens: tokens,
                         extra: [KeyValue("seed", String(seed)), KeyValue("threads", "2")])
    }

    // MARK: - Frames

    /// What kind of attention a head does; fixed per (layer, head) for a seed.
    enum HeadKind: CaseIterable { case sink, local, diffuse, retrieval }

    func kind(layer: Int, head: Int) -> HeadKind {
        var g = SplitMix64(seed: seed &* 31 &+ UInt64(layer * 4096 + head))
        let r = g.next() % 10
        return r < 4 ? .sink : r < 7 ? .local : r < 9 ? .diffuse : .retrieval
    }

    public func frame(step: Int) -> StepFrame {
        precondition(step >= 0 && step < stepCount, "step out of range")
        var g = SplitMix64(seed: seed ^ (UInt64(step) &* 0xA24B_AED4_963E_E407))
        let t = shape.promptTokens
        let prefill = step == 0
        let position = prefill ? 0 : t + step - 1
        let queries = prefill ? t : 1
        let end = position + queries
        let info = StepInfo(index: step, phase: prefill ? .prefill : .decode, position: position, queryCount: queries,
                            emittedToken: TokenInfo(id: Int32(100 + Int(g.next() % 49_000)),
                                                    text: Self.words[Int(g.next() % UInt64(Self.words.count))]),
                            wallNanos: UInt64(prefill ? 40_000_000 : 9_000_000) + g.next() % 1_000_000,
                            layerTimes: (0..<shape.layers).map { _ in
                                LayerTime(attentionNanos: 50_000 + g.next() % 20_000, restNanos: 200_000 + g.next() % 50_000)
                            })
        let keep = shape.sinkTokens + shape.window
        let selected: [Range<Int>] = end <= keep
            ? [0..<end]
            : [0..<shape.sinkTokens, (end - shape.window)..<end]
        let selectedCount = selected.reduce(0) { $0 + $1.count }
        let visible = shape.evicts ? min(end, keep) : end

        var metrics: [HeadMetrics] = []
        metrics.reserveCapacity(shape.layers * shape.heads)
        for l in 0..<shape.layers {
            for h in 0..<shape.heads {
                let k = kind(layer: l, head: h)
                let u = { Float(g.next() % 10_000) / 10_000 }
                let sink1: Float = k == .sink ? 0.55 + 0.4 * u() : 0.02 + 0.1 * u()
                let sink4 = min(1, sink1 + 0.05 * u())
                let entropy: Float = k == .diffuse ? 0.8 + 0.15 * u() : k == .sink ? 0.1 + 0.2 * u() : 0.3 + 0.3 * u()
                let recall: Float = prefill || end <= keep ? 1 : k == .retrieval ? 0.6 + 0.2 * u() : 0.9 + 0.09 * u()
                var sinks = [SinkScore(position: 0, score: sink1)]   // distinct positions, score descending
                // .measured draws from its own generator, so .uniform traces stay as they were.
                var gs = SplitMix64(seed: seed ^ UInt64(step &* 65_537 &+ l &* 97 &+ h) &* 0x2545_F491_4F6C_DD1D)
                while sinks.count < min(shape.topSinks, end) {
                    let p: Int
                    switch shape.sinkPlacement {
                    case .uniform: p = 1 + Int(g.next() % UInt64(end - 1))
                    case .measured:
                        let r = gs.next() % 10
                        let (lo, hi) = r < 7 ? (max(1, end - 64), end) : r < 9 ? (1, min(64, end)) : (1, end)
                        p = lo + Int(gs.next() % UInt64(max(1, hi - lo)))
                    }
                    if !sinks.contains(where: { $0.position == p }) {
                        sinks.append(SinkScore(position: p, score: sink1 * 0.5 / Float(sinks.count + 1)))
                    }
                }
                metrics.append(HeadMetrics(
                    layer: l, head: h, visibleKV: visible, selected: selectedCount,
                    sinkMass1: sink1, sinkMass4: sink4, entropy: entropy, recall: recall,
                    oracleRecall: recall + (1 - recall) / 2,   // the best selection of the same size: above recall
                    outputError: recall == 1 ? 0 : (1 - recall) * 0.5 * u(),
                    overlapKept: prefill ? .nan : Float(selectedCount - (end > keep ? 1 : 0)) / Float(selectedCount),
                    jaccard: prefill ? .nan : Float(selectedCount - 1) / Float(selectedCount + 1),
                    topSinks: sinks))
            }
        }
        let bytesPerEntry = 2 * shape.headDim * 2   // K and V, f16
        let evicted = shape.evicts && !prefill && end > keep ? [end - shape.window - 1] : []
        let prefillEvicted = shape.evicts && prefill && end > keep ? Array(shape.sinkTokens..<(end - shape.window)) : []
        var kv: [KVResidency] = []
        for l in 0..<shape.layers {
            for gq in 0..<shape.kvHeads {
                kv.append(KVResidency(layer: l, kvHead: gq, entries: visible, bytes: visible * bytesPerEntry,
                                      evicted: prefill ? prefillEvicted : evicted))
            }
        }
        var selections: [HeadSelection] = []
        if shape.capture >= .selections {
            for l in 0..<shape.layers {
                for h in 0..<shape.heads { selections.append(HeadSelection(layer: l, head: h, ranges: selected)) }
            }
        }
        var rows: [AttentionRows] = []
        let rowStep = shape.capture >= .full || (shape.capture >= .rows && shape.rowInterval > 0 && step % shape.rowInterval == 0)
        if rowStep {
            for i in 0..<min(shape.rowHeads, shape.layers * shape.heads) {
                let l = (i * 7) % shape.layers, h = (i * 5) % shape.heads
                let k = kind(layer: l, head: h)
                if prefill {
                    var m = [Float](repeating: 0, count: t * t)
                    for q in 0..<t { fillRow(&m, offset: q * t, query: q, kind: k, g: &g) }
                    rows.append(.pooledPrefill(layer: l, head: h, matrix: m, size: t, maxSide: shape.maxPrefillSide))
                } else {
                    var r = [Float](repeating: 0, count: end)
                    fillRow(&r, offset: 0, query: end - 1, kind: k, g: &g)
                    rows.append(AttentionRows(layer: l, head: h, kind: .decodeRow, rows: 1, cols: end, tile: 1, values: r))
                }
            }
        }
        var notes: [String] = []
        if prefill { notes.append("prefill of \(t) tokens") }
        if step > 0 && step % 10 == 0 { notes.append("checkpoint at step \(step)") }
        return StepFrame(step: info, metrics: metrics, kv: kv, selections: selections, rows: rows, annotations: notes)
    }

    /// One causal attention row (keys 0...query) of a head of the given kind; sums to 1.
    func fillRow(_ out: inout [Float], offset: Int, query: Int, kind: HeadKind, g: inout SplitMix64) {
        var sum: Float = 0
        for j in 0...query {
            let d = Float(query - j)
            var w: Float
            switch kind {
            case .sink: w = j == 0 ? 20 : exp(-d / 2)
            case .local: w = (j == 0 ? 2 : 0) + exp(-d / 1.5)
            case .diffuse: w = 1 + Float(g.next() % 100) / 200
            case .retrieval: w = (j == 0 ? 3 : 0) + (j % 7 == 3 ? 4 : 0.05)
            }
            out[offset + j] = w
            sum += w
        }
        for j in 0...query { out[offset + j] /= sum }
    }

    /// Writes the whole sample trace to `path` (finalized).
    public func write(to path: String, options: TraceWriter.Options = .init()) throws {
        let w = try TraceWriter(path: path, header: header, options: options)
        for s in 0..<stepCount { try w.append(frame(step: s)) }
        try w.finish()
    }
}
