// Invariants of the KV cache, checked in debug builds (and by tests through `invariantViolation`):
// every stream's entries lie within its slots (0 ≤ base, base + count ≤ capacity) and their
// positions strictly increase (appends come in position order; removal keeps order), which the
// causal mask in `Attention` relies on.

extension KVCache {
    /// A description of the first broken invariant, or nil.
    public func invariantViolation() -> String? {
        for layer in 0..<layers {
            for g in 0..<kvHeads {
                let n = count(layer: layer, kvHead: g)
                if n < 0 || n > capacity { return "layer \(layer) KV head \(g): count \(n) outside 0...\(capacity)" }
                let b = base(layer: layer, kvHead: g)
                if b < 0 || b + n > capacity {
                    return "layer \(layer) KV head \(g): entries at slots \(b) ..< \(b + n) outside 0 ..< \(capacity)"
                }
                let p = positions(layer: layer, kvHead: g)
                for i in 1..<max(1, n) where p[i] <= p[i - 1] {
                    return "layer \(layer) KV head \(g): positions not increasing at entry \(i) (\(p[i - 1]), \(p[i]))"
                }
            }
        }
        return nil
    }

    /// Traps on a broken invariant in debug builds; does nothing in release builds.
    @inline(__always)
    func checkInvariants() {
        #if DEBUG
        if let problem = invariantViolation() { preconditionFailure("KVCache: \(problem)") }
        #endif
    }
}
