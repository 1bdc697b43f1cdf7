// The trace data model: plain value types that a recorder fills and a reader hands back.
// They know nothing about bytes; the encoding lives in the codec files and docs/trace-format.md.
//
// Shapes: L = layers, H = query heads, G = KV heads (H is a multiple of G), T = prompt tokens.

// MARK: - Run header

/// What model ran: enough for a viewer to lay out its grids without the model file.
public struct ModelInfo: Equatable, Sendable {
    public var name: String            // e.g. file name or general.name
    public var architecture: String    // e.g. "llama"
    public var layers: Int             // L
    public var heads: Int              // H, query heads per layer
    public var kvHeads: Int            // G, key/value heads per layer (GQA when G < H)
    public var headDim: Int
    public var contextLength: Int
    public var vocabSize: Int

    public init(name: String, architecture: String, layers: Int, heads: Int, kvHeads: Int,
                headDim: Int, contextLength: Int, vocabSize: Int) {
        self.name = name; self.architecture = architecture; self.layers = layers; self.heads = heads
        self.kvHeads = kvHeads; self.headDim = headDim; self.contextLength = contextLength
        self.vocabSize = vocabSize
    }
}

/// Whether a policy only restricts what a query attends to, or removes entries from the KV cache.
public enum PolicyMode: UInt8, Sendable {
    case dense = 0     // full causal attention
    case selects = 1   // full cache stays; each query attends to a subset
    case evicts = 2    // entries leave the cache; KV bytes drop
}

/// The attention policy of the run, as configured on the command line (`NAME:key=value,...`).
public struct PolicyInfo: Equatable, Sendable {
    public var name: String
    public var mode: PolicyMode
    /// Ordered key/value parameters, as given (after defaults were filled in).
    public var parameters: [KeyValue]

    public init(name: String, mode: PolicyMode, parameters: [KeyValue] = []) {
        self.name = name; self.mode = mode; self.parameters = parameters
    }
}

public struct KeyValue: Equatable, Sendable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) { self.key = key; self.value = value }
}

/// How much the recorder captured. Each level includes the ones below it.
public enum CaptureLevel: UInt8, Sendable, Comparable {
    case metrics = 0      // step records, head metrics, KV residency
    case selections = 1   // + selected sets per head
    case rows = 2         // + attention rows every K steps (decode rows, pooled prefill matrix)
    case full = 3         // + every attention row at every step

    public static func < (a: CaptureLevel, b: CaptureLevel) -> Bool { a.rawValue < b.rawValue }
}

/// One prompt token: its id and the text piece it decodes to.
public struct TokenInfo: Equatable, Sendable {
    public var id: Int32
    public var text: String
    public init(id: Int32, text: String) { self.id = id; self.text = text }
}

/// The first record of every trace.
public struct RunHeader: Equatable, Sendable {
    public var producer: String          // e.g. "attnscope 0.1"
    public var createdUnixSeconds: Int64
    public var model: ModelInfo
    public var policy: PolicyInfo
    public var capture: CaptureLevel
    /// Attention rows are captured every `rowInterval` decode steps (capture ≥ .rows); 0 = never.
    public var rowInterval: Int
    public var prompt: String
    public var promptTokens: [TokenInfo]
    /// Free key/values for anything else a producer wants to say (threads, seed, sampler …).
    public var extra: [KeyValue]

    public init(producer: String, createdUnixSeconds: Int64, model: ModelInfo, policy: PolicyInfo,
                capture: CaptureLevel, rowInterval: Int, prompt: String, promptTokens: [TokenInfo],
                extra: [KeyValue] = []) {
        self.producer = producer; self.createdUnixSeconds = createdUnixSeconds; self.model = model
        self.policy = policy; self.capture = capture; self.rowInterval = rowInterval
        self.prompt = prompt; self.promptTokens = promptTokens; self.extra = extra
    }
}

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
    public var outputError: Float  // ‖o − o_dense‖ / ‖o_dense‖
    public var overlapKept: Float  // |S_t ∩ S_{t−1}| / |S_t|
    public var jaccard: Float      // |S_t ∩ S_{t−1}| / |S_t ∪ S_{t−1}|
    public var topSinks: [SinkScore]  // highest α_k first, at most 8

    public var sparsity: Float { visibleKV > 0 ? 1 - Float(selected) / Float(visibleKV) : 0 }

    public init(layer: Int, head: Int, visibleKV: Int, selected: Int, sinkMass1: Float,
                sinkMass4: Float, entropy: Float, recall: Float, outputError: Float,
                overlapKept: Float, jaccard: Float, topSinks: [SinkScore]) {
        self.layer = layer; self.head = head; self.visibleKV = visibleKV; self.selected = selected
        self.sinkMass1 = sinkMass1; self.sinkMass4 = sinkMass4; self.entropy = entropy
        self.recall = recall; self.outputError = outputError; self.overlapKept = overlapKept
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
