// Per-row attention statistics (METHODS.md §16): pure functions over one query row's
// probabilities, used by the recorder and tested on hand-made rows.
//
// A row is `probs[j]` for the key at `keyPositions[j]` (j = stream index, ascending positions);
// entries a query did not attend to are absent or 0.

import AttnRuntime
import Foundation

public enum HeadStatistics {
    /// H / ln|V|, with H = −Σ p ln p over the row (natural log), in [0, 1]; 0 when |V| ≤ 1.
    /// `visible` is |V_t| (the keys the query could see), which may exceed probs.count.
    /// Fast path: 8 lanes at a time with `fastLog` (absolute error of ln below 1e-5).
    public static func normalisedEntropy(_ probs: UnsafeBufferPointer<Float>, visible: Int) -> Float {
        guard visible > 1 else { return 0 }
        return normalised(entropy: entropySum(probs), visible: visible)
    }

    /// −Σ p ln p over the row (unnormalised), 8 lanes at a time with `fastLog`.
    static func entropySum(_ probs: UnsafeBufferPointer<Float>) -> Float {
        guard let base = probs.baseAddress else { return 0 }
        let n = probs.count
        var acc = SIMD8<Float>()
        var j = 0
        let raw = UnsafeRawPointer(base)
        while j + 8 <= n {
            let p = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            let safe = p.replacing(with: 1, where: p .<= 0)   // p = 0 contributes 0 (ln 1 = 0)
            acc -= p.replacing(with: 0, where: p .<= 0) * fastLog(safe)
            j += 8
        }
        var h = acc.sum()
        while j < n { let p = base[j]; if p > 0 { h -= p * logf(p) }; j += 1 }
        return h
    }

    /// −Σ p ln p as accumulated above, normalised by ln|V| and clamped to [0, 1].
    @inline(__always)
    static func normalised(entropy h: Float, visible: Int) -> Float {
        visible > 1 ? min(1, max(0, h / logf(Float(visible)))) : 0
    }

    /// The reference: scalar logf.
    public static func normalisedEntropyNaive(_ probs: UnsafeBufferPointer<Float>, visible: Int) -> Float {
        guard visible > 1 else { return 0 }
        var h: Float = 0
        for p in probs where p > 0 { h -= p * logf(p) }
        return min(1, max(0, h / logf(Float(visible))))
    }

    /// ln x for positive normal x: x = 2^e · m, m ∈ [1, 2); ln m = 2·atanh(u), u = (m−1)/(m+1) ≤ 1/3,
    /// by its series to u⁹ (truncation error < 3e-6).
    @inline(__always)
    static func fastLog(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        // e = exponent − 127 as a float, exactly: 2^23 + b has the bits 0x4B00_0000 | b for
        // b < 2^23, so no int→float conversion (which Swift's generic SIMD init turns into a call)
        let e = unsafeBitCast(((bits &>> 23) & 0xff) | 0x4B00_0000, to: SIMD8<Float>.self) - 8_388_735   // 2^23 + 127
        let m = unsafeBitCast((bits & 0x007f_ffff) | 0x3f80_0000, to: SIMD8<Float>.self)
        let u = (m - 1) / (m + 1), u2 = u * u
        var poly = SIMD8<Float>(repeating: 1 / 9)
        poly = poly * u2 + 1 / 7
        poly = poly * u2 + 1 / 5
        poly = poly * u2 + 1 / 3
        poly = poly * u2 + 1
        return e * 0.693_147_18 + 2 * u * poly
    }

    /// Σ p_j over the keys whose original position is < k (k = 1: token 0; k = 4: StreamingLLM's sinks).
    public static func sinkMass(_ probs: UnsafeBufferPointer<Float>, keyPositions: UnsafeBufferPointer<Int32>,
                                firstPositions k: Int) -> Float {
        var mass: Float = 0
        for j in 0..<min(probs.count, keyPositions.count) {
            if Int(keyPositions[j]) >= k { break }   // positions ascend
            mass += probs[j]
        }
        return mass
    }

    /// Recall R = Σ_{j∈S} a_j^dense: the share of the dense row's mass that the selected
    /// positions cover. dense [position] is the dense row over positions 0 ..< dense.count.
    public static func recall(selected positions: UnsafeBufferPointer<Int32>, dense: UnsafeBufferPointer<Float>) -> Float {
        var r: Float = 0
        for p in positions where Int(p) < dense.count { r += dense[Int(p)] }
        return min(1, r)
    }

    /// ‖o − o_ref‖₂ / ‖o_ref‖₂ (0 when both are 0, +∞ when only the reference is 0).
    public static func relativeError(_ o: UnsafeBufferPointer<Float>, reference: UnsafeBufferPointer<Float>) -> Float {
        var diff: Double = 0, norm: Double = 0
        for c in 0..<min(o.count, reference.count) {
            let e = Double(o[c]) - Double(reference[c])
            diff += e * e
            norm += Double(reference[c]) * Double(reference[c])
        }
        if norm == 0 { return diff == 0 ? 0 : .infinity }
        return Float((diff / norm).squareRoot())
    }

    /// Overlap of two selections given as ascending positions: kept = |S ∩ P| / |S| (NOSA's γ),
    /// jaccard = |S ∩ P| / |S ∪ P|. Both 1 when both sets are empty.
    public static func overlap(current s: UnsafeBufferPointer<Int32>, previous p: UnsafeBufferPointer<Int32>)
        -> (kept: Float, jaccard: Float) {
        var i = 0, j = 0, common = 0
        // Fast path: the previous set is a prefix of this one (dense attention, a growing cache).
        if p.count <= s.count, p.count > 0, memcmp(s.baseAddress!, p.baseAddress!, p.count * 4) == 0 {
            common = p.count; i = s.count
        }
        while i < s.count && j < p.count {
            if s[i] == p[j] { common += 1; i += 1; j += 1 } else if s[i] < p[j] { i += 1 } else { j += 1 }
        }
        let union = s.count + p.count - common
        let kept: Float = s.isEmpty ? 1 : Float(common) / Float(s.count)
        let jaccard: Float = union == 0 ? 1 : Float(common) / Float(union)
        return (kept, jaccard)
    }

    /// `overlap(current:previous:)` for selections given as sorted disjoint ranges: O(ranges)
    /// instead of O(positions), with the same integer counts and so the same results.
    public static func overlap(current s: [Range<Int>], previous p: [Range<Int>]) -> (kept: Float, jaccard: Float) {
        overlap(common: commonCount(s, p), current: s.reduce(0) { $0 + $1.count }, previous: p.reduce(0) { $0 + $1.count })
    }

    /// kept = common / |S| and jaccard = common / |S ∪ P| from the counts (both 1 when the sets are empty).
    @inline(__always)
    public static func overlap(common: Int, current sCount: Int, previous pCount: Int) -> (kept: Float, jaccard: Float) {
        let union = sCount + pCount - common
        let kept: Float = sCount == 0 ? 1 : Float(common) / Float(sCount)
        let jaccard: Float = union == 0 ? 1 : Float(common) / Float(union)
        return (kept, jaccard)
    }

    /// |S ∩ P| for two lists of sorted disjoint ranges, in O(ranges).
    static func commonCount(_ s: [Range<Int>], _ p: [Range<Int>]) -> Int {
        var common = 0, i = 0, j = 0
        while i < s.count && j < p.count {
            // Runs of equal ranges (a selection that barely changed between steps): one
            // predictable step per pair instead of two data-dependent ones.
            while s[i] == p[j] {
                common += s[i].count
                i += 1; j += 1
                if i == s.count || j == p.count { return common }
            }
            common += max(0, min(s[i].upperBound, p[j].upperBound) - max(s[i].lowerBound, p[j].lowerBound))
            if s[i].upperBound < p[j].upperBound { i += 1 } else { j += 1 }
        }
        return common
    }

    /// `ranges(_:)` into a reused array. A fully contiguous selection (dense, a window) costs
    /// O(1); otherwise 8 positions at a time are checked for a run break (positions[j] ≠
    /// positions[j−1] + 1) with one test, and only groups with a break go position by position.
    /// With `atMost`, gives up (returns false, `out` then partial) as soon as there are more runs.
    @discardableResult
    public static func ranges(_ positions: UnsafeBufferPointer<Int32>, into out: inout [Range<Int>],
                              atMost limit: Int = .max) -> Bool {
        out.removeAll(keepingCapacity: true)
        let n = positions.count
        guard n > 0, let base = positions.baseAddress else { return true }
        if Int(positions[n - 1]) - Int(positions[0]) == n - 1 {
            out.append(Int(positions[0]) ..< Int(positions[n - 1]) + 1)
            return limit >= 1
        }
        let raw = UnsafeRawPointer(base)
        var runStart = Int(base[0])
        var j = 1
        while j + 8 <= n {
            // positions[j ..< j+8] − positions[j−1 ..< j+7] − 1, all zero inside a run (tested as
            // four words: SIMD compares compiled to loops over the lanes)
            let step = raw.loadUnaligned(fromByteOffset: j &* 4, as: SIMD8<Int32>.self)
                &- raw.loadUnaligned(fromByteOffset: (j &- 1) &* 4, as: SIMD8<Int32>.self) &- 1
            if !allZero(step) {
                for t in j ..< j &+ 8 where Int(base[t]) != Int(base[t &- 1]) + 1 {   // a run ends before t
                    out.append(runStart ..< Int(base[t &- 1]) + 1)
                    runStart = Int(base[t])
                }
                if out.count >= limit { return false }   // and at least one more run follows
            }
            j &+= 8
        }
        while j < n {
            if Int(base[j]) != Int(base[j &- 1]) + 1 {
                out.append(runStart ..< Int(base[j &- 1]) + 1)
                runStart = Int(base[j])
            }
            j &+= 1
        }
        out.append(runStart ..< Int(base[n - 1]) + 1)
        return out.count <= limit
    }

    /// All 8 lanes zero, tested as four 64-bit words (a SIMD compare compiled to a loop over the
    /// lanes, each through the stack).
    @inline(__always) static func allZero(_ v: SIMD8<Int32>) -> Bool {
        let w = unsafeBitCast(v, to: SIMD4<UInt64>.self)
        return (w[0] | w[1] | w[2] | w[3]) == 0
    }

    /// Ascending positions as sorted disjoint half-open ranges (`0,1,2,7,8` → `0..<3, 7..<9`).
    public static func ranges(_ positions: UnsafeBufferPointer<Int32>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < positions.count {
            let lo = Int(positions[i])
            var hi = lo + 1
            i += 1
            while i < positions.count && Int(positions[i]) == hi { hi += 1; i += 1 }
            out.append(lo..<hi)
        }
        return out
    }

    /// Dense reference for one head and one query over keys/values [n, d] (n = all positions so
    /// far, index = position): probs [n] = softmax(q·kᵀ/√d), out [d] = Σ probs_j v_j.
    public static func denseRow(probs: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                                q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                                count n: Int, headDim d: Int) {
        denseAttentionRow(probs: probs, out: out, q: q, keys: keys, values: values, count: n, headDim: d)
    }

    /// out [d] = Σ_j probs[j] · values[positions[j]] for values indexed by position [*, d]:
    /// the output a row of probabilities over the given positions produces.
    public static func output(_ out: UnsafeMutablePointer<Float>, probs: UnsafeBufferPointer<Float>,
                              positions: UnsafeBufferPointer<Int32>, values: UnsafePointer<Float>, headDim d: Int) {
        out.update(repeating: 0, count: d)
        for j in 0..<min(probs.count, positions.count) {
            let p = probs[j]
            if p == 0 { continue }
            let v = values + Int(positions[j]) * d
            for c in 0..<d { out[c] += p * v[c] }
        }
    }
}
