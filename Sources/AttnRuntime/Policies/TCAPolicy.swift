// `tca`: TCA-Attention (arXiv 2512.09238), evicting, with per-(layer, KV head) budgets from an
// offline calibration (`attnscope calibrate --policy tca`, file format in TCABudgets.swift).
// This project's reading of the partly unconfirmed method (METHODS.md §1, docs/policies.md):
//
// - End of prefill: the last prompt query scores every entry (s, summed over the KV head's
//   group); `TCASelection.select` keeps the top entries of each b-block with the calibrated
//   budgets Ψ(p*) plus the `window` most recent entries; the rest is evicted.
// - Decode: whenever b entries have accumulated behind the local window, that block is scored
//   by the current query and only its top ⌊Σ_k k·p*_k⌋ entries (at least 1) stay.

public final class TCAPolicy: AttentionPolicy {
    public let name = "tca"
    public let mode = AttentionPolicyMode.evicts
    public let budgets: TCABudgets
    public let budgetsPath: String
    public let window: Int
    public let alpha: Float
    public var parameters: [(key: String, value: String)] {
        [("budgets", budgetsPath), ("window", "\(window)"), ("alpha", "\(alpha)"), ("block", "\(budgets.block)"),
         ("tau", "\(budgets.tau)")]
    }
    /// Scores are needed only at the end of prefill and at decode steps that compress a block,
    /// so other decode steps keep the attention fast path (decided in `beginCall`).
    public var observesAttention: Bool { needScores }
    private var needScores = true

    private var scores: [[[Float]]] = []      // [layer][kvHead][streamIndex] the last query's scores (group sum)
    private var boundary: [[Int]] = []        // [layer][kvHead] entries before it are compressed
    private var lastPosition: [Int32] = []    // [layer] position of this call's last query

    public init(budgets: TCABudgets, path: String, window: Int? = nil, alpha: Float? = nil) throws {
        self.budgets = budgets; budgetsPath = path
        self.window = window ?? budgets.window
        self.alpha = alpha ?? budgets.alpha
        guard self.window >= 1 else { throw PolicyError("policy tca: window=\(self.window) must be ≥ 1") }
    }

    convenience init(_ p: inout PolicyParameters, loadFile: (String) throws -> String) throws {
        guard let path = p.string("budgets") else {
            throw PolicyError("policy tca needs budgets=PATH (make one with: attnscope calibrate --policy tca --out budgets.json)")
        }
        let text: String
        do { text = try loadFile(path) } catch { throw PolicyError("policy tca: cannot read budgets file \(path): \(error)") }
        let b = try TCABudgets.parse(text, name: path)
        let window = try p.int("window", default: b.window)
        let alpha = try p.float("alpha", default: b.alpha)
        try self.init(budgets: b, path: path, window: window, alpha: alpha)
    }

    public func check(layers: Int, shape: AttentionShape) throws {
        try budgets.check(layers: layers, kvHeads: shape.kvHeads, name: budgetsPath)
    }

    public func reset(layers: Int, shape: AttentionShape) {
        scores = Array(repeating: Array(repeating: [], count: shape.kvHeads), count: layers)
        boundary = Array(repeating: Array(repeating: 0, count: shape.kvHeads), count: layers)
        lastPosition = Array(repeating: 0, count: layers)
    }

    public func beginCall(layer: Int, queryCount: Int, cache: KVCache) {
        let n0 = cache.count(layer: layer, kvHead: 0)
        lastPosition[layer] = cache.positions(layer: layer, kvHead: 0)[n0 - 1]
        needScores = queryCount > 1
            || (0..<cache.kvHeads).contains { cache.count(layer: layer, kvHead: $0) - boundary[layer][$0] >= window + budgets.block }
        guard needScores else { return }
        for g in 0..<cache.kvHeads { scores[layer][g] = [Float](repeating: 0, count: cache.count(layer: layer, kvHead: g)) }
    }

    public func observe(_ rows: HeadProbabilityRows) {
        let last = lastPosition[rows.layer]
        for i in 0..<rows.rowCount where rows.queryPositions[i] == last {
            let r = rows.row(i)
            scores[rows.layer][rows.kvHead].withUnsafeMutableBufferPointer { s in
                for j in 0..<min(r.count, s.count) { s[j] += r[j] }
            }
        }
    }

    public func nativeWindowRemoved(layer: Int, kvHead g: Int, oldest count: Int) {
        boundary[layer][g] = max(0, boundary[layer][g] - count)
        scores[layer][g].removeFirst(min(count, scores[layer][g].count))
    }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] {
        let b = budgets.block
        return (0..<cache.kvHeads).map { g in
            let n = cache.count(layer: layer, kvHead: g)
            let p = budgets.budgets[layer][g]
            if queryCount > 1 {
                let keep = TCASelection.select(scores: scores[layer][g], budgets: p, block: b, window: window, alpha: alpha)
                boundary[layer][g] = keep.count - min(window, n)
                return complement(of: keep, count: n)
            }
            guard n - boundary[layer][g] >= window + b else { return [] }
            let start = boundary[layer][g]
            let k = max(1, Int(TCASelection.expectedKeep(p, block: b)))
            let keep = topIndices(scores[layer][g], in: start ..< start + b, k: k)
            boundary[layer][g] = start + keep.count
            return complement(of: Array(0..<start) + keep + Array(start + b ..< n), count: n)
        }
    }
}
