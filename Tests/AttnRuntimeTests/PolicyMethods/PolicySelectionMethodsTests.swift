// oracle, knn and power on hand-made and random inputs, and the per-query-head selection path
// (Attention+HeadSelection.swift) against naive attention over each head's own entries.

import Foundation
import XCTest
@testable import AttnRuntime

final class PolicySelectionMethodsTests: XCTestCase {
    /// A one-layer cache of n random entries per KV head.
    func randomCache(g: Int, d: Int, n: Int, rng: inout SeededRandom) -> KVCache {
        let cache = KVCache(layers: 1, kvHeads: g, headDim: d, capacity: n + 8)
        for kv in 0..<g {
            cache.append(layer: 0, kvHead: kv, keys: rng.floats(n * d), values: rng.floats(n * d), stride: d,
                         positions: (0..<Int32(n)).map { $0 }, tokens: n)
        }
        return cache
    }

    /// Dense probabilities of head `head` (Double), over KV head kv's stream.
    func denseRow(_ cache: KVCache, q: [Float], head: Int, kv: Int, d: Int) -> [Double] {
        let n = cache.count(layer: 0, kvHead: kv), keys = cache.keys(layer: 0, kvHead: kv)
        let s = (0..<n).map { j in (0..<d).reduce(0.0) { $0 + Double(q[head * d + $1]) * Double(keys[j * d + $1]) } / Double(d).squareRoot() }
        let m = s.max()!, e = s.map { exp($0 - m) }, z = e.reduce(0, +)
        return e.map { $0 / z }
    }

    func top(_ x: [Double], _ k: Int) -> [Int] {
        Array(x.indices.sorted { x[$0] > x[$1] }.prefix(k)).sorted()
    }

    func testOraclePerKVHeadTakesTheLargestGroupMass() throws {
        var rng = SeededRandom(seed: 11)
        let h = 4, g = 2, d = 8, n = 90, budget = 17
        let shape = AttentionShape(heads: h, kvHeads: g, headDim: d)
        let cache = randomCache(g: g, d: d, n: n, rng: &rng)
        let q = rng.floats(h * d, in: -3...3)
        let oracle = try OraclePolicy(budget: budget)
        oracle.reset(layers: 1, shape: shape)
        var sel: [[Int]] = Array(repeating: [], count: g)
        XCTAssertTrue(oracle.select(layer: 0, query: q, cache: cache, into: &sel))
        for kv in 0..<g {
            let mass = (0..<n).map { j in (0..<(h / g)).reduce(0.0) { $0 + denseRow(cache, q: q, head: kv * 2 + $1, kv: kv, d: d)[j] } }
            XCTAssertEqual(sel[kv], top(mass, budget), "kv \(kv)")
            // no other set of that size keeps more: swapping any chosen entry for any other loses mass
            let kept = sel[kv].reduce(0.0) { $0 + mass[$1] }
            let best = top(mass, budget + 1).reduce(0.0) { $0 + mass[$1] } - (top(mass, budget + 1).map { mass[$0] }.min() ?? 0)
            XCTAssertEqual(kept, best, accuracy: 1e-9)
        }
        let small = try OraclePolicy(budget: n)
        small.reset(layers: 1, shape: shape)
        XCTAssertFalse(small.select(layer: 0, query: q, cache: cache, into: &sel), "budget ≥ stream: dense")
    }

    func testKNNAndPerHeadOracleTakeEachHeadsTopScores() throws {
        var rng = SeededRandom(seed: 12)
        let h = 6, g = 2, d = 8, n = 70, budget = 9
        let shape = AttentionShape(heads: h, kvHeads: g, headDim: d)
        let cache = randomCache(g: g, d: d, n: n, rng: &rng)
        let q = rng.floats(h * d, in: -3...3)
        for policy: AttentionPolicy & QueryHeadSelecting in [try KNNPolicy(budget: budget), try OraclePolicy(budget: budget, perHead: true)] {
            policy.reset(layers: 1, shape: shape)
            var sel: [[Int]] = Array(repeating: [], count: h)
            XCTAssertTrue(policy.selectPerQueryHead(layer: 0, query: q, cache: cache, into: &sel))
            for head in 0..<h {
                XCTAssertEqual(sel[head], top(denseRow(cache, q: q, head: head, kv: shape.kvHead(forQueryHead: head), d: d), budget),
                               "\(policy.name) head \(head)")
            }
            XCTAssertNotEqual(sel[0], sel[1], "heads of one group choose differently")
        }
    }

    func testPowerPattern() throws {
        let p = try PowerPolicy(block: 4, sink: 1, window: 2)
        // query block 24: sink 0, window 23-24, dilated 24 − 2^m = 23, 22, 20, 16, 8
        XCTAssertEqual((0...24).filter { p.visible(keyBlock: $0, queryBlock: 24) }, [0, 8, 16, 20, 22, 23, 24])
        let cache = filledCache(kvHeads: 2, count: 100)
        var sel: [[Int]] = [[], []]
        XCTAssertTrue(p.select(layer: 0, query: [Float](repeating: 0, count: 16), cache: cache, into: &sel))
        let expected = [0, 8, 16, 20, 22, 23, 24].flatMap { b in (4 * b ..< 4 * b + 4) }
        XCTAssertEqual(sel, [expected, expected])
        var short: [[Int]] = [[], []]
        XCTAssertFalse(p.select(layer: 0, query: [], cache: filledCache(kvHeads: 2, count: 12), into: &short),
                       "blocks 0-2 are all visible from block 2: dense")
    }

    /// Through the attention call: each head attends to its own top-budget entries; output =
    /// naive attention over them; the probe gets each head's positions and the full count.
    func testPerHeadSelectionThroughAttention() throws {
        var rng = SeededRandom(seed: 13)
        let h = 4, g = 2, d = 8, t = 300, budget = 40
        let shape = AttentionShape(heads: h, kvHeads: g, headDim: d)
        let attention = Attention(shape: shape, capacity: 320, pool: WorkerPool(threads: 2))
        let policy = try KNNPolicy(budget: budget)
        policy.reset(layers: 1, shape: shape)
        attention.policy = policy
        let cache = KVCache(layers: 1, kvHeads: g, headDim: d, capacity: 320)
        var out = [Float](repeating: 0, count: t * h * d)
        attention.forward(out: &out, q: rng.floats(t * h * d), k: rng.floats(t * g * d), v: rng.floats(t * g * d),
                          positions: (0..<Int32(t)).map { 5 + $0 }, tokens: t, layer: 0, cache: cache)
        let capture = AttentionCapture(layers: 1, heads: h)
        final class Counts: AttentionProbe {
            var selectedFrom: [Int?] = []
            func attentionComputed(_ r: HeadProbabilityRows) { selectedFrom.append(r.selectedFrom) }
        }
        for step in 0..<2 {
            let q = rng.floats(h * d, in: -3...3)
            let counts = Counts()
            capture.clear()
            attention.probe = PolicyQuestTests.Tee(capture, counts)
            var one = [Float](repeating: 0, count: h * d)
            let n = t + step + 1
            attention.forward(out: &one, q: q, k: rng.floats(g * d), v: rng.floats(g * d), positions: [Int32(5 + n - 1)],
                              tokens: 1, layer: 0, cache: cache)
            XCTAssertEqual(counts.selectedFrom, Array(repeating: n, count: h))
            for head in 0..<h {
                let kv = shape.kvHead(forQueryHead: head)
                let sel = top(denseRow(cache, q: q, head: head, kv: kv, d: d), budget)
                XCTAssertEqual(capture.keyPositions[0][head], sel.map { Int32(5 + $0) }, "step \(step) head \(head)")
                let keys = sel.flatMap { Array(UnsafeBufferPointer(start: cache.keys(layer: 0, kvHead: kv) + $0 * d, count: d)) }
                let values = sel.flatMap { Array(UnsafeBufferPointer(start: cache.values(layer: 0, kvHead: kv) + $0 * d, count: d)) }
                var expect = [Float](repeating: 0, count: d), probs = [Float](repeating: 0, count: budget)
                attendRowNaive(out: &expect, probs: &probs, q: Array(q[head * d ..< (head + 1) * d]), keys: keys, values: values,
                               count: budget, headDim: d)
                for c in 0..<d { XCTAssertEqual(one[head * d + c], expect[c], accuracy: 1e-4, "step \(step) head \(head)") }
                let row = capture.rows[0][head].last!.probs
                for j in 0..<budget { XCTAssertEqual(row[j], probs[j], accuracy: 1e-5) }
            }
        }
    }
}
