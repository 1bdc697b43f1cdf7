// A model's native sliding window (Gemma 3's local layers): a query at position p sees only the
// entries at positions p − window + 1 ... p. After every call of a windowed layer the cache
// drops the entries that no later query can see, so such a layer's stream never holds more than
// `window` entries during a decode call (its KV bytes stay flat) and a policy there sees only
// the window; the policy is told which entries left (`nativeWindowRemoved`). These removals
// are the model's own sparsity: they are not policy evictions (`AttentionProbe.entriesEvicted`).

extension Attention {
    /// Stream index of the first of `count` entries (positions increasing) that a query at
    /// `query` sees through `window`: the first position > query − window.
    func windowStart(_ positions: UnsafePointer<Int32>, count: Int, query: Int32, window: Int) -> Int {
        let bound = Int(query) - window   // entries at positions ≤ bound are outside
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(positions[mid]) <= bound { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Removes, from every KV stream of `layer`, the entries the next query (at lastPosition + 1)
    /// cannot see, and tells the policy (nothing when `dropsBehindWindow` is off).
    func dropBehindWindow(_ window: Int, layer: Int, lastPosition: Int32, cache: KVCache) {
        guard dropsBehindWindow else { return }
        for g in 0..<cache.kvHeads {
            let n = cache.count(layer: layer, kvHead: g)
            let k = windowStart(cache.positions(layer: layer, kvHead: g), count: n, query: lastPosition + 1, window: window)
            guard k > 0 else { continue }
            cache.remove(layer: layer, kvHead: g, indices: Array(0..<k))
            policy?.nativeWindowRemoved(layer: layer, kvHead: g, oldest: k)
        }
    }
}
