// A TraceSource behind small caches, plus the per-step summaries the timeline draws. Views read the
// trace only through this, so a redraw after a key decodes at most what changed on screen.

import AttnAnalysis
import AttnTrace
import Foundation

/// What the timeline shows for one step.
public struct StepSummary: Equatable, Sendable {
    public var wallNanos: UInt64
    public var queryCount: Int
    public var kvBytesPerLayer: [Int]   // [L]
    public var meanSparsity: Double     // over heads
    public var meanRecall: Double       // over heads with a known recall; NaN if none
    public var kvBytesTotal: Int { kvBytesPerLayer.reduce(0, +) }
    /// Tokens processed per second at this step (prefill: T / wall time).
    public var tokensPerSecond: Double { wallNanos > 0 ? Double(queryCount) * 1e9 / Double(wallNanos) : 0 }
}

public final class TraceModel {
    public let source: TraceSource
    public var header: RunHeader { source.header }
    public var stepCount: Int { source.stepCount }
    public var layers: Int { source.header.model.layers }
    public var heads: Int { source.header.model.heads }
    public var kvHeads: Int { max(1, source.header.model.kvHeads) }
    /// The last decoding error, shown in the status line instead of crashing.
    public private(set) var lastError: String?

    /// Frame budget: when set (monotonic seconds, see `monotonicSeconds`), reads of data that is
    /// not cached yet are skipped once the time has passed, and `incomplete` is set so that the
    /// viewer draws again right away and decodes the rest. Views draw what is missing as blank.
    /// Nil (tests, benchmarks of whole frames) means no budget.
    public var deadline: Double? { didSet { readsSinceDeadline = 0 } }
    /// True when a read was skipped for the budget since the flag was last cleared.
    public var incomplete = false
    private var readsSinceDeadline = 0

    /// Whether to skip an uncached read. The first read after the deadline was set always goes
    /// ahead, so that every frame makes progress however small the budget.
    private func overBudget() -> Bool {
        if budgetSpent() { return true }
        readsSinceDeadline += 1
        return false
    }

    /// Counts work as costly as a read (merging a cached row, see BinnedRows) against the budget.
    func noteWork() { readsSinceDeadline += 1 }

    /// True (and `incomplete` set) when reads were made and the deadline has passed.
    func budgetSpent() -> Bool {
        guard let deadline, readsSinceDeadline > 0, monotonicSeconds() > deadline else { return false }
        incomplete = true
        return true
    }

    private var metricsCache = SmallCache<Int, [HeadMetrics]>(capacity: 16)
    private var kvCache = SmallCache<Int, [KVResidency]>(capacity: 512)   // [L × G] is small
    private var rowsCache = SmallCache<HeadKey, [AttentionRows]>(capacity: 1024)
    private var selectionCache = SmallCache<HeadKey, HeadSelection?>(capacity: 2048)
    // bounded, so that scrolling through millions of steps cannot grow memory without limit
    private var stepInfoCache = SmallCache<Int, StepInfo>(capacity: 20_000)       // ≈ 0.6 KB each
    private var summaryCache = SmallCache<Int, StepSummary>(capacity: 50_000)     // ≈ 0.3 KB each

    struct HeadKey: Hashable { var step: Int, layer: Int, head: Int }
    /// Rows merged over spans of steps, and α_k curves (BinnedRows).
    let binned = BinnedRows()

    public init(_ source: TraceSource) { self.source = source }

    private func attempt<T>(_ what: String, _ fallback: T, _ body: () throws -> T) -> T {
        do { return try body() } catch {
            lastError = "\(source.name): \(what): \(error)"
            return fallback
        }
    }

    public func clampStep(_ s: Int) -> Int { max(0, min(stepCount - 1, s)) }

    public func stepInfo(_ step: Int) -> StepInfo? {
        guard step >= 0, step < stepCount else { return nil }
        if let s = stepInfoCache[step] { return s }
        if overBudget() { return nil }
        let s: StepInfo? = attempt("step \(step)", nil) { try source.stepInfo(step) }
        if let s { stepInfoCache[step] = s }
        return s
    }

    /// [L × H]; empty when the step is out of range or unreadable.
    public func metrics(step: Int) -> [HeadMetrics] {
        guard step >= 0, step < stepCount else { return [] }
        if let m = metricsCache[step] { return m }
        if overBudget() { return [] }
        let m = attempt("metrics of step \(step)", []) { try source.metrics(step: step) }
        metricsCache[step] = m
        return m
    }

    public func metrics(step: Int, layer: Int, head: Int) -> HeadMetrics? {
        let all = metrics(step: step)
        let i = layer * heads + head
        if i >= 0, i < all.count, all[i].layer == layer, all[i].head == head { return all[i] }
        return all.first { $0.layer == layer && $0.head == head }
    }

    /// Positions the step's last query has seen (`StepInfo.context`), 0 when the step cannot be read.
    public func context(step: Int) -> Int { stepInfo(step)?.context ?? 0 }

    public func kv(step: Int) -> [KVResidency] {
        guard step >= 0, step < stepCount else { return [] }
        if let k = kvCache[step] { return k }
        if overBudget() { return [] }
        let k = attempt("KV of step \(step)", []) { try source.kv(step: step) }
        kvCache[step] = k
        return k
    }

    /// KV head that query head `head` reads (GQA: consecutive query heads share one).
    public func kvHead(ofHead head: Int) -> Int { head * kvHeads / max(1, heads) }

    public func kvBytes(step: Int, layer: Int, head: Int) -> Int {
        let g = kvHead(ofHead: head)
        return kv(step: step).first { $0.layer == layer && $0.kvHead == g }?.bytes ?? 0
    }

    public func selection(step: Int, layer: Int, head: Int) -> HeadSelection? {
        guard step >= 0, step < stepCount else { return nil }
        let key = HeadKey(step: step, layer: layer, head: head)
        if let s = selectionCache[key] { return s }
        if overBudget() { return nil }
        let s = attempt("selection \(step)/\(layer)/\(head)", nil) { try source.selection(step: step, layer: layer, head: head) }
        selectionCache[key] = s
        return s
    }

    public func rows(step: Int, layer: Int, head: Int) -> [AttentionRows] {
        guard step >= 0, step < stepCount else { return [] }
        let key = HeadKey(step: step, layer: layer, head: head)
        if let r = rowsCache[key] { return r }
        if overBudget() { return [] }
        let r = attempt("rows \(step)/\(layer)/\(head)", []) { try source.attentionRows(step: step, layer: layer, head: head) }
        rowsCache[key] = r
        return r
    }

    public func row(step: Int, layer: Int, head: Int, kind: AttentionRows.Kind) -> AttentionRows? {
        rows(step: step, layer: layer, head: head).first { $0.kind == kind }
    }

    /// The attention row of the query at `step` over key positions (prefill: the last prompt row,
    /// expanded from tiles), or nil when none was captured.
    public func queryRow(step: Int, layer: Int, head: Int) -> [Float]? {
        if let r = row(step: step, layer: layer, head: head, kind: .decodeRow) { return r.values }
        guard let m = row(step: step, layer: layer, head: head, kind: .prefillMatrix), m.rows > 0, m.cols > 0,
              m.values.count >= m.rows * m.cols else { return nil }
        let last = Array(m.values[(m.rows - 1) * m.cols..<m.rows * m.cols])
        guard m.tile > 1 else { return last }
        return (0..<(m.cols * m.tile)).map { last[min(m.cols - 1, $0 / m.tile)] / Float(m.tile) }
    }

    public func summary(step: Int) -> StepSummary? {
        guard step >= 0, step < stepCount else { return nil }
        if let s = summaryCache[step] { return s }
        if budgetSpent() { return nil }
        let wasIncomplete = incomplete
        incomplete = false
        defer { incomplete = incomplete || wasIncomplete }
        guard let info = stepInfo(step) else { return nil }
        var perLayer = Array(repeating: 0, count: layers)
        let kv = kv(step: step)
        let m = metrics(step: step)
        if incomplete { return nil }   // ran out of budget half-way: read it all on the next frame
        for r in kv where r.layer >= 0 && r.layer < layers { perLayer[r.layer] += r.bytes }
        let sparsity = m.isEmpty ? 0 : m.reduce(0.0) { $0 + Double($1.sparsity(context: info.context)) } / Double(m.count)
        let known = m.filter { !$0.recall.isNaN }
        let recall = known.isEmpty ? .nan : known.reduce(0.0) { $0 + Double($1.recall) } / Double(known.count)
        let s = StepSummary(wallNanos: info.wallNanos, queryCount: info.queryCount, kvBytesPerLayer: perLayer,
                            meanSparsity: sparsity, meanRecall: recall)
        summaryCache[step] = s
        return s
    }
}

/// A first-in-first-out bounded cache: enough to keep the steps around the cursor decoded.
/// `order` is a ring of the keys in insertion order.
struct SmallCache<K: Hashable, V> {
    let capacity: Int
    private var storage: [K: V] = [:]
    private var order: [K] = []
    private var next = 0   // ring index of the oldest key once full
    init(capacity: Int) { self.capacity = max(1, capacity) }
    var count: Int { storage.count }
    subscript(key: K) -> V? {
        get { storage[key] }
        set {
            guard let newValue else { storage[key] = nil; return }
            guard storage.updateValue(newValue, forKey: key) == nil else { return }
            if order.count < capacity { order.append(key); return }
            storage[order[next]] = nil
            order[next] = key
            next = (next + 1) % capacity
        }
    }
}

/// Seconds on a monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
