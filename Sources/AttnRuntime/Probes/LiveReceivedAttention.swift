// The α_k state (ReceivedAttention) of the keys a head's last row saw, kept in key order while
// the selection is scattered (heavy hitters, selected pages, sinks + a window after eviction).
//
// Position-indexed arrays cost a scattered selection a cache line per kept key, twice (sum and
// count) or more, every step: at 4K context with 270 heads that was ~100 000 lines from memory
// per step, since the model's weights push the recorder's arrays out of the caches. Here the
// sums of the visible keys sit in key order, next to the keys; a key that stays visible costs one
// addition in a contiguous array and nothing for its count, which is the number of rows since it
// became visible (`entered`). Only keys that enter or leave touch the position-indexed archive.
// The same merge of this row's keys with the previous row's gives the overlap.
//
// State per key i: sums[i] = Σ a over every query that saw keys[i] (the archive's sum is stale);
// the last rows entered[i] … row saw it, so its count is the archive's + (row − entered[i] + 1).
// `flush` writes that back (and the keys stay as the previous selection only).

final class LiveReceivedAttention {
    /// The previous last row's keys, ascending ([count]); the α state too when `isLive`.
    private(set) var count = 0
    private(set) var isLive = false
    private var capacity = 0
    private var keys: UnsafeMutablePointer<Int32>          // [count]
    private var sums: UnsafeMutablePointer<Float>          // [count]
    private var entered: UnsafeMutablePointer<Int32>       // [count] 1-based last-row number
    private var nextKeys: UnsafeMutablePointer<Int32>      // the merge writes here, then swaps
    private var nextSums: UnsafeMutablePointer<Float>
    private var nextEntered: UnsafeMutablePointer<Int32>

    init() {
        keys = .allocate(capacity: 0); sums = .allocate(capacity: 0); entered = .allocate(capacity: 0)
        nextKeys = .allocate(capacity: 0); nextSums = .allocate(capacity: 0); nextEntered = .allocate(capacity: 0)
    }

    deinit {
        keys.deallocate(); sums.deallocate(); entered.deallocate()
        nextKeys.deallocate(); nextSums.deallocate(); nextEntered.deallocate()
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
        grow(&keys, keeping: count); grow(&sums, keeping: count); grow(&entered, keeping: count)
        grow(&nextKeys, keeping: 0); grow(&nextSums, keeping: 0); grow(&nextEntered, keeping: 0)
        capacity = c
    }

    /// Forgets the previous keys (the archive holds everything).
    func clear() { count = 0; isLive = false }

    /// Keeps `cur` as the previous selection with the α state left in the archive.
    func setPrevious(_ cur: UnsafeBufferPointer<Int32>) {
        reserve(cur.count)
        if let b = cur.baseAddress { keys.update(from: b, count: cur.count) }
        count = cur.count; isLive = false
    }

    /// Writes the state after `row` last rows into `archive` (sums, and the counts so far);
    /// changes nothing here (the recorder's tests read a materialised copy this way).
    func writeBack(row: Int32, into archive: inout ReceivedAttention) {
        guard isLive else { return }
        let cap = archive.capacity
        let end = count > 0 ? Int(keys[count - 1]) + 1 : 0
        archive.withStorage(seenUpTo: end) { s, c in
            for i in 0..<count {
                let k = Int(keys[i])
                guard k < cap else { break }   // ascending: the rest are past it too
                s[k] = sums[i]
                let seen = row &- entered[i] &+ 1
                c[k] &+= seen; c[k + 1] &-= seen
            }
        }
    }

    /// writeBack, after which the archive holds everything: the keys stay as the previous
    /// selection only. With `rebase` the state stays live and counts again from row + 1.
    func flush(row: Int32, into archive: inout ReceivedAttention, rebase: Bool = false) {
        guard isLive else { return }
        writeBack(row: row, into: &archive)
        if rebase {
            entered.update(repeating: row &+ 1, count: count)
        } else {
            isLive = false
        }
    }

    /// Last row number `row` saw `cur` (ascending, strictly) with probabilities `probs`: adds them
    /// to the α state, moves keys that left to the archive and takes keys that entered from it.
    /// Returns |cur ∩ previous|. Afterwards the state is live and `cur` is the previous selection.
    func merge(_ probsRow: UnsafeBufferPointer<Float>, keys cur: UnsafeBufferPointer<Int32>, row: Int32,
               archive: inout ReceivedAttention) -> Int {
        precondition(probsRow.count == cur.count, "\(probsRow.count) probabilities for \(cur.count) keys")
        let m = cur.count, mp = count, cap = archive.capacity
        reserve(max(m, 1))
        let probs = probsRow.baseAddress ?? UnsafePointer(nextSums)   // (m = 0: never read)
        let live = isLive
        let nk = nextKeys, ns = nextSums, ne = nextEntered
        let ok = keys, os = sums, oe = entered
        var common = 0
        let end = max(m > 0 ? Int(cur[m - 1]) + 1 : 0, mp > 0 ? Int(ok[mp - 1]) + 1 : 0)
        let cb = cur.baseAddress ?? UnsafePointer(nk)   // (m = 0: never read)
        archive.withStorage(seenUpTo: end) { s, c in
            if m > 0 { nk.update(from: cb, count: m) }
            @inline(__always) func enter(_ i: Int) {
                let k = Int(cb[i])
                ns[i] = (k < cap ? s[k] : 0) + probs[i]
                ne[i] = row
            }
            @inline(__always) func leave(_ j: Int) {
                let k = Int(ok[j])
                guard k < cap else { return }
                s[k] = os[j]
                let seen = row &- oe[j]   // rows oe[j] … row − 1
                c[k] &+= seen; c[k + 1] &-= seen
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
                        UnsafeMutableRawPointer(ne).storeBytes(
                            of: UnsafeRawPointer(oe).loadUnaligned(fromByteOffset: j &* 4, as: SIMD8<Int32>.self),
                            toByteOffset: i &* 4, as: SIMD8<Int32>.self)
                    } else {
                        for q in i ..< i &+ 8 { enter(q) }
                    }
                    i &+= 8; j &+= 8; common &+= 8
                    continue
                }
                let a = cb[i], b = ok[j]
                if a == b {
                    if live { ns[i] = os[j] + probs[i]; ne[i] = oe[j] } else { enter(i) }
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
        swap(&keys, &nextKeys); swap(&sums, &nextSums); swap(&entered, &nextEntered)
        count = m; isLive = true
        return common
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
