// `power`: PowerAttention (arXiv 2503.03588; paper and project page, no code; METHODS.md §7).
// A static causal pattern at block level: key block j is visible to query block i when
//   j < sink  (sink blocks),  or  i − j < window  (local blocks, the query's own included),
//   or  i − j = 2^m for some m ≥ 0  (dilated links at power-of-two distances).
// Query-independent, so every KV head and query head of a layer gets the same set. Decode: the
// query's block is that of its own position; the selection is every cached entry whose position
// lies in a visible block (selecting: the cache keeps every entry, since with power-of-two
// distances every block stays reachable by some later query). Blocks are by original position.
// This project's reading (the paper gives no sizes): block = 16 positions, 1 sink block,
// window = 2 blocks. Prefill is dense here (the sparse prefill hook is not implemented).

public final class PowerPolicy: AttentionPolicy {
    public let name = "power"
    public let mode = AttentionPolicyMode.selects
    public let block: Int, sink: Int, window: Int
    public var parameters: [(key: String, value: String)] { [("block", "\(block)"), ("sink", "\(sink)"), ("window", "\(window)")] }

    public init(block: Int = 16, sink: Int = 1, window: Int = 2) throws {
        guard block >= 1 else { throw PolicyError("policy power: block=\(block) must be ≥ 1") }
        guard window >= 1 else { throw PolicyError("policy power: window=\(window) must be ≥ 1") }
        self.block = block; self.sink = max(0, sink); self.window = window
    }

    convenience init(_ p: inout PolicyParameters) throws {
        try self.init(block: p.int("block"), sink: p.int("sink"), window: p.int("window"))
    }

    public func reset(layers: Int, shape: AttentionShape) {}

    public func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] { [] }

    /// Key block j visible to query block i (j ≤ i).
    public func visible(keyBlock j: Int, queryBlock i: Int) -> Bool {
        let dist = i - j
        return j < sink || dist < window || (dist > 0 && dist & (dist - 1) == 0)
    }

    public func select(layer: Int, query q: UnsafePointer<Float>, cache: KVCache, into selection: inout [[Int]]) -> Bool {
        var anySkipped = false
        for g in 0..<cache.kvHeads {
            let n = cache.count(layer: layer, kvHead: g), p = cache.positions(layer: layer, kvHead: g)
            let qb = Int(p[n - 1]) / block
            var lastBlock = -1, lastVisible = false
            for i in 0..<n {
                let b = Int(p[i]) / block
                if b != lastBlock { lastBlock = b; lastVisible = visible(keyBlock: b, queryBlock: qb) }
                if lastVisible { selection[g].append(i) } else { anySkipped = true }
            }
        }
        return anySkipped
    }
}
