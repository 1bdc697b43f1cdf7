// The metric catalogue: every quantity attnscope reports, with its name, how it is read from a
// record, its label, unit, default diff tolerance, format and whether higher is better. The diff
// (metrics, tolerances), `stats`, the exports and the viewer's head table and overview all read
// this table; adding a metric is one case and one entry here, plus its codec when it is stored.

/// Every metric, in the order tables show them (exports, head table, diff report).
public enum Metric: Int, CaseIterable, Sendable, Codable, CustomStringConvertible {
    // per query head, read from its HeadMetrics
    case visibleKV, selected, sparsity, selectedSparsity, sinkMass1, sinkMass4, entropy, recall, oracleRecall
    case outputError
    case overlapKept, jaccard
    // per query head, distances between two runs (diff only)
    case selection, rowsMax, rowsMean
    // per KV head, read from its KVResidency
    case kvEntries, kvBytes, evicted
    // timings: per step, per step and layer
    case wallNanos, attentionNanos, restNanos

    /// The catalogue entry.
    @inline(__always) public var info: MetricInfo { MetricInfo.all[rawValue] }
    /// Name on the command line, in tolerance files, JSON and CSV/JSONL columns.
    public var name: String { info.name }
    public var description: String { name }

    public init?(name: String) {
        guard let m = Metric.allCases.first(where: { $0.name == name }) else { return nil }
        self = m
    }

    // Encoded by name (JSON reports).
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let m = Metric(name: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown metric '\(s)'")
        }
        self = m
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }

    /// Metrics with a value per query head at a step (`HeadMetrics`), in table order.
    public static let headValues: [Metric] = allCases.filter { $0.info.head != nil }
    /// What `stats` summarises per head: the per-head values that are not counts.
    public static let summarisedPerHead: [Metric] = headValues.filter { $0.info.unit != .count }
    /// Metrics with a value per KV head at a step (`KVResidency`), in table order.
    public static let kvValues: [Metric] = allCases.filter { $0.info.kv != nil }
    /// What the viewer's overview can colour its layer × head grid by, in cycling order.
    public static let overview: [Metric] = allCases.filter { $0.info.inOverview }

    /// Distances are computed from both runs at once: a report shows the distance, not two values.
    public var isDistance: Bool { info.unit == .distance }
    public var isTiming: Bool { info.unit == .nanoseconds }
}

/// What a metric measures in.
public enum MetricUnit: Sendable {
    case fraction      // in [0, 1]
    case ratio         // ≥ 0, unbounded (relative error)
    case count         // keys
    case bytes
    case nanoseconds
    case distance      // in [0, 1], between two runs
}

/// What a metric is a value of.
public enum MetricSubject: Sendable {
    case head, kvHead, layer, run
}

/// Where a per-head value comes from in a head metrics record and its step.
public enum HeadValue: Sendable {
    case stored(MetricColumns.Field)   // one of the record's Float fields
    case visibleKV, selected           // the record's counts
    case ofContext                     // 1 − selected / context (`StepInfo.context`; 0 for an empty context)
    case selectedOfVisible             // 1 − selected / visible (0 when nothing is visible)

    /// The value for head `m` at a step whose query has seen `context` positions (a Double holds
    /// every count and every Float exactly).
    @inline(__always) public func read(_ m: HeadMetrics, context: Int) -> Double {
        switch self {
        case .stored(let f): return Double(m[f])
        case .visibleKV: return Double(m.visibleKV)
        case .selected: return Double(m.selected)
        case .ofContext: return Double(MetricColumns.sparsity(selected: m.selected, context: context))
        case .selectedOfVisible: return Double(MetricColumns.selectedSparsity(visibleKV: m.visibleKV, selected: m.selected))
        }
    }
}

/// Where a per-KV-head value comes from in a KV residency record.
public enum KVValue: Sendable {
    case bytes, entries

    @inline(__always) public func read(_ r: KVResidency) -> Int {
        switch self {
        case .bytes: return r.bytes
        case .entries: return r.entries
        }
    }
}

/// One catalogue entry.
public struct MetricInfo: Sendable {
    public let metric: Metric
    /// Command line, tolerance files, JSON, CSV/JSONL column.
    public let name: String
    /// Short column title (head table, compare view).
    public let label: String
    /// What it is, in a few words (overview title).
    public let title: String
    public let unit: MetricUnit
    public let subject: MetricSubject
    /// The diff's default tolerance (docs/headless.md).
    public let tolerance: Tolerance
    /// true: higher is better (recall); false: lower is better (output error); nil: neither.
    public let higherIsBetter: Bool?
    /// How a per-head value is read (nil: not a per-head value).
    public let head: HeadValue?
    /// How a per-KV-head value is read (nil: not a KV residency value).
    public let kv: KVValue?
    /// Offered by the viewer's overview grid.
    public let inOverview: Bool

    /// Decimals a table shows for a fraction, ratio or distance.
    public static let decimals = 3

    /// Catalogue order = `Metric` order (tested).
    public static let all: [MetricInfo] = [
        .init(.visibleKV, "visible_kv", "visKV", "keys the query could see", .count, .head,
              .init(abs: 0, rel: 0), nil, head: .visibleKV),
        .init(.selected, "selected", "sel", "keys the query attended to", .count, .head,
              .init(abs: 0, rel: 0), nil, head: .selected),
        .init(.sparsity, "sparsity", "sparse", "sparsity (context not attended)", .fraction, .head,
              .init(abs: 1e-3, rel: 0), nil, head: .ofContext, overview: true),
        .init(.selectedSparsity, "selected_sparsity", "selSp", "sparsity among visible keys", .fraction, .head,
              .init(abs: 1e-3, rel: 0), nil, head: .selectedOfVisible),
        .init(.sinkMass1, "sink_mass_1", "sink1", "sink mass (first 1)", .fraction, .head,
              .init(abs: 1e-3, rel: 1e-2), nil, head: .stored(.sinkMass1), overview: true),
        .init(.sinkMass4, "sink_mass_4", "sink4", "sink mass (first 4)", .fraction, .head,
              .init(abs: 1e-3, rel: 1e-2), nil, head: .stored(.sinkMass4), overview: true),
        .init(.entropy, "entropy", "entropy", "entropy (normalised)", .fraction, .head,
              .init(abs: 1e-3, rel: 1e-2), nil, head: .stored(.entropy), overview: true),
        .init(.recall, "recall", "recall", "recall vs dense", .fraction, .head,
              .init(abs: 1e-3, rel: 1e-3), true, head: .stored(.recall), overview: true),
        .init(.oracleRecall, "oracle_recall", "oracle", "recall of the exact top-k at the same count", .fraction, .head,
              .init(abs: 1e-3, rel: 1e-3), true, head: .stored(.oracleRecall)),
        .init(.outputError, "output_error", "outErr", "output error vs dense", .ratio, .head,
              .init(abs: 1e-3, rel: 5e-2), false, head: .stored(.outputError), overview: true),
        .init(.overlapKept, "overlap_kept", "overlap", "selection kept from the previous step", .fraction, .head,
              .init(abs: 1e-3, rel: 0), nil, head: .stored(.overlapKept)),
        .init(.jaccard, "jaccard", "jaccard", "selection Jaccard vs previous step", .fraction, .head,
              .init(abs: 1e-3, rel: 0), nil, head: .stored(.jaccard), overview: true),
        .init(.selection, "selection", "sel≠", "1 − Jaccard of the two runs' selected sets", .distance, .head,
              .init(abs: 0, rel: 0), false),
        .init(.rowsMax, "rows_max", "rows max", "max |a_A − a_B| over captured attention rows", .distance, .head,
              .init(abs: 1e-2, rel: 0), false),
        .init(.rowsMean, "rows_mean", "rows mean", "mean |a_A − a_B| over captured attention rows", .distance, .head,
              .init(abs: 1e-3, rel: 0), false),
        .init(.kvEntries, "kv_entries", "KV entries", "KV entries (head's KV group)", .count, .kvHead,
              .init(abs: 0, rel: 0), nil, kv: .entries),
        .init(.kvBytes, "kv_bytes", "KV bytes", "KV bytes (head's KV group)", .bytes, .kvHead,
              .init(abs: 0, rel: 0), false, kv: .bytes, overview: true),
        .init(.evicted, "evicted", "evicted≠", "1 − Jaccard of the positions evicted at the step", .distance, .kvHead,
              .init(abs: 0, rel: 0), false),
        .init(.wallNanos, "wall_ns", "wall", "wall time of the step", .nanoseconds, .run,
              .init(abs: 1e6, rel: 0.25), false),
        .init(.attentionNanos, "attention_ns", "attention", "attention time of a layer", .nanoseconds, .layer,
              .init(abs: 1e5, rel: 0.25), false),
        .init(.restNanos, "rest_ns", "rest", "the rest of a layer's time", .nanoseconds, .layer,
              .init(abs: 1e5, rel: 0.25), false),
    ]

    init(_ metric: Metric, _ name: String, _ label: String, _ title: String, _ unit: MetricUnit,
         _ subject: MetricSubject, _ tolerance: Tolerance, _ higherIsBetter: Bool?,
         head: HeadValue? = nil, kv: KVValue? = nil, overview: Bool = false) {
        self.metric = metric; self.name = name; self.label = label; self.title = title; self.unit = unit
        self.subject = subject; self.tolerance = tolerance; self.higherIsBetter = higherIsBetter
        self.head = head; self.kv = kv; self.inOverview = overview
    }
}

extension HeadMetrics {
    /// One stored Float field.
    @inline(__always) public subscript(field: MetricColumns.Field) -> Float {
        switch field {
        case .sinkMass1: return sinkMass1
        case .sinkMass4: return sinkMass4
        case .entropy: return entropy
        case .recall: return recall
        case .oracleRecall: return oracleRecall
        case .outputError: return outputError
        case .overlapKept: return overlapKept
        case .jaccard: return jaccard
        }
    }

    /// The value of a per-head metric at a step whose query has seen `context` positions
    /// (`StepInfo.context`); NaN for a metric that is not one.
    @inline(__always) public func value(_ metric: Metric, context: Int) -> Double {
        metric.info.head?.read(self, context: context) ?? .nan
    }
}
