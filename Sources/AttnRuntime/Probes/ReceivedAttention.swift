// The received-attention score α_k (METHODS.md §16.3; Gu et al., arXiv 2410.10781): the mean
// attention key position k receives from the queries that could see it, kept as a running sum
// and count per position so that decode updates are O(visible keys). Its top positions show
// non-initial ("hidden") sinks as well as token 0 (ACT's test, METHODS.md §8, uses α_k > 0.1).
//
// The counts are kept as a difference array: a row over the run of positions a ..< b adds 1 at a
// and −1 at b, so counting a dense or windowed row is O(1) rather than a second pass over memory
// (at 4K context the recorder's per-head arrays are megabytes per step); `top` rebuilds the
// counts in one pass before it scans.

import Foundation

public struct ReceivedAttention {
    private(set) var sums: [Float]          // [capacity] Σ a_{t,k} over the queries that saw k
    private var countSteps: [Int32]         // [capacity + 1] count(k) = Σ_{i ≤ k} countSteps[i]
    private var limit = 0                   // one past the largest position seen

    public init(capacity: Int) {
        sums = [Float](repeating: 0, count: capacity)
        countSteps = [Int32](repeating: 0, count: capacity + 1)
    }

    /// How many queries saw each position: [capacity] (O(capacity); for tests and inspection).
    var counts: [Int32] {
        var c: Int32 = 0
        return countSteps.dropLast().map { c &+= $0; return c }
    }

    /// Adds one query row: probs[j] is the attention paid to keyPositions[j]; every listed key
    /// counts as seen (a query sees the keys it was offered, attended or not).
    public mutating func add(_ probs: UnsafeBufferPointer<Float>, keyPositions: UnsafeBufferPointer<Int32>) {
        let n = min(probs.count, keyPositions.count)
        guard n > 0 else { return }
        limit = max(limit, min(sums.count, Int(keyPositions[n - 1]) + 1))
        sums.withUnsafeMutableBufferPointer { s in
            countSteps.withUnsafeMutableBufferPointer { c in
                // Contiguous positions (dense, or a window): a straight vectorisable loop.
                let k0 = Int(keyPositions[0])
                if Int(keyPositions[n - 1]) - k0 == n - 1 && k0 + n <= s.count {
                    let sb = s.baseAddress! + k0, pb = probs.baseAddress!
                    for j in 0..<n { sb[j] += pb[j] }
                    c[k0] &+= 1; c[k0 + n] &-= 1
                    return
                }
                for j in 0..<n {
                    let k = Int(keyPositions[j])
                    guard k < s.count else { continue }
                    s[k] += probs[j]; c[k] &+= 1; c[k + 1] &-= 1
                }
            }
        }
    }

    /// `add(probs, keyPositions:)` for keys that form the sorted disjoint `ranges` (in order:
    /// probs[0 ..< ranges[0].count] belong to ranges[0], and so on), and returns −Σ p ln p of the
    /// row summed exactly as `HeadStatistics.normalisedEntropy` does (8 lanes with fastLog, then
    /// logf for the tail), so its result is the same. A single range (dense, a window) is one
    /// pass over the row; otherwise the adds go range by range and the entropy is a second pass.
    public mutating func addReturningEntropy(_ probs: UnsafeBufferPointer<Float>, ranges: [Range<Int>]) -> Float {
        let n = probs.count
        guard n > 0, let pb = probs.baseAddress, let last = ranges.last else { return 0 }
        precondition(ranges.reduce(0) { $0 + $1.count } == n, "ranges cover \(n) keys")
        let capacity = sums.count
        limit = max(limit, min(capacity, last.upperBound))
        countSteps.withUnsafeMutableBufferPointer { c in
            for r in ranges where r.lowerBound < capacity {
                c[r.lowerBound] &+= 1; c[min(r.upperBound, capacity)] &-= 1
            }
        }
        return sums.withUnsafeMutableBufferPointer { s in
            if ranges.count == 1 && last.upperBound <= capacity {
                let st = s.baseAddress! + last.lowerBound
                let sb = UnsafeMutableRawPointer(st), pr = UnsafeRawPointer(pb)
                var acc = SIMD8<Float>()
                var j = 0
                while j + 8 <= n {
                    let p = pr.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                    sb.storeBytes(of: sb.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) + p,
                                  toByteOffset: j * 4, as: SIMD8<Float>.self)
                    let safe = p.replacing(with: 1, where: p .<= 0)   // as in normalisedEntropy
                    acc -= p.replacing(with: 0, where: p .<= 0) * HeadStatistics.fastLog(safe)
                    j += 8
                }
                var h = acc.sum()
                while j < n {
                    let p = pb[j]
                    st[j] += p
                    if p > 0 { h -= p * logf(p) }
                    j += 1
                }
                return h
            }
            var j = 0
            for r in ranges {
                for k in r {
                    if k < capacity { s[k] += pb[j] }
                    j += 1
                }
            }
            return HeadStatistics.entropySum(probs)
        }
    }

    /// α_k, or nil when no query has seen position k yet.
    public func score(_ k: Int) -> Float? {
        guard k >= 0 && k < sums.count else { return nil }
        let c = countSteps[0...k].reduce(0, &+)
        return c > 0 ? sums[k] / Float(c) : nil
    }

    /// The `k` positions with the highest α, highest first (ties: earlier position first).
    public func top(_ k: Int) -> [(position: Int, score: Float)] {
        var best: [(position: Int, score: Float)] = []
        guard k > 0, limit > 0 else { return best }
        best.reserveCapacity(k + 1)
        // The counts as floats (exact below 2^24), rebuilt from the difference array in one pass:
        // under a sliding window every position has a step, so no block of them is flat.
        let counts = [Float](unsafeUninitializedCapacity: limit) { out, initialized in
            countSteps.withUnsafeBufferPointer { steps in
                var running: Int32 = 0
                for p in 0..<limit { running &+= steps[p]; out[p] = Float(running) }
            }
            initialized = limit
        }
        sums.withUnsafeBufferPointer { s in
            counts.withUnsafeBufferPointer { c in
                func consider(_ p: Int) {
                    guard c[p] > 0 else { return }
                    let a = s[p] / c[p]
                    if best.count == k, let last = best.last, a <= last.score { return }
                    var i = best.count
                    while i > 0 && best[i - 1].score < a { i -= 1 }
                    best.insert((p, a), at: i)
                    if best.count > k { best.removeLast() }
                }
                // Once the list is full, skip 8 positions at a time when none beats its last score
                // (sum > score · count, so no division), which is nearly always.
                var p = 0
                let sRaw = UnsafeRawPointer(s.baseAddress!), cRaw = UnsafeRawPointer(c.baseAddress!)
                while p + 8 <= limit {
                    if best.count == k {
                        let sv = sRaw.loadUnaligned(fromByteOffset: p * 4, as: SIMD8<Float>.self)
                        let cv = cRaw.loadUnaligned(fromByteOffset: p * 4, as: SIMD8<Float>.self)
                        if !any(sv .> cv * best[k - 1].score) { p += 8; continue }
                    }
                    for q in p ..< p + 8 { consider(q) }
                    p += 8
                }
                while p < limit { consider(p); p += 1 }
            }
        }
        return best
    }
}
