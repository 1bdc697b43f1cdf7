// The per-step records: plain value types that a recorder fills and a reader hands back.
// They know nothing about bytes; the encoding lives in the codec files and docs/trace-format.md.
//
// Shapes: L = layers, H = query heads, G = KV heads (H is a multiple of G), T = prompt tokens.

// MARK: - Per step

public enum Phase: UInt8, Sendable {
    case prefill = 0   // one step with T query rows
    case decode = 1    // one query row
}

/// Time spent in one layer during one step.
public struct LayerTime: Equatable, Sendable {
    public var attentionNanos: UInt64
    public var restNanos: UInt64
    public init(attentionNanos: UInt64, restNanos: UInt64) {
        self.attentionNanos = attentionNanos; self.restNanos = restNanos
    }
}

/// What happened at one step, independent of heads.
public struct StepInfo: Equatable, Sendable {
    public var index: Int                // 0-based step number; prefill is step 0
    public var phase: Phase
    public var position: Int             // position of the step's first query token
    public var queryCount: Int           // T for prefill, 1 for decode
    public var emittedToken: TokenInfo?  // the token sampled at the end of this step
    public var wallNanos: UInt64
    public var layerTimes: [LayerTime]   // [L], or empty when not measured

    public init(index: Int, phase: Phase, position: Int, queryCount: Int, emittedToken: TokenInfo?,
                wallNanos: UInt64, layerTimes: [LayerTime]) {
        self.index = index; self.phase = phase; self.position = position; self.queryCount = queryCount
        self.emittedToken = emittedToken; self.wallNanos = wallNanos; self.layerTimes = layerTimes
    }

    /// Positions the step's last query has seen (itself included): what `sparsity` is relative to.
    public var context: Int { position + queryCount }
}

/// A key position and the running mean attention it receives (α_k, METHODS.md §16.3).
public struct SinkScore: Equatable, Sendable {
    public var position: Int
    public var score: Float
    public init(position: Int, score: Float) { self.position = position; self.score = score }
}

/// What one query head's attention did at one step (for prefill: over the last query row,
/// except `topSinks`, which are running means over all rows so far).
/// Unknown values (e.g. recall with the dense shadow off) are NaN.
public struct HeadMetrics: Equatable, Sendable {
    public var layer: Int
    public var head: Int
    public var visibleKV: Int      // |V_t|: keys the query could see (after eviction)
    public var selected: Int       // |S_t|: keys it attended to
    public var sinkMass1: Float    // Σ_{j<1} a_j
    public var sinkMass4: Float    // Σ_{j<4} a_j
    public var entropy: Float      // H / ln|V_t|, in [0, 1]
    public var recall: Float       // Σ_{j∈S} a_j^dense
    public var oracleRecall: Float // Σ of the |S| largest a_j^dense: the best recall any selection of |S| keys reaches
    public var outputError: Float  // ‖o − o_dense‖ / ‖o_dense‖
    public var overlapKept: Float  // |S_t ∩ S_{t−1}| / |S_t|
    public var jaccard: Float      // |S_t ∩ S_{t−1}| / |S_t ∪ S_{t−1}|
    public var topSinks: [SinkScore]  // highest α_k first, at most 8

    /// Share of the visible keys not attended to: 1 − selected / visible (0 when nothing is visible).
    public var selectedSparsity: Float { MetricColumns.selectedSparsity(visibleKV: visibleKV, selected: selected) }
    /// Share of the `context` positions seen so far not attended to, whether evicted, unselected or
    /// outside a native window: 1 − selected / context (`StepInfo.context`).
    public func sparsity(context: Int) -> Float { MetricColumns.sparsity(selected: selected, context: context) }

    public init(layer: Int, head: Int, visibleKV: Int, selected: Int, sinkMass1: Float,
                sinkMass4: Float, entropy: Float, recall: Float, oracleRecall: Float = .nan, outputError: Float,
                overlapKept: Float, jaccard: Float, topSinks: [SinkScore]) {
        self.layer = layer; self.head = head; self.visibleKV = visibleKV; self.selected = selected
        self.sinkMass1 = sinkMass1; self.sinkMass4 = sinkMass4; self.entropy = entropy
        self.recall = recall; self.oracleRecall = oracleRecall; self.outputError = outputError; self.overlapKept = overlapKept
        self.jaccard = jaccard; self.topSinks = topSinks
    }
}

/// What one KV head's cache held after one step.
public struct KVResidency: Equatable, Sendable {
    public var layer: Int
    public var kvHead: Int
    public var entries: Int
    public var bytes: Int
    public var evicted: [Int]      // original positions evicted at this step, ascending

    public init(layer: Int, kvHead: Int, entries: Int, bytes: Int, evicted: [Int]) {
        self.layer = layer; self.kvHead = kvHead; self.entries = entries; self.bytes = bytes
        self.evicted = evicted
    }
}

/// The key positions one query head attended to at one step, as sorted disjoint half-open ranges.
public struct HeadSelection: Equatable, Sendable {
    public var layer: Int
    public var head: Int
    public var ranges: [Range<Int>]

    public init(layer: Int, head: Int, ranges: [Range<Int>]) {
        self.layer = layer; self.head = head; self.ranges = ranges
    }
    public var count: Int { ranges.reduce(0) { $0 + $1.count } }
}

/// Attention probabilities for a heatmap, as stored (quantized) and handed back as floats.
public struct AttentionRows: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case decodeRow = 0       // one row: the decode query over key positions
        case prefillMatrix = 1   // rows × cols, query × key, possibly pooled into tiles
    }
    public var layer: Int
    public var head: Int
    public var kind: Kind
    public var rows: Int
    public var cols: Int
    /// Positions per tile along each axis (1 = not pooled). Tiles hold the mean of their cells.
    public var tile: Int
    /// [rows × cols], row-major; probabilities in [0, 1].
    public var values: [Float]

    public init(layer: Int, head: Int, kind: Kind, rows: Int, cols: Int, tile: Int, values: [Float]) {
        self.layer = layer; self.head = head; self.kind = kind; self.rows = rows; self.cols = cols
        self.tile = tile; self.values = values
    }
}

/// Everything recorded at one step. The writer appends frames; the reader hands them back
/// whole, or one (layer, head) at a time.
public struct StepFrame: Equatable, Sendable {
    public var step: StepInfo
    public var metrics: [HeadMetrics]         // [L × H], layer-major
    public var kv: [KVResidency]              // [L × G], layer-major
    public var selections: [HeadSelection]    // [L × H] when capture ≥ .selections, else empty
    public var rows: [AttentionRows]          // any subset of heads, when captured
    public var annotations: [String]

    public init(step: StepInfo, metrics: [HeadMetrics], kv: [KVResidency],
                selections: [HeadSelection] = [], rows: [AttentionRows] = [],
                annotations: [String] = []) {
        self.step = step; self.metrics = metrics; self.kv = kv; self.selections = selections
        self.rows = rows; self.annotations = annotations
    }
}
