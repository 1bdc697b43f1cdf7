import AttnTestSupport
import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// The attention entry point (row path and sgemm path) against the naive Double version, the GQA
/// head mapping, causal masking, and the KV cache's removal of entries.
final class AttentionTests: XCTestCase {
    /// Feeds T tokens through `Attention.forward` and recomputes every (row, head) naively from the
    /// cache contents: outputs within 1e-5, probabilities within 1e-6 (f32 vs Double, ≤ 600 keys).
    /// The last case has 600+ keys, so decode rows are split into several 256-key chunks and merged.
    func testForwardMatchesNaiveOnBothPaths() {
        let shape = AttentionShape(heads: 6, kvHeads: 2, headDim: 64)
        let pool = WorkerPool(threads: 2)
        for (seed, chunks) in [(UInt64(1), [3, 1, 1]), (2, [20, 1]), (3, [70, 9]), (4, [600, 1, 2])] {
            var rng = SeededGenerator(seed: seed)
            let cache = KVCache(layers: 1, kvHeads: 2, headDim: 64, capacity: 1024)
            let att = Attention(shape: shape, capacity: 1024, pool: pool)
            let capture = AttentionCapture(layers: 1, heads: 6)
            att.probe = capture
            // the same calls without a probe (heads then run in parallel): identical outputs
            let plainCache = KVCache(layers: 1, kvHeads: 2, headDim: 64, capacity: 1024)
            let plain = Attention(shape: shape, capacity: 1024, pool: pool)
            var pos: Int32 = 0
            for t in chunks {
                let q = rng.floats(t * 6 * 64, in: -2...2), k = rng.floats(t * 2 * 64, in: -2...2), v = rng.floats(t * 2 * 64)
                var out = [Float](repeating: 0, count: t * 6 * 64)
                let positions = (0..<Int32(t)).map { pos + $0 }
                capture.clear()
                att.forward(out: &out, q: q, k: k, v: v, positions: positions, tokens: t, layer: 0, cache: cache)
                var plainOut = [Float](repeating: 0, count: t * 6 * 64)
                plain.forward(out: &plainOut, q: q, k: k, v: v, positions: positions, tokens: t, layer: 0, cache: plainCache)
                XCTAssertEqual(plainOut, out, "seed \(seed): with and without a probe")
                let n = cache.count(layer: 0, kvHead: 0)
                XCTAssertEqual(n, Int(pos) + t)
                for i in 0..<t {
                    for h in 0..<6 {
                        let g = h / 3
                        let visible = n - (t - 1 - i)
                        var ref = [Float](repeating: 0, count: 64), probs = [Float](repeating: 0, count: visible)
                        q.withUnsafeBufferPointer { qp in
                            attendRowNaive(out: &ref, probs: &probs, q: qp.baseAddress! + (i * 6 + h) * 64,
                                           keys: cache.keys(layer: 0, kvHead: g), values: cache.values(layer: 0, kvHead: g),
                                           count: visible, headDim: 64)
                        }
                        let got = Array(out[(i * 6 + h) * 64 ..< (i * 6 + h + 1) * 64])
                        assertClose(got, ref, below: 1e-5, relative: true, "seed \(seed) T \(t) row \(i) head \(h)")
                        let row = capture.rows[0][h][i]
                        XCTAssertEqual(row.query, Int(positions[i]))
                        XCTAssertEqual(row.probs.count, visible, "causal: row sees entries up to its position")
                        assertClose(row.probs, probs, below: 1e-6)
                    }
                }
                pos += Int32(t)
            }
        }
    }

    /// Scores near ±1e3, far beyond exp's range: every softmax (the prefill rows, each decode
    /// chunk and their merge) must subtract its maximum first, or its exponentials saturate.
    /// 300 keys, so that a decode row spans two 256-key chunks.
    func testScoresNearAThousandMatchNaive() {
        let shape = AttentionShape(heads: 2, kvHeads: 1, headDim: 64)
        var rng = SeededGenerator(seed: 31)
        let cache = KVCache(layers: 1, kvHeads: 1, headDim: 64, capacity: 512)
        let att = Attention(shape: shape, capacity: 512, pool: WorkerPool(threads: 2))
        let capture = AttentionCapture(layers: 1, heads: 2)
        att.probe = capture
        var pos: Int32 = 0
        var largest: Double = 0
        for t in [300, 1, 1] {
            let q = rng.floats(t * 2 * 64, in: -1000...1000), k = rng.floats(t * 64, in: -3...3), v = rng.floats(t * 64)
            var out = [Float](repeating: 0, count: t * 2 * 64)
            capture.clear()
            att.forward(out: &out, q: q, k: k, v: v, positions: (0..<Int32(t)).map { pos + $0 }, tokens: t, layer: 0, cache: cache)
            let n = cache.count(layer: 0, kvHead: 0)
            for i in Swift.max(0, t - 3)..<t {   // the last rows see the most keys
                for h in 0..<2 {
                    let visible = n - (t - 1 - i)
                    var ref = [Float](repeating: 0, count: 64), probs = [Float](repeating: 0, count: visible)
                    q.withUnsafeBufferPointer { qp in
                        attendRowNaive(out: &ref, probs: &probs, q: qp.baseAddress! + (i * 2 + h) * 64,
                                       keys: cache.keys(layer: 0, kvHead: 0), values: cache.values(layer: 0, kvHead: 0),
                                       count: visible, headDim: 64)
                    }
                    largest = Swift.max(largest, Double(probs.max() ?? 0))
                    assertClose(Array(out[(i * 2 + h) * 64 ..< (i * 2 + h + 1) * 64]), ref, below: 1e-3, relative: true, "T \(t) row \(i) head \(h)")
                    assertClose(capture.rows[0][h][i].probs, probs, below: 1e-3, "T \(t) row \(i) head \(h)")
                }
            }
            pos += Int32(t)
        }
        XCTAssertGreaterThan(largest, 0.5, "the scores are far apart, as intended: rows are peaked")
    }

    /// GQA: query head h uses KV head h / (H/G) (consecutive heads share), not h % G. With H = 4,
    /// G = 2, head 1 must read KV head 0; h % G would pick KV head 1. KV head 0 has values all 1,
    /// KV head 1 all 2, so each head's output says which one it read.
    func testGQAMappingConsecutiveHeadsShareAKVHead() {
        let shape = AttentionShape(heads: 4, kvHeads: 2, headDim: 8)
        XCTAssertEqual((0..<4).map(shape.kvHead(forQueryHead:)), [0, 0, 1, 1])
        let cache = KVCache(layers: 1, kvHeads: 2, headDim: 8, capacity: 4)
        let att = Attention(shape: shape, capacity: 4, pool: WorkerPool(threads: 2))
        let q = [Float](repeating: 0.1, count: 4 * 8)
        let k = [Float](repeating: 0.3, count: 2 * 8)
        let v = [Float](repeating: 1, count: 8) + [Float](repeating: 2, count: 8)
        var out = [Float](repeating: 0, count: 4 * 8)
        att.forward(out: &out, q: q, k: k, v: v, positions: [0], tokens: 1, layer: 0, cache: cache)
        XCTAssertEqual(stride(from: 0, to: 32, by: 8).map { out[$0] }, [1, 1, 2, 2])
    }

    /// Removing entries keeps the others in order with their original positions, and attention
    /// after removal equals attention over only the kept entries.
    func testKVCacheRemovalKeepsPositionsAndContents() {
        var rng = SeededGenerator(seed: 9)
        let d = 8
        let cache = KVCache(layers: 2, kvHeads: 1, headDim: d, capacity: 16)
        let keys = rng.floats(10 * d), values = rng.floats(10 * d)
        let positions = (0..<Int32(10)).map { $0 }
        cache.append(layer: 1, kvHead: 0, keys: keys, values: values, stride: d, positions: positions, tokens: 10)
        cache.remove(layer: 1, kvHead: 0, indices: [7, 1, 2])
        XCTAssertEqual(cache.count(layer: 1, kvHead: 0), 7)
        XCTAssertEqual(cache.count(layer: 0, kvHead: 0), 0)
        let kept = [0, 3, 4, 5, 6, 8, 9]
        XCTAssertEqual(Array(UnsafeBufferPointer(start: cache.positions(layer: 1, kvHead: 0), count: 7)), kept.map(Int32.init))
        for (slot, original) in kept.enumerated() {
            XCTAssertEqual(Array(UnsafeBufferPointer(start: cache.keys(layer: 1, kvHead: 0) + slot * d, count: d)),
                           Array(keys[original * d ..< (original + 1) * d]))
            XCTAssertEqual(Array(UnsafeBufferPointer(start: cache.values(layer: 1, kvHead: 0) + slot * d, count: d)),
                           Array(values[original * d ..< (original + 1) * d]))
        }
        XCTAssertNil(cache.invariantViolation())
        XCTAssertEqual(cache.nextPosition, 0, "layer 0 is empty")
        cache.reset()
        XCTAssertEqual(cache.totalEntries, 0)
    }
}
