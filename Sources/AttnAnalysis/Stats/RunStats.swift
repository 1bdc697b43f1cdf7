import AttnTrace

// MARK: - What `attnscope stats` reports

/// Per-run and per-head summaries of one trace. Built by `RunStats.compute`, rendered by
/// `renderText` / `renderJSON` (Stats+Render.swift).
public struct RunStats: Codable, Equatable, Sendable {
    public var run: RunTotals
    public var classCounts: [String: Int]          // HeadClass raw value → heads
    public var heads: [HeadStats]                  // [L × H], layer-major
    public var sinks: SinkReport
    public var sinkMetrics: SinkMetrics
    public var kv: [LayerKV]                       // [L]
}

public struct RunTotals: Codable, Equatable, Sendable {
    public var label: String
    public var model: String
    public var policy: String
    /// A layer map's policy per range ("L0-1 dense"); nil for one policy on every layer.
    public var policyLayers: [String]? = nil
    public var capture: String
    public var truncation: String?
    public var steps: Int
    public var prefillSteps: Int
    public var decodeSteps: Int
    public var promptTokens: Int
    public var emittedTokens: Int
    public var totalWallMs: Double
    public var prefillWallMs: Double
    public var decodeWallMs: Double
    /// Decode steps per second of decode wall time (NaN when not measured).
    public var decodeTokensPerSecond: Double
    /// Mean over every (step, head) of each summarised metric (finite values only).
    public var means: [String: Double]
}

/// Mean and percentiles over the steps of a run, of the finite values only.
public struct Summary: Codable, Equatable, Sendable {
    public var count: Int
    public var mean: Double
    public var min: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double

    /// Percentiles by linear interpolation between closest ranks (numpy's default):
    /// p_q = x[(n−1)·q] interpolated. All fields are NaN when no value is finite.
    public init(_ values: [Float]) {
        let xs = values.filter(\.isFinite).map(Double.init).sorted()
        count = xs.count
        guard !xs.isEmpty else { mean = .nan; min = .nan; p50 = .nan; p90 = .nan; p99 = .nan; max = .nan; return }
        mean = xs.reduce(0, +) / Double(xs.count)
        min = xs[0]; max = xs[xs.count - 1]
        func q(_ p: Double) -> Double {
            let r = Double(xs.count - 1) * p
            let lo = Int(r.rounded(.down)), hi = Swift.min(lo + 1, xs.count - 1)
            return xs[lo] + (xs[hi] - xs[lo]) * (r - Double(lo))
        }
        p50 = q(0.5); p90 = q(0.9); p99 = q(0.99)
    }
}

public struct HeadStats: Codable, Equatable, Sendable {
    public var layer: Int
    public var head: Int
    public var headClass: HeadClass
    /// Metric name → summary over steps (`Metric.summarisedPerHead`).
    public var metrics: [String: Summary]
}

/// Where the sinks are: from each head's running-mean received attention α_k (`topSinks`) at the
/// last step. Initial = positions < 4 with α ≥ 0.3 (Gu et al.'s ε); non-initial = positions ≥ 4
/// with α ≥ 0.1 (ACT's hidden-sink threshold, the classifier's `hiddenSink`).
public struct SinkReport: Codable, Equatable, Sendable {
    public var initialThreshold: Double
    public var nonInitialThreshold: Double
    public var headsWithInitialSink: Int
    public var initial: [SinkPosition]
    public var nonInitial: [SinkPosition]
}

public struct SinkPosition: Codable, Equatable, Sendable {
    public var position: Int
    public var token: String?         // the text at that position, when known
    public var kind: SinkTokenKind?   // what kind of token that text is (BOS, newline, punctuation …)
    public var firstStep: Int?        // non-initial: first step at which some head had α > 0.1 there
    public var heads: [String]        // "L3 H5"
    public var maxScore: Double
}

/// Resident KV bytes of one layer (summed over its KV heads) at every step.
public struct LayerKV: Codable, Equatable, Sendable {
    public var layer: Int
    public var bytes: [Int]           // [steps]
    public var peak: Int
    public var final: Int
}

// MARK: - Computing

extension RunStats {
    /// Reads the source once, in step order. Memory: the per-head metric values (for exact
    /// percentiles) = steps × L × H × 8 floats, plus steps × L KV totals; for SmolLM2-135M
    /// (30 × 9 heads) about 8.6 KB per step.
    public static func compute<S: TraceSource>(_ source: S, label: String,
                                               classifier: HeadClassifier = HeadClassifier()) throws -> RunStats {
        let h = source.header
        let L = max(0, h.model.layers), H = max(0, h.model.heads), G = max(0, h.model.kvHeads)
        let metrics = Metric.summarisedPerHead
        var values = [[Float]](repeating: [], count: L * H * metrics.count)   // [(L × H) × metrics]
        var profiles = HeadProfileAccumulator(layers: L, heads: H, promptTokens: h.promptTokens)
        var sinkAcc = SinkMetricsAccumulator(layers: L, heads: H)
        var lastTopSinks = [[SinkScore]](repeating: [], count: L * H)
        var kv = [[Int]](repeating: [], count: L)
        var tokenAt = [Int: String]()
        for (i, t) in h.promptTokens.enumerated() { tokenAt[i] = t.text }
        var prefill = 0, decode = 0, emitted = 0
        var wall = 0.0, prefillWall = 0.0, decodeWall = 0.0
        var previousEmitted: TokenInfo?
        for s in 0..<source.stepCount {
            let f = try source.frame(s)
            if f.step.phase == .prefill { prefill += 1; prefillWall += Double(f.step.wallNanos) }
            else { decode += 1; decodeWall += Double(f.step.wallNanos) }
            wall += Double(f.step.wallNanos)
            if f.step.phase == .decode, let t = previousEmitted { tokenAt[f.step.position] = t.text }
            previousEmitted = f.step.emittedToken
            if f.step.emittedToken != nil { emitted += 1 }
            profiles.add(frame: f)
            sinkAcc.add(f)
            for m in f.metrics where m.layer >= 0 && m.layer < L && m.head >= 0 && m.head < H {
                let hi = m.layer * H + m.head
                for (k, metric) in metrics.enumerated() { values[hi * metrics.count + k].append(Float(m.value(metric, context: f.step.context))) }
                lastTopSinks[hi] = m.topSinks
            }
            var perLayer = [Int](repeating: 0, count: L)
            for r in f.kv where r.layer >= 0 && r.layer < L && r.kvHead >= 0 && r.kvHead < G {
                perLayer[r.layer] += r.bytes
            }
            for l in 0..<L { kv[l].append(perLayer[l]) }
        }

        var heads: [HeadStats] = []
        var classCounts = Dictionary(uniqueKeysWithValues: HeadClass.allCases.map { ($0.rawValue, 0) })
        var allMeans = [MeanAccumulator](repeating: MeanAccumulator(), count: metrics.count)
        for l in 0..<L {
            for hd in 0..<H {
                let hi = l * H + hd
                let cls = classifier.classify(profiles.profile(layer: l, head: hd))
                classCounts[cls.rawValue, default: 0] += 1
                var summaries: [String: Summary] = [:]
                for (k, metric) in metrics.enumerated() {
                    let v = values[hi * metrics.count + k]
                    summaries[metric.name] = Summary(v)
                    for x in v { allMeans[k].add(Double(x)) }
                }
                heads.append(HeadStats(layer: l, head: hd, headClass: cls, metrics: summaries))
            }
        }
        let summary = RunSummary(label: label, header: h, steps: source.stepCount, truncation: source.truncation)
        var run = RunTotals(
            label: label, model: summary.model, policy: summary.policy, capture: "\(h.capture)",
            truncation: source.truncation, steps: source.stepCount, prefillSteps: prefill, decodeSteps: decode,
            promptTokens: h.promptTokens.count, emittedTokens: emitted,
            totalWallMs: wall / 1e6, prefillWallMs: prefillWall / 1e6, decodeWallMs: decodeWall / 1e6,
            decodeTokensPerSecond: decodeWall > 0 ? Double(decode) / (decodeWall / 1e9) : .nan,
            means: Dictionary(uniqueKeysWithValues: metrics.enumerated().map { ($1.name, allMeans[$0].mean) }))
        if h.policy.name == "layers" { run.policyLayers = h.policy.parameters.map { "\($0.key) \($0.value)" } }
        var sinks = sinkReport(lastTopSinks, heads: H, tokenAt: tokenAt, classifier: classifier)
        for i in sinks.nonInitial.indices { sinks.nonInitial[i].firstStep = sinkAcc.firstStep[sinks.nonInitial[i].position] }
        let layers = (0..<L).map { l in LayerKV(layer: l, bytes: kv[l], peak: kv[l].max() ?? 0, final: kv[l].last ?? 0) }
        return RunStats(run: run, classCounts: classCounts, heads: heads, sinks: sinks,
                        sinkMetrics: sinkAcc.result(), kv: layers)
    }

    static let initialSinkThreshold = 0.3

    static func sinkReport(_ top: [[SinkScore]], heads H: Int, tokenAt: [Int: String],
                           classifier: HeadClassifier) -> SinkReport {
        var initial = [Int: SinkPosition](), nonInitial = [Int: SinkPosition]()
        var withInitial = 0
        for (hi, sinks) in top.enumerated() {
            let name = "L\(hi / H) H\(hi % H)"
            var hasInitial = false
            for s in sinks where s.score.isFinite {
                let isInitial = s.position < HeadClassifier.initialPositions
                let threshold = isInitial ? initialSinkThreshold : Double(classifier.hiddenSink)
                guard Double(s.score) >= threshold else { continue }
                if isInitial { hasInitial = true }
                var p = (isInitial ? initial[s.position] : nonInitial[s.position])
                    ?? SinkPosition(position: s.position, token: tokenAt[s.position],
                                   kind: tokenAt[s.position].map { SinkTokenKind.of(text: $0, position: s.position) },
                                   firstStep: nil, heads: [], maxScore: 0)
                if !p.heads.contains(name) { p.heads.append(name) }
                p.maxScore = max(p.maxScore, Double(s.score))
                if isInitial { initial[s.position] = p } else { nonInitial[s.position] = p }
            }
            if hasInitial { withInitial += 1 }
        }
        func ordered(_ d: [Int: SinkPosition]) -> [SinkPosition] {
            d.values.sorted { ($0.heads.count, -$0.position) > ($1.heads.count, -$1.position) }
        }
        return SinkReport(initialThreshold: initialSinkThreshold, nonInitialThreshold: Double(classifier.hiddenSink),
                          headsWithInitialSink: withInitial, initial: ordered(initial), nonInitial: ordered(nonInitial))
    }
}
