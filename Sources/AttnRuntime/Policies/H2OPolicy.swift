// `h2o`: Heavy-Hitter Oracle (arXiv 2306.14048) [code: FMInference/H2O
// `h2o_hf/utils_real_drop/modify_llama.py::H2OKVCache_LayerWise`]. Every cache entry carries the
// attention it has received, accumulated over all queries so far (prefill adds its column sums).
// After each attention call, if the cache holds more than heavy + window entries, it keeps the
// `heavy` entries with the highest accumulated score among the older ones plus the `window`
// most recent, and evicts the rest with their scores. The current query has seen the
// pre-eviction cache.
//
// GQA (this project's choice, docs/policies.md): the reference is per head on MHA models; here
// scores are kept per KV head as the SUM over the query heads of its group, and eviction is
// per KV head.

public final class H2OPolicy: AttentionPolicy {
    public let name = "h2o"
    public let mode = AttentionPolicyMode.evicts
    public let heavy: Int
    public let window: Int
    public var parameters: [(key: String, value: String)] { [("heavy", "\(heavy)"), ("window", "\(window)")] }
    public var observesAttention: Bool { true }

    /// scores[layer][kvHead][streamIndex]: accumulated attention (sum over the group's heads).
    public private(set) var scores: [[[Float]]] = []

    public init(heavy: Int = 64, window: Int = 64) throws {
        guard heavy >= 0 else { throw PolicyError("policy h2o: heavy=\(heavy) must be ≥ 0") }
        guard window >= 1 else { throw PolicyError("policy h2o: window=\(window) must be ≥ 1") }
        self.heavy = heavy; self.window = window
    }

    convenience init(_ p: inout PolicyParameters) throws {
        try self.init(heavy: p.int("heavy"),
                      window: p.int("window"))
    }

    public func reset(layers: Int, shape: AttentionShape) {
        scores = Array(repeating: Array(repeating: [], count: shape.kvHeads), count: layers)
    }

    public func beginCall(layer: Int, queryCount: Int, cache: KVCache) {
        for g in 0..<cache.kvHeads {
            let n = cache.count(layer: layer, kvHead: g)
            // New entries start at 0 and receive this call's attention in `observe`.
            if scores[layer][g].count < n {
                scores[layer][g].append(contentsOf: repeatElement(0, count: n - scores[layer][g].count))
            }
        }
    }

    public func observe(_ rows: HeadProbabilityRows) {
        scores[rows.layer][rows.kvHead].withUnsafeMutableBufferPointer { s in
            for i in 0..<rows.rowCount {
                let r = rows.row(i)
                for j in 0..<min(r.count, s.count) { s[j] += r[j] }
            }
        }
    }

    public func nativeWindowRemoved(layer: Int, kvHead g: Int, oldest count: Int) {
        scores[layer][g].removeFirst(min(count, scores[layer][g].count))
    }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] {
        (0..<cache.kvHeads).map { g in
            let n = cache.count(layer: layer, kvHead: g)
            guard n > heavy + window else { return [] }
            let keep = topIndices(scores[layer][g], in: 0 ..< n - window, k: heavy) + Array(n - window ..< n)
            let drop = complement(of: keep, count: n)
            compact(&scores[layer][g], dropping: drop)
            return drop
        }
    }
}
