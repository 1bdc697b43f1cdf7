import AttnTrace

// MARK: - Head classes

/// What kind of attention a query head does over a run, derived from its metrics alone, so that
/// it can be computed at every capture level (no attention rows needed). The rule is documented in
/// docs/headless.md ("Head classes") and is the one the viewer, `attnscope stats` and the tests use.
public enum HeadClass: String, CaseIterable, Sendable, Codable {
    /// Most of the attention goes to the first tokens (attention sink, StreamingLLM's 4 sinks).
    case sink
    /// Concentrated, but no key keeps the attention over time: the focus moves with the query,
    /// as a recent window does.
    case local
    /// Concentrated, and some non-initial position keeps drawing attention step after step
    /// (a hidden sink or a retrieved span).
    case retrieval
    /// Attention spread over many keys (high normalised entropy).
    case diffuse
}

/// The per-head summary the classifier reads: means over the steps of a run.
public struct HeadProfile: Equatable, Sendable {
    /// Mean of `HeadMetrics.sinkMass4` over the steps where it is finite.
    public var meanSinkMass4: Float
    /// Mean of `HeadMetrics.entropy` (H / ln|V|, in [0, 1]) over the steps where it is finite.
    public var meanEntropy: Float
    /// The highest running-mean received attention α_k (METHODS.md §16.3) of a position k ≥ 4,
    /// from the head's `topSinks` at the last step; 0 when there is none.
    public var topNonInitialSink: Float

    public init(meanSinkMass4: Float, meanEntropy: Float, topNonInitialSink: Float) {
        self.meanSinkMass4 = meanSinkMass4; self.meanEntropy = meanEntropy
        self.topNonInitialSink = topNonInitialSink
    }
}

// MARK: - Classifier

/// Classifies a head from its `HeadProfile`, first matching rule wins:
///   1. sink       if meanSinkMass4 ≥ sinkMass         (default 0.5)
///   2. diffuse    if meanEntropy ≥ diffuseEntropy     (default 0.6)
///   3. retrieval  if topNonInitialSink ≥ hiddenSink   (default 0.1, ACT's hidden-sink threshold)
///   4. local      otherwise
/// NaN means (a head with no finite value) never satisfy a "≥" test, so a head with unknown
/// entropy and no sink mass ends up `local`; `classify` is total.
public struct HeadClassifier: Equatable, Sendable {
    public var sinkMass: Float
    public var diffuseEntropy: Float
    public var hiddenSink: Float

    /// Positions below this index count as "initial" (the first 4 tokens, as sinkMass4).
    public static let initialPositions = 4

    public init(sinkMass: Float = 0.5, diffuseEntropy: Float = 0.6, hiddenSink: Float = 0.1) {
        self.sinkMass = sinkMass; self.diffuseEntropy = diffuseEntropy; self.hiddenSink = hiddenSink
    }

    public func classify(_ p: HeadProfile) -> HeadClass {
        if p.meanSinkMass4 >= sinkMass { return .sink }
        if p.meanEntropy >= diffuseEntropy { return .diffuse }
        if p.topNonInitialSink >= hiddenSink { return .retrieval }
        return .local
    }

    /// Classes of every query head of a run, [L × H] layer-major, from its frames in step order.
    public func classify<S: Sequence>(frames: S, layers: Int, heads: Int) -> [HeadClass]
    where S.Element == StepFrame {
        var acc = HeadProfileAccumulator(layers: layers, heads: heads)
        for frame in frames { acc.add(frame.metrics) }
        return acc.profiles().map(classify)
    }
}

// MARK: - Building profiles step by step

/// Accumulates `HeadProfile`s for all heads of a run, one step at a time (streaming, O(L × H)).
public struct HeadProfileAccumulator: Sendable {
    public let layers: Int
    public let heads: Int
    private var sink4: [MeanAccumulator]      // [L × H]
    private var entropy: [MeanAccumulator]    // [L × H]
    private var lastTopSink: [Float]          // [L × H], from the latest step seen

    public init(layers: Int, heads: Int) {
        self.layers = max(0, layers); self.heads = max(0, heads)
        let n = self.layers * self.heads
        sink4 = Array(repeating: MeanAccumulator(), count: n)
        entropy = sink4
        lastTopSink = Array(repeating: 0, count: n)
    }

    /// Adds one step's head metrics; entries with a layer or head outside the grid are ignored.
    public mutating func add(_ metrics: [HeadMetrics]) {
        for m in metrics { add(m) }
    }

    public mutating func add(_ m: HeadMetrics) {
        guard m.layer >= 0, m.layer < layers, m.head >= 0, m.head < heads else { return }
        let i = m.layer * heads + m.head
        sink4[i].add(Double(m.sinkMass4))
        entropy[i].add(Double(m.entropy))
        var top: Float = 0
        for s in m.topSinks where s.position >= HeadClassifier.initialPositions && s.score > top {
            top = s.score
        }
        lastTopSink[i] = top
    }

    public func profile(layer: Int, head: Int) -> HeadProfile {
        let i = layer * heads + head
        return HeadProfile(meanSinkMass4: Float(sink4[i].mean), meanEntropy: Float(entropy[i].mean),
                           topNonInitialSink: lastTopSink[i])
    }

    /// [L × H], layer-major.
    public func profiles() -> [HeadProfile] {
        (0..<layers).flatMap { l in (0..<heads).map { h in profile(layer: l, head: h) } }
    }
}

/// Running mean over the finite values added; NaN when none was finite.
public struct MeanAccumulator: Equatable, Sendable {
    public private(set) var count = 0
    public private(set) var sum = 0.0
    public init() {}
    public mutating func add(_ x: Double) {
        guard x.isFinite else { return }
        count += 1; sum += x
    }
    public var mean: Double { count > 0 ? sum / Double(count) : .nan }
}
