import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// The attention call with a policy attached: KV heads with different entry counts after
/// per-head eviction still attend over exactly their own entries, and rows reach the probe.
final class AttentionPolicyTests: XCTestCase {
    /// Evicts the oldest entry of KV head 1 only, at every call.
    final class EvictOldestOfHeadOne: AttentionPolicy {
        let name = "test", mode = AttentionPolicyMode.evicts
        var parameters: [(key: String, value: String)] { [] }
        func reset(layers: Int, shape: AttentionShape) {}
        func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] {
            cache.count(layer: layer, kvHead: 1) > 2 ? [[], [0]] : [[], []]
        }
    }

    /// Evicts 300 of KV head 1's entries after the first call (counts then differ by more than
    /// one split-key chunk of 256).
    final class EvictManyOfHeadOne: AttentionPolicy {
        let name = "test-many", mode = AttentionPolicyMode.evicts
        var parameters: [(key: String, value: String)] { [] }
        var done = false
        func reset(layers: Int, shape: AttentionShape) {}
        func endCall(layer: Int, queryCount: Int, cache: KVCache) -> [[Int]] {
            if done { return [[], []] }
            done = true
            return [[], Array(0..<300)]
        }
    }

    func testCountsDifferingByMoreThanAChunk() {
        let seed: UInt64 = 9
        var rng = SeededGenerator(seed: seed)
        let h = 4, g = 2, d = 8, t = 520
        let shape = AttentionShape(heads: h, kvHeads: g, headDim: d)
        let attention = Attention(shape: shape, capacity: 600, pool: WorkerPool(threads: 2))
        attention.policy = EvictManyOfHeadOne()
        let cache = KVCache(layers: 1, kvHeads: g, headDim: d, capacity: 600)
        var out = [Float](repeating: 0, count: t * h * d)
        attention.forward(out: &out, q: rng.floats(t * h * d), k: rng.floats(t * g * d), v: rng.floats(t * g * d),
                          positions: (0..<t).map(Int32.init), tokens: t, layer: 0, cache: cache)
        XCTAssertEqual(cache.count(layer: 0, kvHead: 1), t - 300)
        let capture = AttentionCapture(layers: 1, heads: h)
        attention.probe = capture
        let q = rng.floats(h * d), k = rng.floats(g * d), v = rng.floats(g * d)
        attention.forward(out: &out, q: q, k: k, v: v, positions: [Int32(t)], tokens: 1, layer: 0, cache: cache)
        for head in 0..<h {
            let kv = shape.kvHead(forQueryHead: head), n = cache.count(layer: 0, kvHead: kv)
            var expect = [Float](repeating: 0, count: d), probs = [Float](repeating: 0, count: n)
            q.withUnsafeBufferPointer { qb in
                attendRowNaive(out: &expect, probs: &probs, q: qb.baseAddress! + head * d, keys: cache.keys(layer: 0, kvHead: kv),
                               values: cache.values(layer: 0, kvHead: kv), count: n, headDim: d)
            }
            for c in 0..<d { XCTAssertEqual(out[head * d + c], expect[c], accuracy: 1e-4, "seed \(seed) head \(head)") }
            let row = capture.rows[0][head].last!.probs
            XCTAssertEqual(row.count, n)
            for j in 0..<n { XCTAssertEqual(row[j], probs[j], accuracy: 1e-5) }
        }
    }

    func testHeadsWithDifferentCountsAttendOverTheirOwnEntries() {
        let seed: UInt64 = 5
        var rng = SeededGenerator(seed: seed)
        let h = 4, g = 2, d = 8
        let shape = AttentionShape(heads: h, kvHeads: g, headDim: d)
        let attention = Attention(shape: shape, capacity: 32, pool: WorkerPool(threads: 2))
        attention.policy = EvictOldestOfHeadOne()
        let capture = AttentionCapture(layers: 1, heads: h)
        attention.probe = capture
        let cache = KVCache(layers: 1, kvHeads: g, headDim: d, capacity: 32)
        var out = [Float](repeating: 0, count: h * d)
        for step in 0..<8 {
            let q = rng.floats(h * d), k = rng.floats(g * d), v = rng.floats(g * d)
            // Expected: naive attention over each KV head's entries after the append.
            var snapshots: [(keys: [Float], values: [Float], n: Int)] = []
            for kv in 0..<g {
                let n = cache.count(layer: 0, kvHead: kv)
                snapshots.append((Array(UnsafeBufferPointer(start: cache.keys(layer: 0, kvHead: kv), count: n * d)) + k[kv * d ..< (kv + 1) * d],
                                  Array(UnsafeBufferPointer(start: cache.values(layer: 0, kvHead: kv), count: n * d)) + v[kv * d ..< (kv + 1) * d],
                                  n + 1))
            }
            capture.clear()
            attention.forward(out: &out, q: q, k: k, v: v, positions: [Int32(step)], tokens: 1, layer: 0, cache: cache)
            for head in 0..<h {
                let s = snapshots[shape.kvHead(forQueryHead: head)]
                var expect = [Float](repeating: 0, count: d), probs = [Float](repeating: 0, count: s.n)
                q.withUnsafeBufferPointer { qb in
                    attendRowNaive(out: &expect, probs: &probs, q: qb.baseAddress! + head * d, keys: s.keys, values: s.values,
                                   count: s.n, headDim: d)
                }
                for c in 0..<d { XCTAssertEqual(out[head * d + c], expect[c], accuracy: 1e-4, "seed \(seed) step \(step) head \(head)") }
                let row = capture.rows[0][head].last!.probs
                XCTAssertEqual(row.count, s.n, "step \(step) head \(head)")
                for j in 0..<s.n { XCTAssertEqual(row[j], probs[j], accuracy: 1e-5) }
            }
        }
        XCTAssertEqual(cache.count(layer: 0, kvHead: 0), 8)
        XCTAssertEqual(cache.count(layer: 0, kvHead: 1), 2)
        XCTAssertEqual(positions(cache, kvHead: 1), [6, 7])
        // the last call's eviction reached the probe
        XCTAssertEqual(capture.evictions.map { [$0.layer, $0.kvHead] }, [[0, 1]])
        XCTAssertEqual(capture.evictions.first?.positions, [5])
    }
}
