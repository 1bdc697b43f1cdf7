import AttnTrace
import Dispatch

// MARK: - Options and errors

public struct DiffOptions: Sendable {
    public var tolerances: ToleranceSet
    /// Compare wall and per-layer times (noisy, so off by default).
    public var includeTimings: Bool
    /// Compare the first min(steps A, steps B) steps instead of refusing runs of different length;
    /// also accepts a truncated (recovered) file, up to its last complete chunk.
    public var commonPrefix: Bool
    /// Accept models that have the same shape but another name (e.g. another quantisation).
    public var ignoreModelName: Bool
    /// How many token mismatches the report lists (all are counted).
    public var tokenExamples: Int
    /// Decode B's next frame on a second thread while A's frame is decoded and compared.
    /// Ignored when A and B are the same object (a reader is not thread-safe).
    public var parallelRead = true
    /// When both runs are trace files (`ColumnSource`), decode each step straight into columns
    /// and compare those (TraceDiff+Columns.swift, the fast path); false compares decoded frames
    /// (the reference engine). Both give the same report.
    public var columnar = true

    public init(tolerances: ToleranceSet = .defaults, includeTimings: Bool = false,
                commonPrefix: Bool = false, ignoreModelName: Bool = false, tokenExamples: Int = 10) {
        self.tolerances = tolerances; self.includeTimings = includeTimings
        self.commonPrefix = commonPrefix; self.ignoreModelName = ignoreModelName
        self.tokenExamples = tokenExamples
    }
}

/// Why two traces could not be compared (the CLI maps every case to exit status 2).
public enum DiffError: Error, Equatable, CustomStringConvertible {
    /// The runs cannot be aligned step by step, layer by layer, head by head; one line per reason.
    case notAligned([String])
    /// A frame does not fit its own header (wrong number of heads, out-of-order entries …).
    case malformed(String)
    /// Reading a frame failed.
    case read(String)

    public var description: String {
        switch self {
        case .notAligned(let reasons):
            return "traces cannot be aligned:\n" + reasons.map { "  - " + $0 }.joined(separator: "\n")
        case .malformed(let s): return "malformed trace: " + s
        case .read(let s): return "cannot read trace: " + s
        }
    }
}

// MARK: - Engine

/// Compares two runs step by step (A = baseline, B = new), holding one frame of each at a time.
/// Every metric of every (step, layer, head) is checked against its `Tolerance`; selected sets by
/// Jaccard distance; attention rows by max and mean absolute difference; emitted tokens exactly.
public enum TraceDiff {
    public static func run<A: TraceSource, B: TraceSource>(
        _ a: A, _ b: B, labels: (String, String) = ("A", "B"), options: DiffOptions = DiffOptions()
    ) throws(DiffError) -> TraceDiffReport {
        let plan = try align(a, b, labels: labels, options: options)
        let shape = plan.shape
        let sameObject = A.self is AnyClass && B.self is AnyClass
            && ObjectIdentifier(a as AnyObject) == ObjectIdentifier(b as AnyObject)
        if options.columnar, let ca = a as? any ColumnSource, let cb = b as? any ColumnSource {
            return try runColumns(ca, cb, plan: plan, labels: labels, options: options, sameObject: sameObject)
        }
        var acc = DiffAccumulator(shape: shape, options: options)
        let prefetch = options.parallelRead && !sameObject && plan.steps > 1 ? Prefetch(b) : nil
        prefetch?.start(0)
        defer { prefetch?.drain() }   // on an early throw, B is not left in use by the queue
        var fa = StepFrame.empty, fb = StepFrame.empty   // reused: decoding allocates little per step
        for i in 0..<plan.steps {
            do { try a.comparisonFrame(i, into: &fa) } catch { throw .read("\(labels.0) step \(i): \(error)") }
            do {
                if let prefetch {
                    try prefetch.wait(swappingWith: &fb)
                    if i + 1 < plan.steps { prefetch.start(i + 1) }
                } else {
                    try b.comparisonFrame(i, into: &fb)
                }
            } catch { throw .read("\(labels.1) step \(i): \(error)") }
            // A recovered file may skip a damaged chunk mid-file: then file order is not step order.
            for (label, f) in [(labels.0, fa), (labels.1, fb)] where f.step.index != i {
                throw .malformed("\(label): the \(i)th step read is step \(f.step.index) (a damaged chunk was "
                    + "skipped?); runs can only be aligned on consecutive steps")
            }
            try acc.add(fa, fb, step: i, labels: labels)
        }
        return report(acc, a, b, plan: plan, labels: labels)
    }

    static func report<A: TraceSource, B: TraceSource>(_ acc: DiffAccumulator, _ a: A, _ b: B, plan: Plan,
                                                       labels: (String, String)) -> TraceDiffReport {
        acc.report(
            baseline: RunSummary(label: labels.0, header: a.header, steps: a.stepCount, truncation: a.truncation),
            new: RunSummary(label: labels.1, header: b.header, steps: b.stepCount, truncation: b.truncation),
            steps: plan.steps, notes: plan.notes)
    }

    struct Plan { var steps: Int; var shape: Shape; var notes: [String] }

    /// Checks that the runs can be compared and how many steps: same model shape (and name),
    /// same prompt tokens, same step count unless `commonPrefix`.
    static func align<A: TraceSource, B: TraceSource>(
        _ a: A, _ b: B, labels: (String, String), options: DiffOptions
    ) throws(DiffError) -> Plan {
        let ha = a.header, hb = b.header
        var reasons: [String] = [], notes: [String] = []
        let ma = ha.model, mb = hb.model
        func describe(_ m: ModelInfo) -> String {
            "'\(m.name)' (\(m.architecture), \(m.layers) layers × \(m.heads) heads, \(m.kvHeads) KV heads, "
                + "head dim \(m.headDim), vocab \(m.vocabSize))"
        }
        let sameShape = ma.architecture == mb.architecture && ma.layers == mb.layers && ma.heads == mb.heads
            && ma.kvHeads == mb.kvHeads && ma.headDim == mb.headDim && ma.vocabSize == mb.vocabSize
        if !sameShape {
            reasons.append("other model: \(labels.0) ran \(describe(ma)), \(labels.1) ran \(describe(mb))")
        } else if ma.name != mb.name {
            if options.ignoreModelName {
                notes.append("model names differ ('\(ma.name)' vs '\(mb.name)'), same shape: compared anyway")
            } else {
                reasons.append("other model: \(labels.0) ran '\(ma.name)', \(labels.1) ran '\(mb.name)' "
                    + "(same shape; --ignore-model-name compares them anyway)")
            }
        }
        if ma.layers <= 0 || ma.heads <= 0 || ma.kvHeads <= 0 {
            reasons.append("the model has no layers or heads (\(describe(ma)))")
        }
        let ta = ha.promptTokens.map(\.id), tb = hb.promptTokens.map(\.id)
        if ta != tb {
            let first = zip(ta, tb).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(ta.count, tb.count)
            func token(_ h: RunHeader, _ i: Int) -> String {
                i < h.promptTokens.count ? "id \(h.promptTokens[i].id) \(TraceDump.quote(h.promptTokens[i].text))" : "end"
            }
            reasons.append("other prompt tokens: \(labels.0) has \(ta.count), \(labels.1) has \(tb.count); "
                + "first difference at token \(first) (\(token(ha, first)) vs \(token(hb, first)))")
        }
        for (label, source) in [(labels.0, a.truncation), (labels.1, b.truncation)] {
            guard let why = source else { continue }
            if options.commonPrefix {
                notes.append("\(label) is truncated (\(why)): compared up to its last complete step")
            } else {
                reasons.append("\(label) is truncated (\(why)); --common-prefix compares its complete steps")
            }
        }
        var steps = a.stepCount
        if a.stepCount != b.stepCount {
            steps = min(a.stepCount, b.stepCount)
            if options.commonPrefix {
                notes.append("step counts differ (\(labels.0) \(a.stepCount), \(labels.1) \(b.stepCount)): "
                    + "compared the common prefix of \(steps) steps")
            } else if a.truncation == nil && b.truncation == nil {
                reasons.append("other step count: \(labels.0) has \(a.stepCount) steps, \(labels.1) has "
                    + "\(b.stepCount); --common-prefix compares the first \(steps)")
            }
        }
        if !reasons.isEmpty { throw .notAligned(reasons) }
        if ha.policy != hb.policy {
            notes.append("policies differ: \(RunSummary(label: "", header: ha, steps: 0, truncation: nil).policy) vs "
                + "\(RunSummary(label: "", header: hb, steps: 0, truncation: nil).policy)")
        }
        if ha.capture != hb.capture {
            notes.append("capture levels differ (\(ha.capture) vs \(hb.capture)): selections and rows are "
                + "compared only where both runs captured them")
        }
        return Plan(steps: steps, shape: Shape(layers: ma.layers, heads: ma.heads, kvHeads: ma.kvHeads),
                    notes: notes)
    }
}

/// Reads one frame of a source on a background queue; `start(i)` then `wait()`, strictly
/// alternating, so the source is only ever used by one thread at a time.
final class Prefetch<S: TraceSource>: @unchecked Sendable {
    private let source: S
    private let queue = DispatchQueue(label: "attnscope.diff.prefetch")
    private let done = DispatchSemaphore(value: 0)
    private var buffer = StepFrame.empty   // the frame being read; swapped with the caller's
    private var failure: Error?
    private var pending = false

    init(_ source: S) { self.source = source }

    func start(_ index: Int) {
        pending = true
        queue.async { [self] in
            do { try source.comparisonFrame(index, into: &buffer); failure = nil } catch { failure = error }
            done.signal()
        }
    }

    /// Waits for the read, then swaps its frame with `frame` (whose storage the next read reuses).
    func wait(swappingWith frame: inout StepFrame) throws {
        done.wait()
        pending = false
        if let failure { self.failure = nil; throw failure }
        swap(&frame, &buffer)
    }

    /// Waits for a read still in flight, if any.
    func drain() {
        if pending { done.wait(); pending = false; failure = nil }
    }
}

/// The grid both runs share.
struct Shape: Sendable {
    var layers: Int     // L
    var heads: Int      // H
    var kvHeads: Int    // G
}
