import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// StreamingLLM keeps the first `sink` and the last `window` entries, the same in every KV head.
final class PolicyStreamingTests: XCTestCase {
    func testKeepsSinksAndRecentWindow() throws {
        let p = try StreamingPolicy(sink: 2, window: 3)
        p.reset(layers: 1, shape: AttentionShape(heads: 4, kvHeads: 2, headDim: 4))
        let cache = filledCache(kvHeads: 2, count: 10)
        let drops = applyEnd(p, cache: cache, queryCount: 10)
        XCTAssertEqual(drops, [[2, 3, 4, 5, 6], [2, 3, 4, 5, 6]])
        XCTAssertEqual(positions(cache, kvHead: 0), [0, 1, 7, 8, 9])
        XCTAssertEqual(positions(cache, kvHead: 1), [0, 1, 7, 8, 9])
    }

    func testNothingEvictedUntilFull() throws {
        let p = try StreamingPolicy(sink: 2, window: 3)
        let cache = filledCache(count: 5)
        XCTAssertEqual(applyEnd(p, cache: cache, queryCount: 1), [[]])
        XCTAssertEqual(positions(cache), [0, 1, 2, 3, 4])
    }

    /// Through the attention call: each decode step adds one entry and evicts the one that left
    /// the window; the call reports its position.
    func testDecodeThroughAttentionSlidesTheWindow() throws {
        let shape = AttentionShape(heads: 2, kvHeads: 1, headDim: 8)
        let attention = Attention(shape: shape, capacity: 64, pool: WorkerPool(threads: 1))
        let policy = try StreamingPolicy(sink: 1, window: 4)
        policy.reset(layers: 1, shape: shape)
        attention.policy = policy
        let capture = AttentionCapture(layers: 1, heads: 2)
        attention.probe = capture
        let cache = KVCache(layers: 1, kvHeads: 1, headDim: 8, capacity: 64)
        var rng = SeededGenerator(seed: 11)
        var out = [Float](repeating: 0, count: 16)
        for step in 0..<9 {
            let q = rng.floats(16), k = rng.floats(8), v = rng.floats(8)
            let pos: [Int32] = [Int32(step)]
            capture.clear()
            attention.forward(out: &out, q: q, k: k, v: v, positions: pos, tokens: 1, layer: 0, cache: cache)
            let expectKept = step < 5 ? Array(0...step) : [0] + Array(step - 3 ... step)
            XCTAssertEqual(positions(cache), expectKept, "step \(step)")
            XCTAssertEqual(capture.evictions.map(\.positions), step < 5 ? [] : [[Int32(step - 4)]], "step \(step)")
            XCTAssertEqual(capture.evictions.map { [$0.layer, $0.kvHead] }, step < 5 ? [] : [[0, 0]], "step \(step)")
        }
    }
}
