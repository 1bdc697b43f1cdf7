import AttnTrace

// MARK: - Row-based head scores

/// The three row-based scores of one head, each a mean over the captured query rows that can give it.
public struct HeadPatternScores: Equatable, Sendable {
    /// a_{t, t−1}, over rows with t ≥ 1.
    public var previousToken = MeanAccumulator()
    /// Σ_{j < t−1, x_j = x_t} a_{t, j+1}, over rows whose token x_t occurred before t − 1.
    public var induction = MeanAccumulator()
    /// Σ_{sink ≤ k ≤ t − window} a_{t, k}, over rows with t ≥ sink + window.
    public var outsideWindow = MeanAccumulator()
    public init() {}
}

/// Accumulates `HeadPatternScores` for all heads of a run from the attention rows of its frames:
/// decode rows (one query at the step's position; cols = position + 1, indexed by key position)
/// and unpooled prefill matrices (tile 1: row q is the query at position q). Pooled prefill tiles
/// are skipped: a tile mixes positions, so t − 1 and j + 1 are not recoverable from it.
/// The token at each position comes from the prompt, then from each step's emitted token (the
/// query of a decode step is the token the step before emitted).
public struct HeadPatternAccumulator: Sendable {
    public let layers: Int
    public let heads: Int
    public let sink: Int
    public let window: Int
    private var scores: [HeadPatternScores]      // [L × H]
    private var tokens: [Int32?]                  // [positions seen], token id at each position
    private var occurrences: [Int32: [Int]] = [:] // token id → positions, ascending
    private var lastEmitted: Int32?

    public init(layers: Int, heads: Int, promptTokens: [TokenInfo],
                sink: Int = HeadClassifier.initialPositions, window: Int = HeadClassifier.recentWindow) {
        self.layers = max(0, layers); self.heads = max(0, heads)
        self.sink = sink; self.window = window
        scores = Array(repeating: HeadPatternScores(), count: self.layers * self.heads)
        tokens = []
        for (p, t) in promptTokens.enumerated() { setToken(t.id, at: p) }
    }

    public func scores(layer: Int, head: Int) -> HeadPatternScores { scores[layer * heads + head] }

    public mutating func add(_ frame: StepFrame) {
        if frame.step.phase == .decode, let e = lastEmitted { setToken(e, at: frame.step.position) }
        lastEmitted = frame.step.emittedToken?.id
        for r in frame.rows where r.layer >= 0 && r.layer < layers && r.head >= 0 && r.head < heads {
            guard r.values.count >= r.rows * r.cols else { continue }
            let i = r.layer * heads + r.head
            switch r.kind {
            case .decodeRow:
                guard r.rows == 1, r.cols > 0 else { continue }
                r.values.withUnsafeBufferPointer { v in
                    addRow(i, query: r.cols - 1, row: UnsafeBufferPointer(rebasing: v[0..<r.cols]))
                }
            case .prefillMatrix:
                guard r.tile == 1 else { continue }
                r.values.withUnsafeBufferPointer { v in
                    for q in 0..<min(r.rows, r.cols) {
                        addRow(i, query: q, row: UnsafeBufferPointer(rebasing: v[q * r.cols..<(q + 1) * r.cols]))
                    }
                }
            }
        }
    }

    /// One query row: row[k] = a_{t,k} for key positions k < row.count (row.count ≥ t + 1).
    mutating func addRow(_ i: Int, query t: Int, row: UnsafeBufferPointer<Float>) {
        guard t < row.count else { return }
        if t >= 1 { scores[i].previousToken.add(Double(row[t - 1])) }
        if t < tokens.count, let x = tokens[t], let earlier = occurrences[x] {
            var mass = 0.0, any = false
            for j in earlier where j + 1 < t {
                mass += Double(row[j + 1]); any = true
            }
            if any { scores[i].induction.add(mass) }
        }
        if t >= sink + window {
            var mass = 0.0
            for k in sink...(t - window) { mass += Double(row[k]) }
            scores[i].outsideWindow.add(mass)
        }
    }

    private mutating func setToken(_ id: Int32, at p: Int) {
        guard p >= 0, p < 1 << 24 else { return }
        if p < tokens.count { return }        // a position keeps the first token recorded for it
        while tokens.count < p { tokens.append(nil) }
        tokens.append(id)
        occurrences[id, default: []].append(p)
    }
}
