import AttnTrace

// MARK: - Head classes

/// What kind of attention a query head does over a run. The metric-only rules work at every capture
/// level; previous-token, induction and the window test need attention rows (capture ≥ rows). The
/// rules are documented in docs/analysis.md ("Head classes") and are the ones the viewer,
/// `attnscope stats` and the tests use.
public enum HeadClass: String, CaseIterable, Sendable, Codable {
    /// Nearly all attention on the first token, run after run: the head adds (almost) nothing
    /// (a dormant / inactive head). The trace holds no output norm, see docs/analysis.md.
    case dormant
    /// Most of the attention goes to the first tokens (attention sink, StreamingLLM's 4 sinks).
    case sink
    /// Most of the attention on the previous position t − 1.
    case previousToken = "previous_token"
    /// Attention on the token after an earlier occurrence of the current token.
    case induction
    /// Attention spread over many keys (high normalised entropy).
    case diffuse
    /// Much of the attention outside the sink and the recent window (DuoAttention's retrieval head);
    /// without rows: some non-initial position keeps drawing attention step after step.
    case retrieval
    /// Concentrated on the sink and the recent window (DuoAttention's streaming head).
    case local
}

/// The per-head summary the classifier reads: means over the steps (or captured rows) of a run.
/// Row-based scores are NaN when the trace holds no row that can give them.
public struct HeadProfile: Equatable, Sendable {
    /// Mean of `HeadMetrics.sinkMass4` over the steps where it is finite.
    public var meanSinkMass4: Float
    /// Mean of `HeadMetrics.entropy` (H / ln|V|, in [0, 1]) over the steps where it is finite.
    public var meanEntropy: Float
    /// The highest running-mean received attention α_k (METHODS.md §16.3) of a position k ≥ 4,
    /// from the head's `topSinks` at the last step; 0 when there is none.
    public var topNonInitialSink: Float
    /// Mean of `HeadMetrics.sinkMass1` (attention on position 0).
    public var meanSinkMass1: Float
    /// Mean over captured query rows t ≥ 1 of a_{t, t−1}.
    public var previousToken: Float
    /// Mean over captured query rows whose token occurred before of Σ a_{t, j+1} over the earlier
    /// occurrences j (j + 1 < t) of the query's token.
    public var induction: Float
    /// How many rows `induction` is a mean of.
    public var inductionRows: Int
    /// Mean over captured query rows t ≥ sink + window of the mass on positions in [sink, t − window]:
    /// outside the sink and the recent window.
    public var outsideWindow: Float

    public init(meanSinkMass4: Float, meanEntropy: Float, topNonInitialSink: Float,
                meanSinkMass1: Float = .nan, previousToken: Float = .nan, induction: Float = .nan,
                inductionRows: Int = 0, outsideWindow: Float = .nan) {
        self.meanSinkMass4 = meanSinkMass4; self.meanEntropy = meanEntropy
        self.topNonInitialSink = topNonInitialSink; self.meanSinkMass1 = meanSinkMass1
        self.previousToken = previousToken; self.induction = induction; self.inductionRows = inductionRows
        self.outsideWindow = outsideWindow
    }
}

// MARK: - Classifier

/// Classifies a head from its `HeadProfile`, first matching rule wins:
///   1. dormant        if meanSinkMass1 ≥ dormantSink                       (default 0.9)
///   2. sink           if meanSinkMass4 ≥ sinkMass                          (default 0.5)
///   3. previous_token if previousToken ≥ previousTokenMass                 (default 0.5)
///   4. induction      if induction ≥ inductionMass and inductionRows ≥ minInductionRows (0.3, 4)
///   5. diffuse        if meanEntropy ≥ diffuseEntropy                      (default 0.6)
///   6. retrieval      if outsideWindow ≥ outsideMass                       (default 0.2), or, when
///                     outsideWindow is unknown, topNonInitialSink ≥ hiddenSink (default 0.1)
///   7. local          otherwise
/// NaN never satisfies a "≥" test, so a head with no finite value ends up `local`; `classify` is total.
public struct HeadClassifier: Equatable, Sendable {
    public var sinkMass: Float
    public var diffuseEntropy: Float
    public var hiddenSink: Float
    public var dormantSink: Float = 0.9
    public var previousTokenMass: Float = 0.5
    public var inductionMass: Float = 0.3
    public var minInductionRows = 4
    public var outsideMass: Float = 0.2

    /// Positions below this index count as "initial" (the first 4 tokens, as sinkMass4); also the
    /// sink part of the window test.
    public static let initialPositions = 4
    /// The recent window of the window test: the query and the 63 positions before it.
    public static let recentWindow = 64

    public init(sinkMass: Float = 0.5, diffuseEntropy: Float = 0.6, hiddenSink: Float = 0.1) {
        self.sinkMass = sinkMass; self.diffuseEntropy = diffuseEntropy; self.hiddenSink = hiddenSink
    }

    public func classify(_ p: HeadProfile) -> HeadClass {
        if p.meanSinkMass1 >= dormantSink { return .dormant }
        if p.meanSinkMass4 >= sinkMass { return .sink }
        if p.previousToken >= previousTokenMass { return .previousToken }
        if p.induction >= inductionMass && p.inductionRows >= minInductionRows { return .induction }
        if p.meanEntropy >= diffuseEntropy { return .diffuse }
        if p.outsideWindow.isNaN ? p.topNonInitialSink >= hiddenSink : p.outsideWindow >= outsideMass {
            return .retrieval
        }
        return .local
    }

    /// Classes of every query head of a run, [L × H] layer-major, from its frames in step order.
    /// `promptTokens` gives the token ids the induction score needs (empty: no induction score).
    public func classify<S: Sequence>(frames: S, layers: Int, heads: Int,
                                      promptTokens: [TokenInfo] = []) -> [HeadClass]
    where S.Element == StepFrame {
        var acc = HeadProfileAccumulator(layers: layers, heads: heads, promptTokens: promptTokens)
        for frame in frames { acc.add(frame: frame) }
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
    private var sink1: [MeanAccumulator]      // [L × H]
    private var lastTopSink: [Float]          // [L × H], from the latest step seen
    private var patterns: HeadPatternAccumulator

    public init(layers: Int, heads: Int, promptTokens: [TokenInfo] = []) {
        self.layers = max(0, layers); self.heads = max(0, heads)
        let n = self.layers * self.heads
        sink4 = Array(repeating: MeanAccumulator(), count: n)
        entropy = sink4; sink1 = sink4
        lastTopSink = Array(repeating: 0, count: n)
        patterns = HeadPatternAccumulator(layers: layers, heads: heads, promptTokens: promptTokens)
    }

    /// Adds one step: its head metrics and its attention rows (for the row-based scores).
    public mutating func add(frame: StepFrame) {
        add(frame.metrics)
        patterns.add(frame)
    }

    /// Adds one step's head metrics; entries with a layer or head outside the grid are ignored.
    public mutating func add(_ metrics: [HeadMetrics]) {
        for m in metrics { add(m) }
    }

    public mutating func add(_ m: HeadMetrics) {
        guard m.layer >= 0, m.layer < layers, m.head >= 0, m.head < heads else { return }
        let i = m.layer * heads + m.head
        sink4[i].add(Double(m.sinkMass4))
        sink1[i].add(Double(m.sinkMass1))
        entropy[i].add(Double(m.entropy))
        var top: Float = 0
        for s in m.topSinks where s.position >= HeadClassifier.initialPositions && s.score > top {
            top = s.score
        }
        lastTopSink[i] = top
    }

    public func profile(layer: Int, head: Int) -> HeadProfile {
        let i = layer * heads + head
        let p = patterns.scores(layer: layer, head: head)
        return HeadProfile(meanSinkMass4: Float(sink4[i].mean), meanEntropy: Float(entropy[i].mean),
                           topNonInitialSink: lastTopSink[i], meanSinkMass1: Float(sink1[i].mean),
                           previousToken: Float(p.previousToken.mean), induction: Float(p.induction.mean),
                           inductionRows: p.induction.count, outsideWindow: Float(p.outsideWindow.mean))
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
