// The run header: what model ran, with which policy and capture, on which prompt. A plain value
// type that knows nothing about bytes (Codec+Header.swift, docs/trace-format.md).
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
    /// [L] each layer's native attention window in positions (a sliding-window layer attends to the
    /// last `window` positions), 0 for a global layer; empty when not recorded (format version 1).
    public var layerWindows: [Int]

    public init(name: String, architecture: String, layers: Int, heads: Int, kvHeads: Int,
                headDim: Int, contextLength: Int, vocabSize: Int, layerWindows: [Int] = []) {
        self.name = name; self.architecture = architecture; self.layers = layers; self.heads = heads
        self.kvHeads = kvHeads; self.headDim = headDim; self.contextLength = contextLength
        self.vocabSize = vocabSize; self.layerWindows = layerWindows
    }

    /// Layer `l`'s native window, or nil for a global layer or when not recorded.
    public func window(layer l: Int) -> Int? {
        l >= 0 && l < layerWindows.count && layerWindows[l] > 0 ? layerWindows[l] : nil
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
