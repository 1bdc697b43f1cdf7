import XCTest
@testable import AttnRuntime

/// SnapKV: the observation window votes once at the end of prefill; pooled votes pick the prefix.
final class PolicySnapKVTests: XCTestCase {
    func testPooling() {
        XCTAssertEqual(pool1D([0, 0, 3, 0, 0], kernel: 3, pooling: .avg), [0, 1, 1, 1, 0])
        XCTAssertEqual(pool1D([0, 0, 3, 0, 0], kernel: 3, pooling: .max), [0, 3, 3, 3, 0])
        XCTAssertEqual(pool1D([3, 0, 0], kernel: 3, pooling: .avg), [1, 1, 0])   // padding counts as 0
        XCTAssertEqual(pool1D([1, 2], kernel: 1, pooling: .avg), [1, 2])
    }

    func testWindowVotesPickThePrefix() throws {
        let p = try SnapKVPolicy(window: 2, capacity: 5, kernel: 1)
        p.reset(layers: 1, shape: AttentionShape(heads: 1, kvHeads: 1, headDim: 4))
        let cache = filledCache(count: 10)
        p.beginCall(layer: 0, queryCount: 10, cache: cache)
        // An early query (outside the window) attends to entry 1: it must not vote.
        var early = [Float](repeating: 0, count: 5); early[1] = 1
        observe(p, head: 0, kvHead: 0, cache: cache, queryPositions: [4], rows: [early])
        // The window queries (positions 8, 9) favour entries 3, 6 and 0.
        var a = [Float](repeating: 0.01, count: 9); a[3] = 0.5; a[6] = 0.3; a[0] = 0.13
        var b = [Float](repeating: 0.01, count: 10); b[3] = 0.4; b[6] = 0.3; b[0] = 0.2
        observe(p, head: 0, kvHead: 0, cache: cache, queryPositions: [8, 9], rows: [a, b])
        _ = applyEnd(p, cache: cache, queryCount: 10)
        XCTAssertEqual(positions(cache), [0, 3, 6, 8, 9])
        // Decode never evicts again.
        let k = [Float](repeating: 0, count: 4)
        cache.append(layer: 0, kvHead: 0, keys: k, values: k, stride: 4, positions: [10], tokens: 1)
        p.beginCall(layer: 0, queryCount: 1, cache: cache)
        XCTAssertEqual(applyEnd(p, cache: cache, queryCount: 1), [[]])
        XCTAssertEqual(cache.count(layer: 0, kvHead: 0), 6)
    }

    func testShortPromptKeepsEverything() throws {
        let p = try SnapKVPolicy(window: 2, capacity: 16, kernel: 1)
        p.reset(layers: 1, shape: AttentionShape(heads: 1, kvHeads: 1, headDim: 4))
        let cache = filledCache(count: 10)
        p.beginCall(layer: 0, queryCount: 10, cache: cache)
        XCTAssertEqual(applyEnd(p, cache: cache, queryCount: 10), [[]])
    }

    /// Pooling spreads a peak's vote to its neighbours: with kernel 3 the neighbour of a strong
    /// entry beats an isolated weaker one.
    func testPooledVotesKeepNeighbourhoods() throws {
        let p = try SnapKVPolicy(window: 1, capacity: 3, kernel: 3, pooling: .avg)
        p.reset(layers: 1, shape: AttentionShape(heads: 1, kvHeads: 1, headDim: 4))
        let cache = filledCache(count: 8)
        p.beginCall(layer: 0, queryCount: 8, cache: cache)
        // entries: 2 = 0.5, 3 = 0.2, 6 = 0.25 → pooled: 2 ≈ 0.233, 3 ≈ 0.233, 6 ≈ 0.083
        observe(p, head: 0, kvHead: 0, cache: cache, queryPositions: [7], rows: [[0, 0, 0.5, 0.2, 0, 0, 0.25, 0.05]])
        _ = applyEnd(p, cache: cache, queryCount: 8)
        XCTAssertEqual(positions(cache), [2, 3, 7])
    }
}
