import XCTest
@testable import AttnRuntime

/// Equal scores are ranked by position, the earlier first (the README's "deterministic" choice):
/// H2O's heavy hitters, SnapKV's pooled votes and TCA's blocks and entries, each on scores that
/// tie everywhere, so that a flipped tie-break keeps other entries.
final class PolicyTieBreakTests: XCTestCase {
    func testTopIndicesPrefersEarlierPositionsOnTies() {
        XCTAssertEqual(topIndices([1, 1, 1, 1, 1], in: 0..<5, k: 2), [0, 1])
        XCTAssertEqual(topIndices([0, 2, 1, 2, 1], in: 0..<5, k: 3), [1, 2, 3])
        XCTAssertEqual(topIndices([3, 1, 1, 1, 1], in: 1..<5, k: 2), [1, 2])
    }

    func testH2OTiedScoresKeepTheEarliestEntries() throws {
        let p = try H2OPolicy(heavy: 2, window: 2)
        p.reset(layers: 1, shape: AttentionShape(heads: 1, kvHeads: 1, headDim: 4))
        let cache = filledCache(count: 8)
        p.beginCall(layer: 0, queryCount: 1, cache: cache)
        observe(p, head: 0, kvHead: 0, cache: cache, queryPositions: [7], rows: [[Float](repeating: 0.125, count: 8)])
        XCTAssertEqual(applyEnd(p, cache: cache, queryCount: 1), [[2, 3, 4, 5]])
        XCTAssertEqual(positions(cache), [0, 1, 6, 7])
    }

    func testSnapKVTiedVotesKeepTheEarliestEntries() throws {
        let p = try SnapKVPolicy(window: 2, capacity: 4, kernel: 1)
        p.reset(layers: 1, shape: AttentionShape(heads: 1, kvHeads: 1, headDim: 4))
        let cache = filledCache(count: 8)
        p.beginCall(layer: 0, queryCount: 8, cache: cache)
        // the window's queries (6, 7) spread their attention evenly: every prefix entry gets 1/7 + 1/8
        observe(p, head: 0, kvHead: 0, cache: cache, queryPositions: [6, 7],
                rows: [[Float](repeating: 1.0 / 7, count: 7), [Float](repeating: 0.125, count: 8)])
        XCTAssertEqual(applyEnd(p, cache: cache, queryCount: 8), [[2, 3, 4, 5]])
        XCTAssertEqual(positions(cache), [0, 1, 6, 7])
    }

    /// Two blocks of 4 with equal scores: the first ranks best (it gets the larger budget, 2), and
    /// within each block the earliest entries are kept.
    func testTCATiedBlocksAndEntriesKeepTheEarliest() {
        let s = [Float](repeating: 0.1, count: 10)
        let keep = TCASelection.select(scores: s, budgets: [0.5, 0.5, 0], block: 4, window: 2, alpha: 0.5)
        XCTAssertEqual(keep, [0, 1, 4, 8, 9])
    }
}
