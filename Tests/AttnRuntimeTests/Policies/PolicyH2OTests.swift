import XCTest
@testable import AttnRuntime

/// H2O keeps the entries with the most accumulated attention plus the recent window.
final class PolicyH2OTests: XCTestCase {
    func testKeepsHeavyHittersAndWindow() throws {
        let p = try H2OPolicy(heavy: 2, window: 3)
        p.reset(layers: 1, shape: AttentionShape(heads: 1, kvHeads: 1, headDim: 4))
        let cache = filledCache(count: 10)
        p.beginCall(layer: 0, queryCount: 1, cache: cache)
        // Entries 2 and 5 receive most attention; 8 is heavy too but inside the window anyway.
        var row = [Float](repeating: 0.02, count: 10)
        row[2] = 0.3; row[5] = 0.25; row[8] = 0.29
        observe(p, head: 0, kvHead: 0, cache: cache, queryPositions: [9], rows: [row])
        XCTAssertEqual(applyEnd(p, cache: cache, queryCount: 1), [[0, 1, 3, 4, 6]])
        XCTAssertEqual(positions(cache), [2, 5, 7, 8, 9])
        // Scores follow their entries: 2 and 5 keep theirs.
        XCTAssertEqual(p.scores[0][0], [0.3, 0.25, 0.02, 0.29, 0.02])
    }

    /// Scores accumulate over steps: an entry attended a little at every step outlives one
    /// attended once a bit more.
    func testScoresAccumulateAcrossSteps() throws {
        let p = try H2OPolicy(heavy: 1, window: 1)
        p.reset(layers: 1, shape: AttentionShape(heads: 1, kvHeads: 1, headDim: 4))
        let cache = filledCache(count: 2)
        p.beginCall(layer: 0, queryCount: 2, cache: cache)
        observe(p, head: 0, kvHead: 0, cache: cache, queryPositions: [0, 1], rows: [[1], [0.5, 0.5]])
        XCTAssertEqual(applyEnd(p, cache: cache, queryCount: 2), [[]])   // 2 ≤ heavy + window
        // Position 2 arrives; entry 0 has 1.5, entry 1 has 0.5 + 0.45 now.
        let k = [Float](repeating: 0, count: 4)
        cache.append(layer: 0, kvHead: 0, keys: k, values: k, stride: 4, positions: [2], tokens: 1)
        p.beginCall(layer: 0, queryCount: 1, cache: cache)
        observe(p, head: 0, kvHead: 0, cache: cache, queryPositions: [2], rows: [[0.1, 0.45, 0.45]])
        XCTAssertEqual(applyEnd(p, cache: cache, queryCount: 1), [[1]])
        XCTAssertEqual(positions(cache), [0, 2])
    }

    /// GQA: the group's scores are summed (this project's choice), not maxed.
    func testGroupScoresAreSummed() throws {
        let p = try H2OPolicy(heavy: 1, window: 1)
        p.reset(layers: 1, shape: AttentionShape(heads: 2, kvHeads: 1, headDim: 4))
        let cache = filledCache(count: 5)
        p.beginCall(layer: 0, queryCount: 1, cache: cache)
        // head 0: entry 1 = 0.4, entry 2 = 0.3; head 1: entry 2 = 0.3, entry 3 = 0.45.
        // sum → entry 2 (0.6) wins; max would pick entry 3 (0.45).
        observe(p, head: 0, kvHead: 0, cache: cache, queryPositions: [4], rows: [[0.1, 0.4, 0.3, 0.1, 0.1]])
        observe(p, head: 1, kvHead: 0, cache: cache, queryPositions: [4], rows: [[0.05, 0.0, 0.3, 0.45, 0.2]])
        _ = applyEnd(p, cache: cache, queryCount: 1)
        XCTAssertEqual(positions(cache), [2, 4])
    }
}
