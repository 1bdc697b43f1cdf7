// The received-attention score α_k (METHODS.md §16.3; Gu et al., arXiv 2410.10781): the mean
// attention key position k receives from the queries that could see it, kept as a running sum
// and count per position so that decode updates are O(visible keys). Its top positions show
// non-initial ("hidden") sinks as well as token 0 (ACT's test, METHODS.md §8, uses α_k > 0.1).
//
// The counts are kept as a difference array: a row over the run of positions a ..< b adds 1 at a
// and −1 at b, so counting a dense or windowed row is O(1) rather than a second pass over memory
// (at 4K context the recorder's per-head arrays are megabytes per step); `top` rebuilds the
// counts as it scans. A position's count is that prefix sum plus its base count, which
// LiveReceivedAttention reads and writes directly (it needs one position's count in O(1), so it
// first folds the difference array into the bases: `withStorage`).

import AttnRuntime
import Foundation

public struct ReceivedAttention {
    /// Positions held: 0 ..< capacity (keys at or past it are ignored).
    public let capacity: Int
    private(set) var sums: [Float]          // [capacity + 8] Σ a_{t,k} over the queries that saw k (0 past capacity)
    private var countSteps: [Int32]         // [capacity + 8] count(k) = countBase[k] + Σ_{i ≤ k} countSteps[i]
    private var countBase: [Int32]          // [capacity + 8] counts written directly (LiveReceivedAttention)
    private var stepsAreZero = true         // countSteps is all zero
    private var hasBase = false             // countBase may be nonzero
    private(set) var limit = 0              // one past the largest position seen

    public init(capacity: Int) {
        precondition(capacity >= 0 && capacity < 1 << 23, "capacity \(capacity): counts must stay below 2^23")
        self.capacity = capacity
        // Both padded to whole groups of 8 past the capacity: `top` loads 8 lanes at a time.
        sums = [Float](repeating: 0, count: capacity + 8)
        countSteps = [Int32](repeating: 0, count: capacity + 8)
        countBase = [Int32](repeating: 0, count: capacity + 8)
    }

    /// How many queries saw each position: [capacity] (O(capacity); for tests and inspection).
    var counts: [Int32] {
        var c: Int32 = 0
        return (0..<capacity).map { k in c &+= countSteps[k]; return c &+ countBase[k] }
    }

    /// Adds one query row: probs[j] is the attention paid to keyPositions[j]; every listed key
    /// counts as seen (a query sees the keys it was offered, attended or not).
    public mutating func add(_ probs: UnsafeBufferPointer<Float>, keyPositions: UnsafeBufferPointer<Int32>) {
        let n = min(probs.count, keyPositions.count)
        guard n > 0 else { return }
        limit = max(limit, min(capacity, Int(keyPositions[n - 1]) + 1))
        stepsAreZero = false
        sums.withUnsafeMutableBufferPointer { s in
            countSteps.withUnsafeMutableBufferPointer { c in
                // Contiguous positions (dense, or a window): a straight vectorisable loop.
                let k0 = Int(keyPositions[0])
                if Int(keyPositions[n - 1]) - k0 == n - 1 && k0 + n <= capacity {
                    let sb = s.baseAddress! + k0, pb = probs.baseAddress!
                    for j in 0..<n { sb[j] += pb[j] }
                    c[k0] &+= 1; c[k0 + n] &-= 1
                    return
                }
                for j in 0..<n {
                    let k = Int(keyPositions[j])
                    guard k < capacity else { continue }
                    s[k] += probs[j]; c[k] &+= 1; c[k + 1] &-= 1
                }
            }
        }
    }

    /// The same for one run of positions (dense, a window; r.upperBound ≤ capacity): one pass
    /// over the row adds α_k and sums the entropy.
    public mutating func addReturningEntropy(_ probs: UnsafeBufferPointer<Float>, run r: Range<Int>) -> Float {
        addReturningEntropy(probs, run: r, countedAlready: false)
    }

    private mutating func addReturningEntropy(_ probs: UnsafeBufferPointer<Float>, run r: Range<Int>, countedAlready: Bool) -> Float {
        let n = probs.count
        guard n > 0, let pb = probs.baseAddress else { return 0 }
        precondition(r.count == n && r.upperBound <= capacity, "run \(r) for \(n) probabilities, capacity \(capacity)")
        if !countedAlready {
            limit = max(limit, r.upperBound)
            stepsAreZero = false
            countSteps.withUnsafeMutableBufferPointer { c in c[r.lowerBound] &+= 1; c[r.upperBound] &-= 1 }
        }
        return sums.withUnsafeMutableBufferPointer { s in
            let st = s.baseAddress! + r.lowerBound
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
    }

    /// `add(probs, keyPositions:)` for keys (ascending) that form the sorted disjoint `ranges`,
    /// and returns −Σ p ln p of the row summed exactly as `HeadStatistics.normalisedEntropy` does
    /// (8 lanes with fastLog, then logf for the tail), so its result is the same. A single range
    /// (dense, a window) is one pass over the row; otherwise the counts and sums go range by range
    /// and the entropy is a second pass. (HeadTracker sends only selections of few runs here.)
    public mutating func addReturningEntropy(_ probs: UnsafeBufferPointer<Float>, keyPositions keys: UnsafeBufferPointer<Int32>,
                                             ranges: [Range<Int>]) -> Float {
        addAlong(probs, keyPositions: keys, ranges: ranges, entropy: true)
    }

    /// `add(probs, keyPositions:)` for keys that form the sorted disjoint `ranges`: counts O(runs),
    /// sums run by run (no entropy: the caller has it).
    public mutating func add(_ probs: UnsafeBufferPointer<Float>, keyPositions keys: UnsafeBufferPointer<Int32>,
                             ranges: [Range<Int>]) {
        _ = addAlong(probs, keyPositions: keys, ranges: ranges, entropy: false)
    }

    @inline(__always)
    private mutating func addAlong(_ probs: UnsafeBufferPointer<Float>, keyPositions keys: UnsafeBufferPointer<Int32>,
                                   ranges: [Range<Int>], entropy: Bool) -> Float {
        let n = probs.count
        guard n > 0, let pb = probs.baseAddress, let last = ranges.last else { return 0 }
        precondition(keys.count == n, "\(keys.count) key positions for \(n) probabilities")
        limit = max(limit, min(capacity, last.upperBound))
        stepsAreZero = false
        countSteps.withUnsafeMutableBufferPointer { c in
            for r in ranges where r.lowerBound < capacity {
                c[r.lowerBound] &+= 1; c[min(r.upperBound, capacity)] &-= 1
            }
        }
        if entropy && ranges.count == 1 && last.upperBound <= capacity {
            return addReturningEntropy(probs, run: last, countedAlready: true)
        }
        return sums.withUnsafeMutableBufferPointer { s in
            if last.upperBound <= capacity {   // run by run: a straight (vectorised) loop each
                var j = 0
                for r in ranges {
                    let sb = s.baseAddress! + r.lowerBound, pr = pb + j
                    for i in 0 ..< r.count { sb[i] += pr[i] }
                    j += r.count
                }
            } else {
                for j in 0..<n where Int(keys[j]) < capacity { s[Int(keys[j])] += pb[j] }
            }
            return entropy ? HeadStatistics.entropySum(probs) : 0
        }
    }

    /// Direct access for LiveReceivedAttention, which keeps the α state of a scattered
    /// selection in key order and writes it back here: sums [capacity + 8] and counts
    /// [capacity + 8], each position's own (the difference array is folded into the counts
    /// first, O(limit) when a row of runs was added since). Raises the scanned limit to `end`
    /// (one past the largest position the caller touches).
    mutating func withStorage<R>(seenUpTo end: Int,
                                 _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Int32>) -> R) -> R {
        foldSteps()
        hasBase = true
        limit = max(limit, min(capacity, end))
        return sums.withUnsafeMutableBufferPointer { s in
            countBase.withUnsafeMutableBufferPointer { c in body(s.baseAddress!, c.baseAddress!) }
        }
    }

    /// countBase += the difference array's prefix sums; the difference array is then zero.
    private mutating func foldSteps() {
        guard !stepsAreZero else { return }
        let end = min(limit + 1, countSteps.count)   // steps are written at most at index `limit`
        countSteps.withUnsafeMutableBufferPointer { steps in
            countBase.withUnsafeMutableBufferPointer { base in
                var running: Int32 = 0
                for k in 0 ..< end { running &+= steps[k]; base[k] &+= running; steps[k] = 0 }
            }
        }
        stepsAreZero = true
        hasBase = true
    }

    /// α_k, or nil when no query has seen position k yet.
    public func score(_ k: Int) -> Float? {
        guard k >= 0 && k < capacity else { return nil }
        let c = countSteps[0...k].reduce(0, &+) &+ countBase[k]
        return c > 0 ? sums[k] / Float(c) : nil
    }

    /// The `k` positions with the highest α, highest first (ties: earlier position first).
    public func top(_ k: Int) -> [(position: Int, score: Float)] {
        var best: [(position: Int, score: Float)] = []
        top(k, into: &best)
        return best
    }

    /// `top(k)` into `best` (emptied first; its storage is reused).
    func top(_ k: Int, into best: inout [(position: Int, score: Float)]) {
        best.removeAll(keepingCapacity: true)
        guard k > 0, limit > 0 else { return }
        best.reserveCapacity(k + 1)
        _ = scan(0 ..< limit, running: 0, into: &best, keeping: k)
    }

    /// Offers the positions of the blocks whose bit is set in `blocks` (block b: positions
    /// b·size ..< (b + 1)·size below `limit`; size a multiple of 8) to `best` (highest α first,
    /// at most k, possibly holding other positions already): afterwards `best` holds the k
    /// highest of its own and theirs. The blocks go from the highest down, since recent positions
    /// (seen by few queries) tend to hold the higher α: the list's threshold rises early and
    /// more groups of 8 are skipped.
    func top(_ k: Int, inBlocks blocks: BlockBits, of size: Int, into best: inout [(position: Int, score: Float)]) {
        guard k > 0, limit > 0 else { return }
        let used = (limit + size - 1) / size   // blocks holding positions below limit (≤ 512)
        // running = Σ countSteps[0 ..< at]; all steps sum to 0 (each run adds +1 and −1 at or
        // before `limit`), so at = limit + 1 starts at 0
        var running: Int32 = 0, at = limit + 1
        let withBase = hasBase
        // (the arrays' addresses once for all runs: a scattered selection touches dozens)
        sums.withUnsafeBufferPointer { s in
          countBase.withUnsafeBufferPointer { baseCounts in
            countSteps.withUnsafeBufferPointer { steps in
                let arrays = Arrays(sums: s.baseAddress!, steps: steps.baseAddress!,
                                    base: withBase ? baseCounts.baseAddress! : nil)
                // word by word from the highest; a run of blocks across two words is scanned in two parts
                var w = min(7, (used - 1) >> 6)
                while w >= 0 {
                    var bits = blocks.words[w] & lowBits(used - 64 * w)
                    while bits != 0 {
                        let b = 63 - bits.leadingZeroBitCount   // highest block of the next run of set bits
                        let length = (~(bits << UInt64(63 - b))).leadingZeroBitCount   // consecutive blocks down from b
                        let lo = (64 * w + b + 1 - length) * size, hi = min(limit, (64 * w + b + 1) * size)
                        // the steps before hi: walked down from the last run, or (closer) up from 0
                        running = at - hi <= hi ? running &- Self.stepSum(arrays.steps, hi ..< at) : Self.stepSum(arrays.steps, 0 ..< hi)
                        running = Self.scanDown(arrays, lo ..< hi, running: running, into: &best, keeping: k)
                        at = lo
                        bits &= lowBits(b + 1 - length)
                    }
                    w -= 1
                }
            }
          }
        }
    }

    /// The arrays' first elements (base: nil when no base count is set).
    private struct Arrays {
        let sums: UnsafePointer<Float>
        let steps: UnsafePointer<Int32>
        let base: UnsafePointer<Int32>?
    }

    /// Σ steps[r] (r within the padded array).
    private static func stepSum(_ c: UnsafePointer<Int32>, _ r: Range<Int>) -> Int32 {
        var acc = SIMD8<Int32>()
        var i = r.lowerBound
        let raw = UnsafeRawPointer(c)
        while i + 8 <= r.upperBound { acc &+= raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Int32>.self); i += 8 }
        var t = acc.wrappedSum()
        while i < r.upperBound { t &+= c[i]; i += 1 }
        return t
    }

    /// `scan` from the top of r down (r.lowerBound a multiple of 8); `running` = Σ countSteps[0 ..<
    /// r.upperBound]. Returns Σ countSteps[0 ..< r.lowerBound]. A group is skipped only when all of
    /// its α are below the list's last by a margin (ties and rounding go to `offer`).
    private static func scanDown(_ a: Arrays, _ r: Range<Int>, running end: Int32,
                                 into best: inout [(position: Int, score: Float)], keeping k: Int) -> Int32 {
        let withBase = a.base != nil
        let s = a.sums, sRaw = UnsafeRawPointer(s), c = a.steps, cRaw = UnsafeRawPointer(c)
        let b = a.base ?? a.steps, bRaw = UnsafeRawPointer(b)
        var running = end   // Σ steps[0 ..< p]
        var p = r.upperBound
        // the last, partial group lane by lane: the count at q is Σ steps[0 ... q]
        while p > r.lowerBound && p & 7 != 0 {
            p -= 1
            let count = withBase ? running &+ b[p] : running
            if count > 0 { Self.offer(p, score: s[p] / Float(count), to: &best, keeping: k) }
            running &-= c[p]
        }
        let ones = SIMD8<Float>(repeating: 1), upTo8 = SIMD8<Int32>(1, 2, 3, 4, 5, 6, 7, 8)
        // the list's last α less the margin (below it by more than rounding), kept in a
        // register: it changes only when a position is offered
        var t = best.count == k ? best[k - 1].score * 0.999_999 : -Float.infinity
        while p > r.lowerBound {
            p -= 8
            let d = cRaw.loadUnaligned(fromByteOffset: p &* 4, as: SIMD8<Int32>.self)
            // counts before p's group: running − (the group's total); inclusive within it.
            // Equal steps (none: most groups; −1 each: the prompt's positions under dense
            // prefill rows) need no prefix sum: the i-th count is before + (i + 1)·step.
            let d0 = d[0]
            var cs: SIMD8<Int32>
            let before: Int32
            if d == SIMD8(repeating: d0) {
                before = running &- d0 &* 8
                cs = SIMD8(repeating: before) &+ upTo8 &* d0
            } else {
                cs = Self.inclusivePrefix(d)
                before = running &- cs[7]
                cs &+= SIMD8(repeating: before)
            }
            running = before
            let counts = withBase ? cs &+ bRaw.loadUnaligned(fromByteOffset: p &* 4, as: SIMD8<Int32>.self) : cs
            let sv = sRaw.loadUnaligned(fromByteOffset: p &* 4, as: SIMD8<Float>.self)
            let cv = Self.floats(counts)
            if !any(sv .> cv * (ones * t)) { continue }   // (t = −∞ while the list is not full)
            var lane = 7
            while lane >= 0 {
                if counts[lane] > 0 { Self.offer(p &+ lane, score: sv[lane] / cv[lane], to: &best, keeping: k) }
                lane -= 1
            }
            if best.count == k { t = best[k - 1].score * 0.999_999 }
        }
        return running
    }

    /// Offers positions r (r.lowerBound a multiple of 8 or 0, r.upperBound ≤ limit) to `best`,
    /// highest α first, at most k; `running` = Σ countSteps[0 ..< r.lowerBound]. Returns the
    /// running count after r.
    private func scan(_ r: Range<Int>, running start: Int32, into best: inout [(position: Int, score: Float)],
                      keeping k: Int) -> Int32 {
        func consider(_ p: Int, sum: Float, count: Float) {
            if count > 0 { Self.offer(p, score: sum / count, to: &best, keeping: k) }
        }
        let withBase = hasBase
        let end = r.upperBound
        return sums.withUnsafeBufferPointer { s in
          countBase.withUnsafeBufferPointer { baseCounts in
            countSteps.withUnsafeBufferPointer { steps in
                // 8 positions at a time. Once the list is full, a group of 8 is skipped when none
                // of its positions beats the list's last score: sum > score · count fails for all
                // of them (no division). Most groups have no step at all (a run starts or ends in
                // few places), so their counts all equal the running count; otherwise the counts
                // are the steps' prefix sum.
                // With base counts (LiveReceivedAttention's), every count adds its position's base.
                let sRaw = UnsafeRawPointer(s.baseAddress!), c = steps.baseAddress!, cRaw = UnsafeRawPointer(c)
                let b = baseCounts.baseAddress!, bRaw = UnsafeRawPointer(b)
                var running = start
                var p = r.lowerBound
                // (`ones * t`, not SIMD8(repeating: t): compared with a splat, `.>` compiled to a
                // loop over the lanes through the stack, 5× slower)
                let ones = SIMD8<Float>(repeating: 1)
                while p < end {
                    let lanes = min(8, end - p)
                    if lanes == 8 && best.count == k {
                        // the group's steps as four words: all zero is the common case, and then
                        // every count in the group is the running count
                        let w = cRaw.loadUnaligned(fromByteOffset: p &* 4, as: SIMD4<UInt64>.self)
                        let sv = sRaw.loadUnaligned(fromByteOffset: p &* 4, as: SIMD8<Float>.self)
                        let t = best[k - 1].score
                        if (w[0] | w[1] | w[2] | w[3]) == 0 && !withBase {
                            if !any(sv .> ones * (Float(running) * t)) { p &+= 8; continue }
                        } else {
                            // the 8 counts: inclusive prefix sum of the steps plus the running count
                            let d = cRaw.loadUnaligned(fromByteOffset: p &* 4, as: SIMD8<Int32>.self)
                            var cs = Self.inclusivePrefix(d)
                            cs &+= SIMD8(repeating: running)
                            let counts = withBase ? cs &+ bRaw.loadUnaligned(fromByteOffset: p &* 4, as: SIMD8<Int32>.self) : cs
                            let cv = Self.floats(counts)
                            if !any(sv .> cv * t) { running = cs[7]; p &+= 8; continue }
                        }
                    }
                    for lane in 0..<lanes {
                        running &+= c[p &+ lane]
                        consider(p &+ lane, sum: s[p &+ lane], count: Float(withBase ? running &+ b[p &+ lane] : running))
                    }
                    p &+= 8
                }
                return running
            }
          }
        }
    }
}
