import Foundation
import AttnTrace

// MARK: - What a diff found

/// The result of `TraceDiff.run`: plain values, rendered as text (`renderText`) or JSON
/// (`renderJSON`). A is the baseline, B the new run; deltas are B − A and ratios B / A.
public struct TraceDiffReport: Codable, Equatable, Sendable {
    public var baseline: RunSummary
    public var new: RunSummary
    public var stepsCompared: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var timingsCompared: Bool
    /// Things worth knowing that are not differences (prefix used, captures that differ …).
    public var notes: [String]
    public var tolerances: [MetricTolerance]
    public var metrics: [MetricSummary]
    /// Every (subject, metric) with at least one step beyond tolerance, most different first.
    public var differences: [Difference]
    public var headsDiffering: Int
    public var tokenMismatchCount: Int
    /// The first few steps whose emitted token (or step structure) differs.
    public var tokenMismatches: [TokenMismatch]

    /// True when nothing differs beyond tolerance and every emitted token matches.
    public var withinTolerance: Bool
}

public struct RunSummary: Codable, Equatable, Sendable {
    public var label: String            // the path or name the caller gave
    public var model: String
    public var policy: String
    public var steps: Int
    public var truncation: String?

    public init(label: String, header: RunHeader, steps: Int, truncation: String?) {
        self.label = label
        self.model = "\(header.model.name) (\(header.model.architecture), \(header.model.layers) layers × "
            + "\(header.model.heads) heads, \(header.model.kvHeads) KV heads)"
        self.policy = header.policy.name + (header.policy.parameters.isEmpty ? "" : ":"
            + header.policy.parameters.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        self.steps = steps
        self.truncation = truncation
    }
}

public struct MetricTolerance: Codable, Equatable, Sendable {
    public var metric: Metric
    public var abs: Double
    public var rel: Double
}

/// What a diff compares a metric on.
public struct Subject: Codable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, Comparable {
        case head, kvHead = "kv_head", layer, run
        var order: Int { switch self { case .head: 0; case .kvHead: 1; case .layer: 2; case .run: 3 } }
        public static func < (a: Kind, b: Kind) -> Bool { a.order < b.order }
    }
    public var kind: Kind
    public var layer: Int     // -1 for .run
    public var index: Int     // head or KV head; -1 for .layer and .run

    public var description: String {
        switch kind {
        case .head: return "L\(layer) H\(index)"
        case .kvHead: return "L\(layer) KV\(index)"
        case .layer: return "L\(layer)"
        case .run: return "run"
        }
    }
    public static func < (a: Subject, b: Subject) -> Bool {
        (a.kind, a.layer, a.index) < (b.kind, b.layer, b.index)
    }
}

/// How one metric fared over all subjects.
public struct MetricSummary: Codable, Equatable, Sendable {
    public var metric: Metric
    public var subjectsCompared: Int
    public var subjectsDiffering: Int
    /// (step, subject) pairs beyond tolerance.
    public var pairsDiffering: Int
    public var maxAbsDelta: Double
}

/// One metric on one subject, over the steps compared.
public struct Difference: Codable, Equatable, Sendable {
    public var subject: Subject
    public var metric: Metric
    /// Means over steps of the finite values (NaN when none); for distances both are 0 and
    /// `delta` is the mean distance.
    public var baselineMean: Double
    public var newMean: Double
    public var delta: Double
    public var ratio: Double              // new / baseline (NaN when baseline is 0 or a distance)
    public var stepsCompared: Int
    public var stepsDiffering: Int
    public var firstStep: Int
    public var maxAbsDelta: Double        // inf when a NaN met a number
    public var maxStep: Int
    public var baselineAtMax: Double
    public var newAtMax: Double
    /// maxAbsDelta / allowance at that step: how many tolerances beyond (the sort key).
    public var excess: Double
}

public struct TokenMismatch: Codable, Equatable, Sendable {
    public var step: Int
    public var what: String     // "token" or "step" (phase/position/query count)
    public var baseline: String
    public var new: String
}

// MARK: - JSON

extension TraceDiffReport {
    /// Pretty, key-sorted JSON; non-finite numbers become the strings "nan", "inf", "-inf".
    public func renderJSON() -> String { prettyJSON(self) }
}
