// The α_k state (ReceivedAttention) of the keys a head's last row saw, kept in key order while
// the selection is scattered (heavy hitters, selected pages, sinks + a window after eviction).
//
// Position-indexed arrays cost a scattered selection a cache line per kept key, twice (sum and
// count) or more, every step: at 4K context with 270 heads that is ~100 000 lines from memory
// per step, since the model's weights push the recorder's arrays out of the caches. Here the
// sums of the visible keys sit in key order, next to the keys; a key that stays visible costs one
// addition in a contiguous array and nothing for its count, which grows by one per row from
// `origin`. Only keys that enter or leave touch the position-indexed archive. The same merge of
// this row's keys with the previous row's gives the overlap, and a key that leaves is offered to
// `frozen`, the best α among keys that are not visible, so that a top-α refresh reads only the
// live keys and that list (`top`).
//
// State per key i: sums[i] = Σ a over every query that saw keys[i]; after last row r its count
// is r − origin[i]. While a key is live its archive sum and count are 0 (so scans of the
// archive see only frozen positions); `flush` writes the live state back.

import AttnRuntime
import Foundation

final class LiveReceivedAttention {
    /// The previous last row's keys, ascending ([count]); the α state too when `isLive`.
    private(set) var count = 0
    private(set) var isLive = false
    private var capacity = 0
    private var keys: UnsafeMutablePointer<Int32>          // [count]
    private var sums: UnsafeMutablePointer<Float>          // [count]
    private var origin: UnsafeMutablePointer<Int32>        // [count] count after last row r = r − origin
    private var nextKeys: UnsafeMutablePointer<Int32>      // the merge writes here, then swaps
    private var nextSums: UnsafeMutablePointer<Float>
    private var nextOrigin: UnsafeMutablePointer<Int32>
    /// The best α among the archive's positions while live (valid between merges that keep it).
    private(set) var frozen = FrozenTop()
    /// `top`'s list of the live keys' best (kept: no allocation per refresh).
    private var best: [(position: Int, score: Float)] = []

    init() {
        keys = .allocate(capacity: 0); sums = .allocate(capacity: 0); origin = .allocate(capacity: 0)
        nextKeys = .allocate(capacity: 0); nextSums = .allocate(capacity: 0); nextOrigin = .allocate(capacity: 0)
    }

    deinit {
        keys.deallocate(); sums.deallocate(); origin.deallocate()
        nextKeys.deallocate(); nextSums.deallocate(); nextOrigin.deallocate()
    }

    /// The previous keys, ascending.
    var previousKeys: UnsafeBufferPointer<Int32> { UnsafeBufferPointer(start: keys, count: count) }

    private func reserve(_ n: Int) {
        guard n > capacity else { return }
        let c = max(n, 2 * capacity)
        func grow<T>(_ p: inout UnsafeMutablePointer<T>, keeping: Int) {
            let q = UnsafeMutablePointer<T>.allocate(capacity: c)
            q.update(from: p, count: keeping)
            p.deallocate(); p = q
        }
        grow(&keys, keeping: count); grow(&sums, keeping: count); grow(&origin, keeping: count)
        grow(&nextKeys, keeping: 0); grow(&nextSums, keeping: 0); grow(&nextOrigin, keeping: 0)
        capacity = c
    }

    /// Forgets the previous keys (the archive holds everything).
    func clear() { count = 0; isLive = false; frozen.invalidate() }

    /// Writes the state after `row` last rows into `archive` (sums and counts); changes nothing
    /// here (the recorder's tests read a materialised copy this way).
    func writeBack(row: Int32, into archive: inout ReceivedAttention) {
        guard isLive else { return }
        let cap = archive.capacity
        let end = count > 0 ? Int(keys[count - 1]) + 1 : 0
        archive.withStorage(seenUpTo: end) { s, c in
            for i in 0..<count {
                let k = Int(keys[i])
                guard k < cap else { break }   // ascending: the rest are past it too
                s[k] = sums[i]
                c[k] = row &- origin[i]
            }
        }
    }

    /// writeBack, after which the archive holds everything: the keys stay as the previous
    /// selection only.
    func flush(row: Int32, into archive: inout ReceivedAttention) {
        guard isLive else { return }
        writeBack(row: row, into: &archive)
        isLive = false
        frozen.invalidate()
    }

    /// The `k` highest α after last row `row` (highest first, ties: earlier position first), from
    /// the live keys and the frozen list, which is rebuilt from `archive` when it cannot vouch
    /// for the result. Equal to `archive.top(k)` after a writeBack. (`archive` is only read;
    /// inout spares a copy of its arrays.) Written into `out` (its storage reused).
    func top(_ k: Int, row: Int32, archive: inout ReceivedAttention, into out: inout [(position: Int, score: Float)]) {
        precondition(isLive, "top of a state that is not live")
        best.removeAll(keepingCapacity: true)
        guard k > 0 else { out.removeAll(keepingCapacity: true); return }
        best.reserveCapacity(k + 1)
        let cap = archive.capacity
        // tracked keys only (past the capacity: not in the archive, so not in its top either)
        var n = count
        while n > 0 && Int(keys[n - 1]) >= cap { n -= 1 }
        func consider(_ i: Int) {
            ReceivedAttention.offer(Int(keys[i]), score: sums[i] / Float(row &- origin[i]), to: &best, keeping: k)
        }
        // The k-th largest group maximum is reached by k keys (of different groups of 8), so
        // no key below it is in the top k: groups whose maximum is below it are skipped, and in
        // the others only keys at or above it are offered.
        let groups = n / 8
        withUnsafeTemporaryAllocation(of: Float.self, capacity: max(groups, 1)) { groupMax in
            let floor = largestPerGroup(groups, row: row, k: k, into: groupMax)
            let sr = UnsafeRawPointer(sums), orr = UnsafeRawPointer(origin)
            for b in 0 ..< groups where groupMax[b] >= floor {
                let c = SIMD8<Int32>(repeating: row) &- orr.loadUnaligned(fromByteOffset: b &* 32, as: SIMD8<Int32>.self)
                let alpha = sr.loadUnaligned(fromByteOffset: b &* 32, as: SIMD8<Float>.self) / ReceivedAttention.floats(c)
                for lane in 0 ..< 8 where alpha[lane] >= floor {
                    ReceivedAttention.offer(Int(keys[b &* 8 &+ lane]), score: alpha[lane], to: &best, keeping: k)
                }
            }
        }
        for i in groups &* 8 ..< n { consider(i) }
        if !frozen.isValid { frozen.rebuild(from: archive) }
        if frozen.merge(with: best, k: k, into: &out) { return }
        frozen.rebuild(from: archive)
        let vouched = frozen.merge(with: best, k: k, into: &out)
        precondition(vouched, "a rebuilt frozen list vouches for its merge")
    }

    /// groupMax[b] = the largest α of live keys 8b ..< 8b + 8 after last row `row` (the same
    /// division as `top`'s); returns the k-th
    /// largest of them, or −∞ when there are fewer than k groups (then every group is a candidate).
    private func largestPerGroup(_ groups: Int, row: Int32, k: Int, into groupMax: UnsafeMutableBufferPointer<Float>) -> Float {
        guard groups >= k else { groupMax.initialize(repeating: .infinity); return -.infinity }
        let sr = UnsafeRawPointer(sums), orr = UnsafeRawPointer(origin)
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: k) { kth in   // descending
            kth.initialize(repeating: -.infinity)
            for b in 0 ..< groups {
                let c = SIMD8<Int32>(repeating: row) &- orr.loadUnaligned(fromByteOffset: b &* 32, as: SIMD8<Int32>.self)
                let a = sr.loadUnaligned(fromByteOffset: b &* 32, as: SIMD8<Float>.self) / ReceivedAttention.floats(c)
                // (SIMD8.max() compiled to a call per group)
                let top = max(max(max(a[0], a[1]), max(a[2], a[3])), max(max(a[4], a[5]), max(a[6], a[7])))
                groupMax[b] = top
                if top > kth[k - 1] {
                    var j = k - 1
                    while j > 0 && kth[j - 1] < top { kth[j] = kth[j - 1]; j -= 1 }
                    kth[j] = top
                }
            }
            return kth[k - 1]
        }
    }

    /// Last row number `row` saw `cur` (ascending, strictly) with probabilities `probs`: adds them
    /// to the α state, moves keys that left to the archive and takes keys that entered from it.
    /// Returns |cur ∩ previous|. Afterwards the state is live and `cur` is the previous selection.
    /// `appended`: the caller knows that `cur` is the previous keys followed by other positions.
    func merge(_ probsRow: UnsafeBufferPointer<Float>, keys cur: UnsafeBufferPointer<Int32>, row: Int32,
               archive: inout ReceivedAttention, appended: Bool = false) -> Int {
        precondition(probsRow.count == cur.count, "\(probsRow.count) probabilities for \(cur.count) keys")
        let m = cur.count, mp = count, cap = archive.capacity
        reserve(max(m, 1))
        let probs = probsRow.baseAddress ?? UnsafePointer(nextSums)   // (m = 0: never read)
        let live = isLive
        if live && appendsOnly(cur, limit: archive.limit, knownPrefix: appended) {
            addInPlace(probs, keys: cur, row: row)
            return mp
        }
        if !live { frozen.invalidate() }
        let nk = nextKeys, ns = nextSums, no = nextOrigin
        let ok = keys, os = sums, oo = origin
        var common = 0
        let end = max(m > 0 ? Int(cur[m - 1]) + 1 : 0, mp > 0 ? Int(ok[mp - 1]) + 1 : 0)
        let cb = cur.baseAddress ?? UnsafePointer(nk)   // (m = 0: never read)
        let seen = archive.limit   // positions at or past it were never seen: sum and count 0
        archive.withStorage(seenUpTo: end) { s, c in
            if m > 0 { nk.update(from: cb, count: m) }
            // a key that enters takes its sum and count from the archive (which then holds 0 for
            // it) and leaves them there again, α offered to the frozen list
            @inline(__always) func enter(_ i: Int) {
                let k = Int(cb[i])
                guard k < cap else { ns[i] = probs[i]; no[i] = row &- 1; return }
                ns[i] = s[k] + probs[i]
                no[i] = row &- 1 &- c[k]
                if k < seen { s[k] = 0; c[k] = 0; frozen.remove(k) }   // (past `seen`: already 0)
            }
            @inline(__always) func leave(_ j: Int) {
                let k = Int(ok[j])
                guard k < cap else { return }
                let n = row &- 1 &- oo[j]   // rows oo[j] + 1 … row − 1
                s[k] = os[j]; c[k] = n
                frozen.offer(k, score: os[j] / Float(n))
            }
            var i = 0, j = 0
            let cr = UnsafeRawPointer(cb), pr = UnsafeRawPointer(ok), probsRaw = UnsafeRawPointer(probs)
            while i < m && j < mp {
                // 8 keys at a time while both lists agree (a selection that barely changed)
                // (compared as four words of their xor: SIMD compares compiled to lane loops)
                if i &+ 8 <= m && j &+ 8 <= mp
                    && HeadStatistics.allZero(cr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Int32>.self)
                                   ^ pr.loadUnaligned(fromByteOffset: j &* 4, as: SIMD8<Int32>.self)) {
                    if live {
                        let sum = UnsafeRawPointer(os).loadUnaligned(fromByteOffset: j &* 4, as: SIMD8<Float>.self)
                            + probsRaw.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(ns).storeBytes(of: sum, toByteOffset: i &* 4, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(no).storeBytes(
                            of: UnsafeRawPointer(oo).loadUnaligned(fromByteOffset: j &* 4, as: SIMD8<Int32>.self),
                            toByteOffset: i &* 4, as: SIMD8<Int32>.self)
                    } else {
                        for q in i ..< i &+ 8 { enter(q) }
                    }
                    i &+= 8; j &+= 8; common &+= 8
                    continue
                }
                let a = cb[i], b = ok[j]
                if a == b {
                    if live { ns[i] = os[j] + probs[i]; no[i] = oo[j] } else { enter(i) }
                    i &+= 1; j &+= 1; common &+= 1
                } else if b < a {
                    if live { leave(j) }
                    j &+= 1
                } else {
                    enter(i)
                    i &+= 1
                }
            }
            if live { while j < mp { leave(j); j &+= 1 } }
            while i < m { enter(i); i &+= 1 }
        }
        swap(&keys, &nextKeys); swap(&sums, &nextSums); swap(&origin, &nextOrigin)
        count = m; isLive = true
        return common
    }

    /// `cur` is the previous keys followed by positions no row has seen (the step's new token
    /// after eviction settled: the common case of an evicting policy).
    @inline(__always)
    private func appendsOnly(_ cur: UnsafeBufferPointer<Int32>, limit: Int, knownPrefix: Bool) -> Bool {
        let m = cur.count, mp = count
        guard mp > 0, m >= mp, let cb = cur.baseAddress else { return false }
        return (m == mp || Int(cb[mp]) >= limit) && (knownPrefix || memcmp(cb, keys, mp &* 4) == 0)
    }

    /// The merge when `appendsOnly`: the sums grow in place and the new keys are appended (their
    /// archive sum and count are 0), so neither the origins nor the archive are read.
    private func addInPlace(_ probs: UnsafePointer<Float>, keys cur: UnsafeBufferPointer<Int32>, row: Int32) {
        let m = cur.count, mp = count
        let sr = UnsafeMutableRawPointer(sums), pr = UnsafeRawPointer(probs)
        var i = 0
        while i &+ 8 <= mp {
            sr.storeBytes(of: sr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
                              + pr.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self),
                          toByteOffset: i &* 4, as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < mp { sums[i] += probs[i]; i &+= 1 }
        while i < m { keys[i] = cur[i]; sums[i] = probs[i]; origin[i] = row &- 1; i &+= 1 }
        count = m
    }

    /// |r ∩ previous keys|.
    func common(with r: Range<Int>) -> Int { Self.count(previousKeys, in: r) }

    /// How many of the ascending `keys` lie in `r` (two binary searches).
    static func count(_ keys: UnsafeBufferPointer<Int32>, in r: Range<Int>) -> Int {
        func firstIndex(notBelow x: Int) -> Int {
            var lo = 0, hi = keys.count
            while lo < hi { let mid = (lo + hi) / 2; if Int(keys[mid]) < x { lo = mid + 1 } else { hi = mid } }
            return lo
        }
        return firstIndex(notBelow: r.upperBound) - firstIndex(notBelow: r.lowerBound)
    }
}
