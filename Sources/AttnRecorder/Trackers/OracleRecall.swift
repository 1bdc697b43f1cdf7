// Oracle recall: the share of a dense row's mass held by its k largest probabilities, the best
// recall any selection of k keys can reach (the exact top-k of dense attention). The recorder
// uses k = the number of keys the head attended to, so oracle recall − recall is how far the
// policy's choice falls short of the best choice at its own budget.

extension HeadStatistics {
    /// Σ of the k largest values of `dense` (clamped to 1, as `recall` is), without a full sort:
    /// the k-th largest value t by partial selection (quickselect) on a copy in `scratch`
    /// ([dense.count]), then Σ_{v ≥ t} v in index order − (#{v ≥ t} − k) · t (ties at t). Summing in
    /// index order makes the result bit-equal to `recall` when the selection is the top k without
    /// ties (and for k ≥ n).
    public static func oracleRecall(dense: UnsafeBufferPointer<Float>, k: Int,
                                    scratch: UnsafeMutablePointer<Float>) -> Float {
        let n = dense.count
        if k <= 0 || n == 0 { return 0 }
        if k >= n {
            var r: Float = 0
            for v in dense { r += v }
            return min(1, r)
        }
        scratch.update(from: dense.baseAddress!, count: n)
        let t = kthLargest(scratch, count: n, k: k)
        var r: Float = 0, atLeast = 0
        for v in dense where v >= t { r += v; atLeast += 1 }
        if atLeast > k { r -= Float(atLeast - k) * t }
        return min(1, r)
    }

    /// The k-th largest of a[0 ..< n] (1 ≤ k ≤ n), reordering `a`: Hoare partitions around a
    /// median of three, descending, keeping only the side that holds index k − 1. O(n) expected.
    static func kthLargest(_ a: UnsafeMutablePointer<Float>, count n: Int, k: Int) -> Float {
        var lo = 0, hi = n - 1
        let target = k - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            // median of a[lo], a[mid], a[hi] as the pivot
            var x = a[lo], y = a[mid], z = a[hi]
            if x < y { swap(&x, &y) }
            if y < z { swap(&y, &z) }
            if x < y { swap(&x, &y) }
            let pivot = y
            var i = lo, j = hi
            while i <= j {
                while a[i] > pivot { i += 1 }
                while a[j] < pivot { j -= 1 }
                if i <= j {
                    let s = a[i]; a[i] = a[j]; a[j] = s
                    i += 1; j -= 1
                }
            }
            // now a[lo ... j] ≥ pivot ≥ a[i ... hi], and a[j + 1 ..< i] == pivot
            if target <= j { hi = j } else if target >= i { lo = i } else { return pivot }
        }
        return a[target]
    }

    /// The reference: sort descending, sum the first k (clamped to 1).
    public static func oracleRecallNaive(dense: [Float], k: Int) -> Float {
        let top = dense.sorted(by: >).prefix(max(0, k))
        var r: Float = 0
        for v in top { r += v }
        return min(1, r)
    }
}
