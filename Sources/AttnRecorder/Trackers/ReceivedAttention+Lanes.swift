// The lane-level helpers of ReceivedAttention's scans: the ranked insert into a top-k list, the
// prefix sum of eight step counts, and the exact count-to-float conversion.

extension ReceivedAttention {
    /// Puts (p, score) into `best` (highest first, at most k) unless it does not beat the last of
    /// a full list; equal scores rank the earlier position first (FrozenTop.ranks), so the
    /// result does not depend on the order of the offers.
    @inline(__always)
    static func offer(_ p: Int, score a: Float, to best: inout [(position: Int, score: Float)], keeping k: Int) {
        if best.count == k, let last = best.last, !(a > last.score || (a == last.score && p < last.position)) { return }
        var i = best.count
        while i > 0 && (best[i - 1].score < a || (best[i - 1].score == a && best[i - 1].position > p)) { i -= 1 }
        best.insert((p, a), at: i)
        if best.count > k { best.removeLast() }
    }

    /// (d₀, d₀+d₁, …, d₀+…+d₇): three shifted additions.
    @inline(__always)
    static func inclusivePrefix(_ d: SIMD8<Int32>) -> SIMD8<Int32> {
        var cs = d &+ SIMD8(0, d[0], d[1], d[2], d[3], d[4], d[5], d[6])
        cs &+= SIMD8(0, 0, cs[0], cs[1], cs[2], cs[3], cs[4], cs[5])
        cs &+= SIMD8(0, 0, 0, 0, cs[0], cs[1], cs[2], cs[3])
        return cs
    }

    /// Counts 0 ≤ c < 2^23 as floats, exactly: 2^23 + c has the bits 0x4B00_0000 | c, so no
    /// conversion call (Swift's generic SIMD init compiled to one per 8 lanes).
    @inline(__always)
    static func floats(_ counts: SIMD8<Int32>) -> SIMD8<Float> {
        unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: counts) | 0x4B00_0000, to: SIMD8<Float>.self) - 8_388_608
    }
}
