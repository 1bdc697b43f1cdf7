import XCTest
import AttnTraceTestSupport
@testable import AttnRecorder
import AttnRuntime
import AttnTestSupport

/// The per-row statistics on hand-made rows.
final class HeadStatisticsTests: XCTestCase {
    func b(_ x: [Float]) -> UnsafeBufferPointer<Float> { x.withUnsafeBufferPointer { UnsafeBufferPointer(start: UnsafeMutablePointer(mutating: $0.baseAddress!).copyBuffer(count: x.count), count: x.count) } }
    func p(_ x: [Int32]) -> UnsafeBufferPointer<Int32> {
        let m = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, x.count)); m.initialize(from: x, count: x.count)
        return UnsafeBufferPointer(start: m, count: x.count)
    }

    func testEntropy() {
        XCTAssertEqual(HeadStatistics.normalisedEntropy(b([0.25, 0.25, 0.25, 0.25]), visible: 4), 1, accuracy: 1e-6)
        XCTAssertEqual(HeadStatistics.normalisedEntropy(b([1, 0, 0, 0]), visible: 4), 0, accuracy: 1e-6)
        // Two equal keys among four visible: ln 2 / ln 4 = 0.5.
        XCTAssertEqual(HeadStatistics.normalisedEntropy(b([0.5, 0.5]), visible: 4), 0.5, accuracy: 1e-6)
        XCTAssertEqual(HeadStatistics.normalisedEntropy(b([1]), visible: 1), 0)
    }

    /// The SIMD entropy (fast log) against the scalar logf reference on random rows.
    func testFastEntropyMatchesNaive() {
        for seed: UInt64 in 0..<20 {
            var rng = SeededGenerator(seed: seed)
            let n = Int.random(in: 1...300, using: &rng)
            var row = rng.floats(n, in: 0...1).map { $0 * $0 * $0 }
            if n > 3 { row[2] = 0 }
            let t = row.reduce(0, +)
            row = row.map { $0 / max(t, 1e-12) }
            let fast = HeadStatistics.normalisedEntropy(b(row), visible: n + 1)
            let naive = HeadStatistics.normalisedEntropyNaive(b(row), visible: n + 1)
            XCTAssertEqual(fast, naive, accuracy: 2e-5, "seed \(seed)")
        }
        let x = SIMD8<Float>(1e-30, 1e-6, 0.01, 0.5, 1, 1.5, 2, 1000)
        let l = HeadStatistics.fastLog(x)
        for i in 0..<8 { XCTAssertEqual(l[i], logf(x[i]), accuracy: 1e-5 * max(1, abs(logf(x[i])))) }
    }

    /// top(k) against sorting every α_k, on random running means (the SIMD skip must not lose any).
    func testTopMatchesSortedScores() {
        for seed: UInt64 in 0..<10 {
            var rng = SeededGenerator(seed: seed)
            let n = Int.random(in: 20...150, using: &rng)
            var r = ReceivedAttention(capacity: n + 5)
            for q in 1...n {
                let row = rng.floats(q, in: 0...1).map { $0 * $0 }
                r.add(b(row), keyPositions: p((0..<q).map(Int32.init)))
            }
            let k = Int.random(in: 1...10, using: &rng)
            let expect = (0..<n).compactMap { i in r.score(i).map { (i, $0) } }.sorted { $0.1 > $1.1 }.prefix(k).map(\.0)
            XCTAssertEqual(r.top(k).map(\.position), Array(expect), "seed \(seed)")
        }
    }

    func testSinkMassUsesOriginalPositions() {
        let probs = b([0.5, 0.1, 0.2, 0.2]), pos = p([0, 3, 4, 9])   // entries 1, 2 evicted earlier
        XCTAssertEqual(HeadStatistics.sinkMass(probs, keyPositions: pos, firstPositions: 1), 0.5, accuracy: 1e-7)
        XCTAssertEqual(HeadStatistics.sinkMass(probs, keyPositions: pos, firstPositions: 4), 0.6, accuracy: 1e-7)
        XCTAssertEqual(HeadStatistics.sinkMass(probs, keyPositions: p([2, 3, 4, 9]), firstPositions: 1), 0)
    }

    func testRecallAndRelativeError() {
        let dense = b([0.4, 0.1, 0.1, 0.3, 0.1])
        XCTAssertEqual(HeadStatistics.recall(selected: p([0, 3, 4]), dense: dense), 0.8, accuracy: 1e-6)
        XCTAssertEqual(HeadStatistics.recall(selected: p([0, 1, 2, 3, 4]), dense: dense), 1, accuracy: 1e-6)
        XCTAssertEqual(HeadStatistics.relativeError(b([1, 1]), reference: b([1, 1])), 0)
        XCTAssertEqual(HeadStatistics.relativeError(b([1, 2]), reference: b([0, 2])), 0.5, accuracy: 1e-6)
        XCTAssertEqual(HeadStatistics.relativeError(b([1]), reference: b([0])), .infinity)
    }

    func testOverlapAndJaccard() {
        let o = HeadStatistics.overlap(current: p([0, 1, 5, 6]), previous: p([0, 1, 4, 5]))
        XCTAssertEqual(o.kept, 0.75); XCTAssertEqual(o.jaccard, 0.6)
        let e = HeadStatistics.overlap(current: p([]), previous: p([]))
        XCTAssertEqual(e.kept, 1); XCTAssertEqual(e.jaccard, 1)
        XCTAssertEqual(HeadStatistics.overlap(current: p([1, 2]), previous: p([3])).jaccard, 0)
    }

    func testRanges() {
        XCTAssertEqual(HeadStatistics.ranges(p([0, 1, 2, 7, 8, 10])), [0..<3, 7..<9, 10..<11])
        XCTAssertEqual(HeadStatistics.ranges(p([])), [])
    }

    /// α_k is the mean over the queries that saw k; a non-initial sink shows up in the top list.
    func testReceivedAttentionFindsHiddenSink() {
        var r = ReceivedAttention(capacity: 8)
        // Queries at positions 0..4 (causal); key 0 always gets 0.5, key 2 gets 0.4 once visible.
        r.add(b([1]), keyPositions: p([0]))
        r.add(b([0.5, 0.5]), keyPositions: p([0, 1]))
        r.add(b([0.5, 0.1, 0.4]), keyPositions: p([0, 1, 2]))
        r.add(b([0.5, 0.05, 0.4, 0.05]), keyPositions: p([0, 1, 2, 3]))
        XCTAssertEqual(r.score(0)!, (1 + 0.5 * 3) / 4, accuracy: 1e-6)
        XCTAssertEqual(r.score(2)!, 0.4, accuracy: 1e-6)
        XCTAssertEqual(r.score(3)!, 0.05, accuracy: 1e-6)
        XCTAssertNil(r.score(5))
        let top = r.top(2)
        XCTAssertEqual(top.map(\.position), [0, 2])
        XCTAssertEqual(r.top(8).count, 4)
        // Non-contiguous positions (after eviction) take the general path.
        r.add(b([0.6, 0.2, 0.2]), keyPositions: p([0, 2, 4]))
        XCTAssertEqual(r.score(2)!, (0.4 + 0.4 + 0.2) / 3, accuracy: 1e-6)
        XCTAssertEqual(r.score(4)!, 0.2, accuracy: 1e-6)
    }
}

private extension UnsafeMutablePointer where Pointee == Float {
    func copyBuffer(count n: Int) -> UnsafeMutablePointer<Float> {
        let m = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n)); m.initialize(from: self, count: n); return m
    }
}
