import CBLAS

// `oracle`: the exact top-k by dense attention itself, at a given budget: the upper bound every
// selecting method is measured against (not a fast method: it computes the dense scores first).
//
// - `per=kv` (default): per KV head, the `budget` entries with the largest dense attention mass
//   summed over the group's query heads. Every other selecting policy here selects per KV head
//   (AttentionPolicy.swift), so this is their bound: no per-KV-head set of that size keeps more
//   of the group's summed mass.
// - `per=head`: per query head, its own `budget` entries of largest weight (QueryHeadSelecting):
//   the bound on each head's recall at |S| = budget. Softmax is monotone in the score, so these
//   are the top-`budget` scores q·k, the same sets `knn` selects.
// Prefill is dense; a decode call whose stream holds ≤ budget entries is dense.

public final class OraclePolicy: AttentionPolicy, QueryHeadSelecting {
    public let name = "oracle"
    public let mode = AttentionPolicyMode.selects
    public let budget: Int
    public let perHead: Bool
    public var parameters: [(key: String, value: String)] { [("budget", "\(budget)"), ("per", perHead ? "head" : "kv")] }
    let scores = ExactScores()

    public init(budget: Int = 256, perHead: Bool = false) throws {
        guard budget >= 1 else { throw PolicyError("policy oracle: budget=\(budget) must be ≥ 1") }
        self.budget = budget; self.perHead = perHead
    }

    convenience init(_ p: inout PolicyParameters) throws {
        try self.init(budget: p.int("budget"), perHead: p.choice("per") == "head")
    }

    public func reset(layers: Int, shape: AttentionShape) { scores.shape = shape }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] { [] }

    public func select(layer: Int, query q: UnsafePointer<Float>, cache: KVCache, into selection: inout [[Int]]) -> Bool {
        guard !perHead, (0..<cache.kvHeads).contains(where: { cache.count(layer: layer, kvHead: $0) > budget }) else { return false }
        let r = scores.shape.heads / cache.kvHeads
        for g in 0..<cache.kvHeads {
            let n = cache.count(layer: layer, kvHead: g)
            scores.compute(q: q, layer: layer, kvHead: g, cache: cache)
            var mass = [Float](repeating: 0, count: n)
            for hh in 0..<r {
                let row = scores.row(hh)
                _ = softmaxInPlace(row, count: n)
                for j in 0..<n { mass[j] += row[j] }
            }
            selection[g] = topIndices(mass, in: 0..<n, k: budget)
        }
        return true
    }

    public func selectPerQueryHead(layer: Int, query q: UnsafePointer<Float>, cache: KVCache,
                                   into selection: inout [[Int]]) -> Bool {
        guard perHead else { return false }
        return scores.selectTopScores(q: q, layer: layer, cache: cache, budget: budget, into: &selection)
    }
}

/// Dense scores of one KV head's query heads over its whole stream, for the exact selections.
final class ExactScores {
    var shape = AttentionShape(heads: 1, kvHeads: 1, headDim: 1)
    private var buffer = UnsafeMutablePointer<Float>.allocate(capacity: 1)   // [r, n]
    private var allocated = 1
    private(set) var n = 0

    deinit { buffer.deallocate() }

    /// buffer [r, n] = (1/√d) · Q_g [r, d] · K_g[0 ..< n]ᵀ; r = H/G, q [H·d].
    func compute(q: UnsafePointer<Float>, layer: Int, kvHead g: Int, cache: KVCache) {
        let r = shape.heads / shape.kvHeads, d = shape.headDim
        n = cache.count(layer: layer, kvHead: g)
        if allocated < r * n {
            buffer.deallocate()
            allocated = max(r * n, 2 * allocated)
            buffer = .allocate(capacity: allocated)
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(r), Int32(n), Int32(d),
                    1 / Float(d).squareRoot(), q + g * r * d, Int32(d), cache.keys(layer: layer, kvHead: g), Int32(d),
                    0, buffer, Int32(n))
    }

    /// Row hh [n] of the last `compute` (valid until the next one).
    func row(_ hh: Int) -> UnsafeMutablePointer<Float> { buffer + hh * n }

    /// Per query head, the `budget` entries of highest score (ties: the older), ascending; false
    /// when every stream holds ≤ budget entries (dense).
    func selectTopScores(q: UnsafePointer<Float>, layer: Int, cache: KVCache, budget: Int,
                         into selection: inout [[Int]]) -> Bool {
        guard (0..<cache.kvHeads).contains(where: { cache.count(layer: layer, kvHead: $0) > budget }) else { return false }
        let r = shape.heads / cache.kvHeads
        for g in 0..<cache.kvHeads {
            compute(q: q, layer: layer, kvHead: g, cache: cache)
            for hh in 0..<r {
                selection[g * r + hh] = topIndices(Array(UnsafeBufferPointer(start: row(hh), count: n)), in: 0..<n, k: budget)
            }
        }
        return true
    }
}
