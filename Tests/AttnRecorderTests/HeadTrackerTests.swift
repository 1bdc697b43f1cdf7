import XCTest
import AttnTraceTestSupport
@testable import AttnRecorder
import AttnRuntime
import AttnTestSupport

/// HeadTracker (the recorder's per-head fast path) against the per-statistic functions it
/// replaces, on seeded random runs of rows whose selections are dense and growing, a sink plus a
/// sliding window, or random subsets (H2O-like), and the fast range/overlap helpers against
/// their position-by-position versions.
final class HeadTrackerTests: XCTestCase {
    /// The recorder's former per-head code: separate passes over the row, previous selection kept
    /// as positions.
    struct NaiveHead {
        var received: ReceivedAttention
        var previous: [Int32] = []
        var top: [(position: Int, score: Float)] = []

        mutating func lastRow(_ row: UnsafeBufferPointer<Float>, keys: UnsafeBufferPointer<Int32>, compare: Bool,
                              refreshTop: Bool, topCount: Int) -> HeadTracker.RowStats {
            received.add(row, keyPositions: keys)
            var kept = Float.nan, jaccard = Float.nan
            if compare { (kept, jaccard) = previous.withUnsafeBufferPointer { HeadStatistics.overlap(current: keys, previous: $0) } }
            previous = Array(keys)
            let refresh = refreshTop || top.isEmpty
            if refresh { top = received.top(topCount) }
            return .init(visible: row.count,
                         sinkMass1: HeadStatistics.sinkMass(row, keyPositions: keys, firstPositions: 1),
                         sinkMass4: HeadStatistics.sinkMass(row, keyPositions: keys, firstPositions: 4),
                         entropy: HeadStatistics.normalisedEntropy(row, visible: row.count),
                         overlapKept: kept, jaccard: jaccard, topRefreshed: refresh)
        }
    }

    enum Pattern: CaseIterable { case dense, sinkWindow, randomSubset, evicting }

    /// Positions a step at `position` attends to under each pattern.
    func selection(_ pattern: Pattern, position: Int, rng: inout SeededGenerator) -> [Int32] {
        switch pattern {
        case .dense: return (0...position).map(Int32.init)
        case .sinkWindow:
            let window = 37
            if position < 4 + window { return (0...position).map(Int32.init) }
            return (0..<4).map(Int32.init) + (position - window + 1 ... position).map(Int32.init)
        case .randomSubset:
            return (0...position).filter { $0 == position || Int.random(in: 0..<3, using: &rng) > 0 }.map(Int32.init)
        case .evicting:
            fatalError("stateful: see evicting(_:position:rng:)")
        }
    }

    /// H2O-like: the set of the previous step loses one or two random keys and gains the new
    /// position; every 9th step the whole prefix (one run) is seen, then eviction resumes from it.
    func evicting(_ previous: [Int32], position: Int, rng: inout SeededGenerator) -> [Int32] {
        if position % 9 == 0 || previous.isEmpty { return (0...position).map(Int32.init) }
        var keys = previous
        for _ in 0..<Int.random(in: 1...2, using: &rng) where keys.count > 2 {
            keys.remove(at: Int.random(in: 0..<keys.count, using: &rng))
        }
        return keys + [Int32(position)]
    }

    func testTrackerMatchesTheSeparatePasses() {
        // maxIndexedRuns 0: every selection is merged in key order; 4: both ways and the switches
        // between them; 32: mostly position-indexed
        for seed: UInt64 in 0..<6 {
            for runs in [0, 4, 32] { for pattern in Pattern.allCases {
                var rng = SeededGenerator(seed: seed)
                // seeds 4, 5: positions run past the capacity (keys there are not tracked)
                let capacity = seed >= 4 ? 70 : 160
                let tracker = HeadTracker(capacity: capacity, maxIndexedRuns: runs)
                // the same rows with the entropy and the stream's edit count given (as the
                // attention kernel and the KV cache give them)
                let given = HeadTracker(capacity: capacity, maxIndexedRuns: runs)
                var edits = 0, previousKeys: [Int32] = []
                var naive = NaiveHead(received: ReceivedAttention(capacity: capacity))
                let start = Int.random(in: 1...30, using: &rng)
                var keys: [Int32] = []
                for step in 0..<60 {
                    let position = start + step
                    keys = pattern == .evicting ? evicting(keys, position: position, rng: &rng)
                                                : selection(pattern, position: position, rng: &rng)
                    if step % 5 == 3 {   // a row that is not a step's last (prefill) in between
                        let prefix = (0..<Int32(position)).map { $0 }
                        let extra = rng.floats(prefix.count, in: 0...1).map { $0 / Float(prefix.count) }
                        extra.withUnsafeBufferPointer { r in
                            prefix.withUnsafeBufferPointer { k in
                                tracker.add(r, keyPositions: k); naive.received.add(r, keyPositions: k)
                                given.add(r, keyPositions: k)
                            }
                        }
                    }
                    var row = rng.floats(keys.count, in: 0...1).map { $0 * $0 * $0 }
                    if row.count > 9 { row[Int.random(in: 0..<row.count, using: &rng)] = 0 }   // p = 0 adds no entropy
                    let total = row.reduce(0, +)
                    row = row.map { $0 / max(total, 1e-12) }
                    let refresh = step % 8 == 0
                    let context = "seed \(seed) runs \(runs) \(pattern) step \(step)"
                    row.withUnsafeBufferPointer { r in
                        keys.withUnsafeBufferPointer { k in
                            let fast = tracker.lastRow(r, keyPositions: k, compareWithPrevious: step > 0, refreshTop: refresh, topCount: 8)
                            let slow = naive.lastRow(r, keys: k, compare: step > 0, refreshTop: refresh, topCount: 8)
                            XCTAssertEqual(fast.visible, slow.visible, context)
                            XCTAssertEqual(fast.sinkMass1, slow.sinkMass1, context)
                            XCTAssertEqual(fast.sinkMass4, slow.sinkMass4, context)
                            XCTAssertEqual(fast.entropy, slow.entropy, accuracy: 1e-6, context)
                            XCTAssertEqual(fast.topRefreshed, slow.topRefreshed, context)
                            if step > 0 {
                                XCTAssertEqual(fast.overlapKept, slow.overlapKept, context)
                                XCTAssertEqual(fast.jaccard, slow.jaccard, context)
                            } else {
                                XCTAssertTrue(fast.overlapKept.isNaN && fast.jaccard.isNaN, context)
                            }
                            XCTAssertEqual(tracker.selection, HeadStatistics.ranges(k), context)
                            let entropy = 0.5 + Float(step)   // any value: it is used as given
                            // a stream that only appended keeps its edit count
                            if !(keys.count >= previousKeys.count && Array(keys.prefix(previousKeys.count)) == previousKeys) { edits += 1 }
                            previousKeys = keys
                            var other = given.lastRow(r, keyPositions: k, entropy: entropy, keyEdits: edits, compareWithPrevious: step > 0,
                                                      refreshTop: refresh, topCount: 8)
                            XCTAssertEqual(other.entropy, HeadStatistics.normalised(entropy: entropy, visible: r.count), context)
                            XCTAssertEqual(given.selection, HeadStatistics.ranges(k), context)
                            other.entropy = fast.entropy
                            // (NaN overlaps at the first step compare equal by their bits)
                            XCTAssertEqual(other.overlapKept.bitPattern, fast.overlapKept.bitPattern, context)
                            XCTAssertEqual(other.jaccard.bitPattern, fast.jaccard.bitPattern, context)
                            other.overlapKept = fast.overlapKept; other.jaccard = fast.jaccard
                            XCTAssertEqual(other.visible, fast.visible, context)
                            XCTAssertEqual(other.sinkMass1, fast.sinkMass1, context)
                            XCTAssertEqual(other.sinkMass4, fast.sinkMass4, context)
                            XCTAssertEqual(other.topRefreshed, fast.topRefreshed, context)
                        }
                    }
                    XCTAssertEqual(given.received.sums, naive.received.sums, context)
                    XCTAssertEqual(given.received.counts, naive.received.counts, context)
                    XCTAssertEqual(given.topSinks.map(\.position), tracker.topSinks.map(\.position), context)
                    XCTAssertEqual(tracker.received.sums, naive.received.sums, context)
                    XCTAssertEqual(tracker.received.counts, naive.received.counts, context)
                    XCTAssertEqual(tracker.topSinks.map(\.position), naive.top.map(\.position), context)
                    XCTAssertEqual(tracker.topSinks.map(\.score), naive.top.map(\.score), context)
                }
            } }
        }
    }

    /// The top-k insertion ranks equal scores by the earlier position whatever the order of the
    /// offers (TouchedTop offers blocks from the highest down, after the untouched entries).
    func testOfferRanksTiesByPositionInAnyOrder() {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<200 {
            let items = (0..<40).map { p in (position: p, score: Float(Int.random(in: 0..<4, using: &rng)) / 4) }.shuffled(using: &rng)
            var best: [(position: Int, score: Float)] = []
            for e in items { ReceivedAttention.offer(e.position, score: e.score, to: &best, keeping: 9) }
            let expect = items.sorted { $0.score > $1.score || ($0.score == $1.score && $0.position < $1.position) }.prefix(9)
            XCTAssertEqual(best.map(\.position), expect.map(\.position))
        }
    }

    /// top(k) against sorting every α_k after random-subset rows (counts then change inside the
    /// 8-position blocks that top skips through, so its lane-by-lane path runs too).
    func testTopAfterRandomSubsetsMatchesSortedScores() {
        for seed: UInt64 in 0..<12 {
            var rng = SeededGenerator(seed: seed)
            let tracker = HeadTracker(capacity: 300)
            for step in 0..<80 {
                let keys = selection(.randomSubset, position: 100 + step, rng: &rng)
                var row = rng.floats(keys.count, in: 0...1).map { $0 * $0 * $0 * $0 }
                let total = row.reduce(0, +)
                row = row.map { $0 / total }
                row.withUnsafeBufferPointer { r in
                    keys.withUnsafeBufferPointer { _ = tracker.lastRow(r, keyPositions: $0, compareWithPrevious: true, refreshTop: false, topCount: 8) }
                }
            }
            let r = tracker.received
            var scored: [(position: Int, score: Float)] = []
            for i in 0..<300 { if let a = r.score(i) { scored.append((i, a)) } }
            scored.sort { a, b in a.score != b.score ? a.score > b.score : a.position < b.position }
            let expect = Array(scored.prefix(8)), got = r.top(8)
            XCTAssertEqual(got.map { $0.position }, expect.map { $0.position }, "seed \(seed)")
            XCTAssertEqual(got.map { $0.score }, expect.map { $0.score }, "seed \(seed)")
        }
    }

    /// Gives `keys` a random row (u^power, normalised: skewed) as a step's last row with a top-α
    /// refresh, and checks the tracker's list against a scan of its materialised α_k.
    func refreshTopAndCheck(_ tracker: HeadTracker, keys: [Int32], power: Int, rng: inout SeededGenerator,
                            _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        var row = rng.floats(keys.count, in: 0...1).map { u in (1 ..< power).reduce(u) { p, _ in p * u } }
        let total = row.reduce(0, +)
        row = row.map { $0 / max(total, 1e-12) }
        row.withUnsafeBufferPointer { r in
            keys.withUnsafeBufferPointer { _ = tracker.lastRow(r, keyPositions: $0, compareWithPrevious: true, refreshTop: true, topCount: 8) }
        }
        let expect = tracker.received.top(8)
        XCTAssertEqual(tracker.topSinks.map(\.position), expect.map(\.position), context, file: file, line: line)
        XCTAssertEqual(tracker.topSinks.map(\.score), expect.map(\.score), context, file: file, line: line)
    }

    /// The top-α refresh of a scattered selection (live keys + FrozenTop) against a scan of the
    /// materialised α_k, refreshed at every step, while keys leave and become visible again:
    /// random subsets of a sliding range (most keys leave within a few steps, many come back),
    /// with skewed rows so that keys that left often hold the highest α, and now and then a
    /// step whose selection is a run (the tracker leaves key order and comes back).
    func testScatteredTopMatchesAScanOfEveryPosition() {
        for seed: UInt64 in 0..<40 {
            var rng = SeededGenerator(seed: seed)
            let tracker = HeadTracker(capacity: 400, maxIndexedRuns: seed % 2 == 0 ? 0 : 4)
            for step in 0..<300 {
                let position = 60 + step
                let span = Int.random(in: 8...(step % 2 == 0 ? 60 : 300), using: &rng)   // (long: groups of 8 in top)
                var keys: [Int32]
                if step % 37 == 36 {
                    keys = (Int32(max(0, position - span)) ... Int32(position)).map { $0 }
                } else {
                    keys = (max(0, position - span) ... position).filter { _ in Int.random(in: 0..<3, using: &rng) == 0 }.map(Int32.init)
                    if keys.last != Int32(position) { keys.append(Int32(position)) }
                }
                refreshTopAndCheck(tracker, keys: keys, power: 5, rng: &rng, "seed \(seed) step \(step)")
            }
        }
    }

    /// The top-α refresh of a selection of few runs (position-indexed α, including the base
    /// counts that a scattered selection left) against a scan of every position, refreshed at
    /// every step: a sink plus a sliding window, and Quest-like pages that change every step,
    /// with now and then a prefill row over every position, mostly on one. Capacity 700 has 88
    /// blocks of 8 (two words of touched bits), 4,400 has 275 blocks of 16 (five words).
    func testTopOfFewRunsMatchesAScanOfEveryPosition() {
        for seed: UInt64 in 0..<32 {
            var rng = SeededGenerator(seed: seed)
            let long = seed >= 24
            let tracker = HeadTracker(capacity: long ? 4400 : 700)
            let pages = seed % 2 == 1
            for step in 0..<200 {
                let position = (long ? 4000 : 300) + step
                var keys: [Int32]
                if pages {
                    keys = []
                    for page in 0 ..< position / 16 where Int.random(in: 0..<8, using: &rng) == 0 {
                        keys += (page * 16 ..< page * 16 + 16).map(Int32.init)
                    }
                    keys += (position / 16 * 16 ... position).map(Int32.init)
                } else {
                    keys = (0..<4).map(Int32.init) + (position - 90 ... position).map(Int32.init)
                }
                if step % 61 == 60 {   // a prefill row over every position, most of it on one
                    let all = (0 ..< Int32(position)).map { $0 }
                    var r = rng.floats(all.count, in: 0...1).map { $0 / Float(all.count) / 10 }
                    r[Int.random(in: 0 ..< all.count, using: &rng)] = 0.9
                    r.withUnsafeBufferPointer { rp in all.withUnsafeBufferPointer { tracker.add(rp, keyPositions: $0) } }
                }
                refreshTopAndCheck(tracker, keys: keys, power: 4, rng: &rng, "seed \(seed) step \(step)")
            }
        }
    }

    /// Rows that are not a step's last only update α_k.
    func testAddOnlyTouchesReceivedAttention() {
        let tracker = HeadTracker(capacity: 8)
        let row: [Float] = [0.5, 0.5], keys: [Int32] = [0, 1]
        row.withUnsafeBufferPointer { r in keys.withUnsafeBufferPointer { tracker.add(r, keyPositions: $0) } }
        XCTAssertEqual(tracker.received.score(1), 0.5)
        XCTAssertEqual(tracker.selection, [])
        XCTAssertTrue(tracker.topSinks.isEmpty)
    }

    /// A row that saw no keys (both paths, before and after rows that saw some) reports nothing
    /// visible and changes no α_k.
    func testRowWithoutKeys() {
        for runs in [0, 32] {
            let tracker = HeadTracker(capacity: 16, maxIndexedRuns: runs)
            let row: [Float] = [0.5, 0.25, 0.25], keys: [Int32] = [0, 3, 9], none: [Float] = [], noKeys: [Int32] = []
            for (r, k) in [(none, noKeys), (row, keys), (none, noKeys), (row, keys)] {
                r.withUnsafeBufferPointer { rb in
                    k.withUnsafeBufferPointer { kb in
                        let stats = tracker.lastRow(rb, keyPositions: kb, compareWithPrevious: true, refreshTop: true, topCount: 2)
                        XCTAssertEqual(stats.visible, k.count, "runs \(runs)")
                        if k.isEmpty { XCTAssertEqual(stats.entropy, 0, "runs \(runs)") }
                    }
                }
            }
            XCTAssertEqual(tracker.received.score(0), 0.5, "runs \(runs)")   // two rows of four saw it
            XCTAssertEqual(tracker.selection, [0..<1, 3..<4, 9..<10], "runs \(runs)")
        }
    }

    /// The single-range fused pass (dense rows longer than 8, with a tail) gives the entropy of
    /// normalisedEntropy exactly and the same α_k as add; positions past the capacity are ignored.
    func testFusedEntropyAndCapacityEdge() {
        var rng = SeededGenerator(seed: 42)
        for n in [1, 7, 8, 9, 31, 64, 203] {
            var row = rng.floats(n, in: 0...1)
            let total = row.reduce(0, +)
            row = row.map { $0 / total }
            var a = ReceivedAttention(capacity: 300), b = ReceivedAttention(capacity: 300)
            row.withUnsafeBufferPointer { r in
                let keys = (0..<Int32(n)).map { $0 + 3 }
                keys.withUnsafeBufferPointer { k in
                    let h = a.addReturningEntropy(r, keyPositions: k, ranges: [3 ..< 3 + n])
                    b.add(r, keyPositions: k)
                    XCTAssertEqual(HeadStatistics.normalised(entropy: h, visible: n),
                                   HeadStatistics.normalisedEntropy(r, visible: n), "n \(n)")
                }
            }
            XCTAssertEqual(a.sums, b.sums, "n \(n)"); XCTAssertEqual(a.counts, b.counts, "n \(n)")
        }
        // Keys past the capacity (a position the recorder's arrays do not hold) are skipped by both.
        var a = ReceivedAttention(capacity: 10), b = ReceivedAttention(capacity: 10)
        let row: [Float] = [0.25, 0.25, 0.25, 0.25], keys: [Int32] = [7, 8, 9, 10]
        row.withUnsafeBufferPointer { r in
            keys.withUnsafeBufferPointer { k in
                _ = a.addReturningEntropy(r, keyPositions: k, ranges: [7 ..< 11])
                b.add(r, keyPositions: k)
            }
        }
        XCTAssertEqual(a.sums, b.sums); XCTAssertEqual(a.counts, b.counts)
        XCTAssertEqual(a.top(3).map(\.position), b.top(3).map(\.position))
    }

    func testRangesIntoMatchesRanges() {
        for seed: UInt64 in 0..<30 {
            var rng = SeededGenerator(seed: seed)
            var positions: [Int32] = []
            var p = Int32.random(in: 0...5, using: &rng)
            for _ in 0..<Int.random(in: 0...200, using: &rng) {
                positions.append(p)
                p += Int.random(in: 0..<4, using: &rng) == 0 ? Int32.random(in: 2...20, using: &rng) : 1
            }
            var out: [Range<Int>] = [0..<1]   // stale contents are replaced
            let all = positions.withUnsafeBufferPointer { HeadStatistics.ranges($0) }
            positions.withUnsafeBufferPointer { _ = HeadStatistics.ranges($0, into: &out) }
            XCTAssertEqual(out, all, "seed \(seed)")
            // With a limit: true (and every run) exactly when there are at most that many runs.
            for limit in [0, 1, all.count - 1, all.count, all.count + 1] where limit >= 0 {
                let fits = positions.withUnsafeBufferPointer { HeadStatistics.ranges($0, into: &out, atMost: limit) }
                XCTAssertEqual(fits, all.count <= limit, "seed \(seed) limit \(limit)")
                if fits { XCTAssertEqual(out, all, "seed \(seed) limit \(limit)") }
            }
        }
    }

    func testOverlapOfRangesMatchesOverlapOfPositions() {
        for seed: UInt64 in 0..<40 {
            var rng = SeededGenerator(seed: seed)
            func randomSet() -> [Int32] { (0..<Int32.random(in: 0...120, using: &rng)).filter { _ in Bool.random(using: &rng) } }
            let s = randomSet(), p = randomSet()
            let byPositions = s.withUnsafeBufferPointer { sb in p.withUnsafeBufferPointer { HeadStatistics.overlap(current: sb, previous: $0) } }
            let sr = s.withUnsafeBufferPointer { HeadStatistics.ranges($0) }, pr = p.withUnsafeBufferPointer { HeadStatistics.ranges($0) }
            let byRanges = HeadStatistics.overlap(current: sr, previous: pr)
            XCTAssertEqual(byRanges.kept, byPositions.kept, "seed \(seed)")
            XCTAssertEqual(byRanges.jaccard, byPositions.jaccard, "seed \(seed)")
        }
        let e = HeadStatistics.overlap(current: [], previous: [])
        XCTAssertEqual(e.kept, 1); XCTAssertEqual(e.jaccard, 1)
        let o = HeadStatistics.overlap(current: [0..<2, 5..<7], previous: [0..<2, 4..<6])   // as testOverlapAndJaccard
        XCTAssertEqual(o.kept, 0.75); XCTAssertEqual(o.jaccard, 0.6)
    }
}
