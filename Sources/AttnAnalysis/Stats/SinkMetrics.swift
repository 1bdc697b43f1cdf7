import AttnTrace

// MARK: - Sink metrics from the literature

/// Gu et al.'s sink rate and ACT's non-initial sinks over time, for `attnscope stats`.
/// Definitions and how each is averaged from what the trace holds: docs/analysis.md ("Sink metrics").
public struct SinkMetrics: Codable, Equatable, Sendable {
    /// ε of Sink_1^ε (Gu et al., "When attention sink emerges"): a head has a first-token sink if α_1 > ε.
    public var epsilon: Double
    /// T: α_1 is the mean attention on position 0 over the first T queries when rows give it.
    public var queries: Int
    /// Sink_1^ε of each layer: the share of its heads with α_1 > ε. [L]
    public var sinkRatePerLayer: [Double]
    /// Sink_1^ε of the run: the share of all heads with α_1 > ε.
    public var sinkRate: Double
    /// Heads whose α_1 came from an unpooled prefill matrix (the first min(T, prompt) queries).
    public var headsFromRows: Int
    /// Heads whose α_1 came from `topSinks` at the last step (running mean over every query of the run).
    public var headsFromRunningMean: Int
    /// Heads whose α_1 is unknown (no rows, position 0 not among the head's top sinks): not counted as sinks.
    public var headsUnknown: Int
    /// ACT's threshold: a position k ≥ 4 is a non-initial sink of a head if its α_k > this.
    public var nonInitialThreshold: Double
    /// At every step: how many heads have a non-initial sink, and at how many distinct positions,
    /// from each head's latest `topSinks`. [steps]
    public var nonInitialHeads: [Int]
    public var nonInitialPositions: [Int]
}

/// The kind of token a sink sits on, from its text.
public enum SinkTokenKind: String, Codable, Sendable {
    case bos, special, first, newline, space, punctuation, word

    /// bos: a special token (`<s>`, `<|endoftext|>`, `<|im_start|>` …) at position 0; special: one
    /// elsewhere; first: any other token at position 0; newline: contains "\n"; space: only
    /// whitespace; punctuation: only punctuation and symbols (after trimming whitespace); word: the rest.
    public static func of(text: String, position: Int) -> SinkTokenKind {
        let isSpecial = text.count > 2 && text.hasPrefix("<") && text.hasSuffix(">") && !text.contains(" ")
        if isSpecial { return position == 0 ? .bos : .special }
        if position == 0 { return .first }
        if text.contains("\n") { return .newline }
        let trimmed = text.unicodeScalars.filter { !$0.properties.isWhitespace }
        if trimmed.isEmpty { return .space }
        if trimmed.allSatisfy({ !$0.properties.isAlphabetic && !("0"..."9").contains(Character($0)) }) {
            return .punctuation
        }
        return .word
    }
}

/// Builds `SinkMetrics` one frame at a time, O(L × H) state plus two ints per step.
public struct SinkMetricsAccumulator: Sendable {
    public let layers: Int
    public let heads: Int
    public let epsilon: Double
    public let queries: Int
    public let nonInitialThreshold: Double
    private var fromRows: [Double?]          // [L × H] α_1 over the first T prefill rows
    private var lastTop: [[SinkScore]]       // [L × H] latest topSinks
    private var heads_: [Int] = [], positions_: [Int] = []
    /// First step at which each non-initial position had α > threshold in some head.
    public private(set) var firstStep: [Int: Int] = [:]

    public init(layers: Int, heads: Int, epsilon: Double = 0.3, queries: Int = 64, nonInitialThreshold: Double = 0.1) {
        self.layers = max(0, layers); self.heads = max(0, heads)
        self.epsilon = epsilon; self.queries = queries; self.nonInitialThreshold = nonInitialThreshold
        fromRows = Array(repeating: nil, count: self.layers * self.heads)
        lastTop = Array(repeating: [], count: self.layers * self.heads)
    }

    public mutating func add(_ f: StepFrame) {
        for m in f.metrics where m.layer >= 0 && m.layer < layers && m.head >= 0 && m.head < heads && !m.topSinks.isEmpty {
            lastTop[m.layer * heads + m.head] = m.topSinks
        }
        for r in f.rows where r.kind == .prefillMatrix && r.tile == 1 && r.cols > 0 && r.rows > 0
            && r.layer >= 0 && r.layer < layers && r.head >= 0 && r.head < heads && r.values.count >= r.rows * r.cols {
            let n = min(queries, r.rows)
            var sum = 0.0
            for q in 0..<n { sum += Double(r.values[q * r.cols]) }
            fromRows[r.layer * heads + r.head] = sum / Double(n)
        }
        var withSink = 0
        var positions = Set<Int>()
        for top in lastTop {
            var any = false
            for s in top where s.position >= HeadClassifier.initialPositions && s.score > Float(nonInitialThreshold) {
                any = true; positions.insert(s.position)
                if firstStep[s.position] == nil { firstStep[s.position] = f.step.index }
            }
            if any { withSink += 1 }
        }
        heads_.append(withSink); positions_.append(positions.count)
    }

    /// α_1 of one head and where it came from: rows first, else position 0 in the latest topSinks;
    /// nil when neither holds it.
    public func alpha1(layer: Int, head: Int) -> (value: Double, fromRows: Bool)? {
        let i = layer * heads + head
        if let a = fromRows[i] { return (a, true) }
        if let s = lastTop[i].first(where: { $0.position == 0 }), s.score.isFinite { return (Double(s.score), false) }
        return nil
    }

    public func result() -> SinkMetrics {
        var perLayer: [Double] = [], total = 0, rows = 0, running = 0, unknown = 0
        for l in 0..<layers {
            var sinks = 0
            for h in 0..<heads {
                guard let a = alpha1(layer: l, head: h) else { unknown += 1; continue }
                if a.fromRows { rows += 1 } else { running += 1 }
                if Float(a.value) > Float(epsilon) { sinks += 1 }   // in the trace's single precision
            }
            total += sinks
            perLayer.append(heads > 0 ? Double(sinks) / Double(heads) : .nan)
        }
        let all = layers * heads
        return SinkMetrics(epsilon: epsilon, queries: queries, sinkRatePerLayer: perLayer,
                           sinkRate: all > 0 ? Double(total) / Double(all) : .nan,
                           headsFromRows: rows, headsFromRunningMean: running, headsUnknown: unknown,
                           nonInitialThreshold: nonInitialThreshold, nonInitialHeads: heads_,
                           nonInitialPositions: positions_)
    }
}
