// `snapkv`: SnapKV (arXiv 2404.14469) [code: FasterDecoding/SnapKV
// `snapkv/monkeypatch/snapkv_utils.py::SnapKVCluster.update_kv`]. Once, at the end of prefill:
// the last `window` prompt queries (the observation window) vote for the older entries with
// the attention they pay them, votes are smoothed by a 1-D pool (`kernel`, stride 1, "same"
// padding), and the top (capacity − window) older entries plus the window are kept. A prompt
// shorter than `capacity` keeps everything. Decode never evicts.
//
// GQA (this project's choice): the reference repeats KV heads and selects per query head; here
// the votes of a group's query heads are SUMMED and the cache is evicted per KV head.

public final class SnapKVPolicy: AttentionPolicy {
    public enum Pooling: String { case avg, max }

    public let name = "snapkv"
    public let mode = AttentionPolicyMode.evicts
    public let window: Int
    public let capacity: Int
    public let kernel: Int
    public let pooling: Pooling
    public var parameters: [(key: String, value: String)] {
        [("window", "\(window)"), ("capacity", "\(capacity)"), ("kernel", "\(kernel)"), ("pool", pooling.rawValue)]
    }
    /// Votes come from prefill only; decode keeps the attention fast path.
    public var observesAttention: Bool { observing }
    private var observing = true

    private var votes: [[[Float]]] = []          // [layer][kvHead][streamIndex] during a prefill call
    private var firstWindowPosition: [Int32] = [] // [layer] position of the first observation query

    public init(window: Int = 32, capacity: Int = 1024, kernel: Int = 5, pooling: Pooling = .avg) throws {
        guard window >= 1 else { throw PolicyError("policy snapkv: window=\(window) must be ≥ 1") }
        guard capacity > window else { throw PolicyError("policy snapkv: capacity=\(capacity) must exceed window=\(window)") }
        guard kernel >= 1 && kernel % 2 == 1 else { throw PolicyError("policy snapkv: kernel=\(kernel) must be an odd number ≥ 1") }
        self.window = window; self.capacity = capacity; self.kernel = kernel; self.pooling = pooling
    }

    convenience init(_ p: inout PolicyParameters) throws {
        try self.init(window: p.int("window"),
                      capacity: p.int("capacity"),
                      kernel: p.int("kernel"),
                      pooling: Pooling(rawValue: p.choice("pool"))!)
    }

    public func reset(layers: Int, shape: AttentionShape) {
        votes = Array(repeating: Array(repeating: [], count: shape.kvHeads), count: layers)
        firstWindowPosition = Array(repeating: .max, count: layers)
    }

    private func isPrefill(_ queryCount: Int) -> Bool { queryCount > 1 }

    public func beginCall(layer: Int, queryCount: Int, cache: KVCache) {
        observing = isPrefill(queryCount)
        guard isPrefill(queryCount) else { return }
        let n = cache.count(layer: layer, kvHead: 0)
        let last = cache.positions(layer: layer, kvHead: 0)[n - 1]
        firstWindowPosition[layer] = last - Int32(min(window, queryCount)) + 1
        for g in 0..<cache.kvHeads { votes[layer][g] = [Float](repeating: 0, count: cache.count(layer: layer, kvHead: g)) }
    }

    public func observe(_ rows: HeadProbabilityRows) {
        guard rows.rowCount > 1 || votes[rows.layer][rows.kvHead].count > 0 else { return }
        let first = firstWindowPosition[rows.layer]
        votes[rows.layer][rows.kvHead].withUnsafeMutableBufferPointer { v in
            for i in 0..<rows.rowCount where rows.queryPositions[i] >= first {
                let r = rows.row(i)
                for j in 0..<min(r.count, v.count) { v[j] += r[j] }
            }
        }
    }

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] {
        defer { for g in votes[layer].indices { votes[layer][g] = [] } }
        guard isPrefill(queryCount) else { return Array(repeating: [], count: cache.kvHeads) }
        return (0..<cache.kvHeads).map { g in
            let n = cache.count(layer: layer, kvHead: g)
            guard n >= capacity else { return [] }
            let prefix = n - window
            let pooled = pool1D(Array(votes[layer][g][0..<prefix]), kernel: kernel, pooling: pooling)
            let keep = topIndices(pooled, in: 0..<prefix, k: capacity - window) + Array(prefix..<n)
            return complement(of: keep, count: n)
        }
    }
}

/// 1-D pooling with stride 1 and "same" padding (kernel/2 each side): avg divides by `kernel`
/// (padding counts as 0, like PyTorch's avg_pool1d default), max ignores the padding.
func pool1D(_ x: [Float], kernel k: Int, pooling: SnapKVPolicy.Pooling) -> [Float] {
    let half = k / 2, n = x.count
    return (0..<n).map { i in
        let lo = max(0, i - half), hi = min(n - 1, i + half)
        switch pooling {
        case .avg: return x[lo...hi].reduce(0, +) / Float(k)
        case .max: return x[lo...hi].max() ?? 0
        }
    }
}
