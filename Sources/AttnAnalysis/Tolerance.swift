// MARK: - What the diff compares

/// Every quantity `TraceDiff` compares, with the name used on the command line, in tolerance
/// files, in JSON and (for per-head metrics) as the CSV/JSONL column.
public enum DiffMetric: String, CaseIterable, Codable, Sendable {
    // per query head (HeadMetrics)
    case sinkMass1 = "sink_mass_1"
    case sinkMass4 = "sink_mass_4"
    case sparsity
    case entropy
    case recall
    case outputError = "output_error"
    case overlapKept = "overlap_kept"
    case jaccard                       // the head's own step-to-step Jaccard, as recorded
    case visibleKV = "visible_kv"
    case selected
    /// 1 − Jaccard(S_A, S_B) of the two runs' selected sets at the same step (a distance).
    case selection
    /// max |a_A − a_B| over the cells of the attention rows both runs captured (a distance).
    case rowsMax = "rows_max"
    /// mean |a_A − a_B| over the same cells (a distance).
    case rowsMean = "rows_mean"
    // per KV head (KVResidency)
    case kvBytes = "kv_bytes"
    case kvEntries = "kv_entries"
    /// 1 − Jaccard of the positions evicted at the step (a distance; both empty = 0).
    case evicted
    // timings (compared only with --timings)
    case wallNanos = "wall_ns"            // per step
    case attentionNanos = "attention_ns"  // per step and layer
    case restNanos = "rest_ns"            // per step and layer

    /// A dense number per case (its position in `allCases`), for array-indexed state.
    var index: Int {
        switch self {
        case .sinkMass1: 0
        case .sinkMass4: 1
        case .sparsity: 2
        case .entropy: 3
        case .recall: 4
        case .outputError: 5
        case .overlapKept: 6
        case .jaccard: 7
        case .visibleKV: 8
        case .selected: 9
        case .selection: 10
        case .rowsMax: 11
        case .rowsMean: 12
        case .kvBytes: 13
        case .kvEntries: 14
        case .evicted: 15
        case .wallNanos: 16
        case .attentionNanos: 17
        case .restNanos: 18
        }
    }

    /// Distances are computed from both runs at once: the report shows the distance, not two values.
    public var isDistance: Bool {
        switch self {
        case .selection, .rowsMax, .rowsMean, .evicted: return true
        default: return false
        }
    }

    public var isTiming: Bool {
        switch self {
        case .wallNanos, .attentionNanos, .restNanos: return true
        default: return false
        }
    }
}

// MARK: - Tolerance

/// How far apart two values may be. A pair (a = baseline, b = new) **differs** when
///     |a − b| > abs  AND  |a − b| > rel · |a|
/// so a difference must beat both the absolute and the relative allowance (abs = 0 and rel = 0
/// means "exactly equal"; abs = inf switches the metric off). NaN means "unknown" in a trace:
/// NaN vs NaN is equal, NaN vs a number differs (a metric appeared or vanished), and equal
/// infinities are equal.
public struct Tolerance: Equatable, Codable, Sendable {
    public var abs: Double
    public var rel: Double
    public init(abs: Double, rel: Double) { self.abs = abs; self.rel = rel }

    public func differs(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN != b.isNaN }
        if a == b { return false }
        let d = Swift.abs(a - b)
        return d > self.abs && d > rel * Swift.abs(a)
    }

    /// The allowance at baseline `a`: max(abs, rel · |a|); a difference is beyond it when it
    /// exceeds this value.
    public func allowance(at a: Double) -> Double { Swift.max(self.abs, rel * Swift.abs(a)) }
}

/// One tolerance per metric, starting from the documented defaults (docs/headless.md).
public struct ToleranceSet: Equatable, Sendable {
    public private(set) var byMetric: [DiffMetric: Tolerance]

    public static let defaults = ToleranceSet(byMetric: [
        .sinkMass1: .init(abs: 1e-3, rel: 1e-2),
        .sinkMass4: .init(abs: 1e-3, rel: 1e-2),
        .sparsity: .init(abs: 1e-3, rel: 0),
        .entropy: .init(abs: 1e-3, rel: 1e-2),
        .recall: .init(abs: 1e-3, rel: 1e-3),
        .outputError: .init(abs: 1e-3, rel: 5e-2),
        .overlapKept: .init(abs: 1e-3, rel: 0),
        .jaccard: .init(abs: 1e-3, rel: 0),
        .visibleKV: .init(abs: 0, rel: 0),
        .selected: .init(abs: 0, rel: 0),
        .selection: .init(abs: 0, rel: 0),
        .rowsMax: .init(abs: 1e-2, rel: 0),
        .rowsMean: .init(abs: 1e-3, rel: 0),
        .kvBytes: .init(abs: 0, rel: 0),
        .kvEntries: .init(abs: 0, rel: 0),
        .evicted: .init(abs: 0, rel: 0),
        .wallNanos: .init(abs: 1e6, rel: 0.25),
        .attentionNanos: .init(abs: 1e5, rel: 0.25),
        .restNanos: .init(abs: 1e5, rel: 0.25),
    ])

    public subscript(metric: DiffMetric) -> Tolerance {
        get { byMetric[metric] ?? Tolerance(abs: 0, rel: 0) }
        set { byMetric[metric] = newValue }
    }

    // MARK: Parsing

    /// Applies one line `METRIC [abs=X] [rel=Y]` (as in a tolerance file or `--tolerance`);
    /// what the line leaves out keeps its current value. `all` sets every metric.
    public mutating func apply(line: String) throws(ToleranceError) {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let name = words.first else { throw .syntax("empty tolerance") }
        let targets: [DiffMetric]
        if name == "all" {
            targets = DiffMetric.allCases
        } else if let m = DiffMetric(rawValue: name) {
            targets = [m]
        } else {
            throw .unknownMetric(name)
        }
        guard words.count > 1 else { throw .syntax("'\(name)' needs abs=… and/or rel=…") }
        var abs: Double?, rel: Double?
        for word in words.dropFirst() {
            let kv = word.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, kv[0] == "abs" || kv[0] == "rel" else {
                throw .syntax("'\(word)' is not abs=NUMBER or rel=NUMBER")
            }
            guard let v = Double(kv[1]), !v.isNaN, v >= 0 else {
                throw .syntax("'\(kv[1])' in '\(word)' is not a number ≥ 0 (inf allowed)")
            }
            if kv[0] == "abs" { abs = v } else { rel = v }
        }
        for m in targets {
            var t = self[m]
            if let abs { t.abs = abs }
            if let rel { t.rel = rel }
            self[m] = t
        }
    }

    /// Applies a tolerance file: one `METRIC [abs=X] [rel=Y]` per line; `#` starts a comment;
    /// blank lines are ignored. Errors name the line.
    public mutating func apply(file text: String) throws(ToleranceError) {
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                .first.map(String.init) ?? ""
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            do {
                try apply(line: line.trimmedBlanks())
            } catch {
                throw .atLine(i + 1, error)
            }
        }
    }
}

public indirect enum ToleranceError: Error, Equatable, CustomStringConvertible {
    case unknownMetric(String)
    case syntax(String)
    case atLine(Int, ToleranceError)

    public var description: String {
        switch self {
        case .unknownMetric(let name):
            return "unknown metric '\(name)' (known: all, "
                + DiffMetric.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case .syntax(let s): return s
        case .atLine(let n, let e): return "line \(n): \(e)"
        }
    }
}

private extension String {
    func trimmedBlanks() -> String {
        let set: Set<Character> = [" ", "\t", "\r"]
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}
