// One step as columns (struct of arrays) rather than as a StepFrame (array of structs): what a
// whole-file pass that compares numbers (the diff) needs, decoded into buffers it reuses from step
// to step, so a step costs no allocation per head and no reference counting per value.
// `TraceReader.columns(_:into:)` (TraceReader+Columns.swift) fills it; the decoders are in
// Codec+MetricColumns.swift and Codec+KVColumns.swift. Top sinks and annotations are checked but
// not kept.
//
// Shapes: L = layers, H = query heads, G = KV heads; head i is (layer i / H, head i % H).

/// Everything the diff compares at one step.
public struct StepColumns: Sendable {
    public var step: StepInfo
    public var metrics = MetricColumns()
    public var kv = KVColumns()
    public var selections = SelectionColumns()
    /// The attention rows records, as decoded by `TraceReader.frame` (rows are large and few).
    public var rows: [AttentionRows] = []
    /// Bytes of the step's chunk in the file (header and payload).
    public var encodedBytes = 0

    public init() { step = StepFrame.empty.step }
}

// MARK: - Head metrics

/// The head metrics of one step: one array per field, [L × H] each, layer-major.
public struct MetricColumns: Sendable {
    /// The Float fields (oracleRecall: absent from version-1 files, NaN there).
    public enum Field: Int, CaseIterable, Sendable {
        case sinkMass1, sinkMass4, entropy, recall, outputError, overlapKept, jaccard, oracleRecall
    }

    /// n = L × H heads.
    public internal(set) var count = 0
    /// [Field × n]: field f of head i at f.rawValue · n + i.
    var floats: [Float] = []
    /// [2 × n]: visibleKV of head i at i, selected at n + i.
    var counts: [Int] = []
    /// [L + 1]: scratch for the layer block offsets while decoding.
    var blockStarts: [Int] = []

    public init() {}

    /// Sets `count` to n, keeping the storage when it is already large enough.
    mutating func resize(_ n: Int) {
        count = n
        if floats.count != Field.allCases.count * n {
            floats = [Float](repeating: .nan, count: Field.allCases.count * n)
            counts = [Int](repeating: 0, count: 2 * n)
        }
    }

    /// One Float field of every head, [n].
    public func withField<R>(_ f: Field, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try floats.withUnsafeBufferPointer { p in
            try body(UnsafeBufferPointer(rebasing: p[(f.rawValue * count)..<((f.rawValue + 1) * count)]))
        }
    }

    /// visibleKV and selected of every head, [n] each.
    public func withCounts<R>(_ body: (_ visible: UnsafeBufferPointer<Int>, _ selected: UnsafeBufferPointer<Int>) throws -> R)
        rethrows -> R {
        try counts.withUnsafeBufferPointer { p in
            try body(UnsafeBufferPointer(rebasing: p[0..<count]), UnsafeBufferPointer(rebasing: p[count..<(2 * count)]))
        }
    }

    /// 1 − selected / visible (Float; 0 when nothing is visible): `selected_sparsity`.
    @inline(__always) public static func selectedSparsity(visibleKV: Int, selected: Int) -> Float {
        visibleKV > 0 ? 1 - Float(selected) / Float(visibleKV) : 0
    }

    /// 1 − selected / context (Float; 0 for an empty context): `sparsity`.
    @inline(__always) public static func sparsity(selected: Int, context: Int) -> Float {
        context > 0 ? 1 - Float(selected) / Float(context) : 0
    }

    /// Head i as a HeadMetrics (without top sinks): for tests and debugging.
    public func head(_ i: Int, heads: Int) -> HeadMetrics {
        let n = count
        return HeadMetrics(layer: i / heads, head: i % heads, visibleKV: counts[i], selected: counts[n + i],
                           sinkMass1: floats[i], sinkMass4: floats[n + i], entropy: floats[2 * n + i],
                           recall: floats[3 * n + i], oracleRecall: floats[7 * n + i], outputError: floats[4 * n + i],
                           overlapKept: floats[5 * n + i], jaccard: floats[6 * n + i], topSinks: [])
    }
}

// MARK: - KV residency

/// The KV residency of one step, [L × G] per field, layer-major.
public struct KVColumns: Sendable {
    public internal(set) var count = 0
    public internal(set) var entries: [Int] = []
    public internal(set) var bytes: [Int] = []
    /// [n + 1]: the evicted positions of KV head i are evicted[evictedStart[i] ..< evictedStart[i + 1]].
    public internal(set) var evictedStart: [Int] = [0]
    /// Every KV head's evicted positions (ascending per head), one head after another.
    public internal(set) var evicted: [Int] = []

    public init() {}

    /// One KV residency value of every KV head, [n].
    public func values(_ v: KVValue) -> [Int] {
        switch v {
        case .bytes: return bytes
        case .entries: return entries
        }
    }
}

// MARK: - Selected sets

/// The selected sets of one step, [L × H] heads, layer-major; `present` is false when the step
/// has no selections record.
public struct SelectionColumns: Sendable {
    public internal(set) var present = false
    public internal(set) var count = 0
    /// Every distinct range list, back to back (a head that repeats the previous head's set adds none).
    public internal(set) var ranges: [Range<Int>] = []
    /// [n]: head i's ranges are ranges[spans[i]]; a head that repeats the previous one has the same span.
    public internal(set) var spans: [Range<Int>] = []

    public init() {}
}
