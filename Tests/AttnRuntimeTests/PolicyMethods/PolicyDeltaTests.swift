// DELTA on hand-made page scores, and through three layers of attention: the Δ-layer's observed
// probabilities plan one set that both sparse layers attend to, for every head.

import Foundation
import XCTest
@testable import AttnRuntime

final class PolicyDeltaTests: XCTestCase {
    func testRecentPagesForcedThenTheBest() {
        // page 2, 10 pages (the last one partial: entry 18 only)
        var s = [Float](repeating: 0, count: 19)
        s[2] = 0.5; s[3] = 0.1    // page 1: 0.6
        s[8] = 0.3                // page 4: 0.3
        s[14] = 0.3               // page 7: 0.3 (tie with page 4: the older wins)
        s[11] = 0.2               // page 5: 0.2
        XCTAssertEqual(DeltaPolicy.selectPages(s, page: 2, pages: 4, recent: 1), [2, 3, 8, 9, 14, 15, 18])
        XCTAssertEqual(DeltaPolicy.selectPages(s, page: 2, pages: 3, recent: 1), [2, 3, 8, 9, 18], "tie: page 4 before page 7")
        XCTAssertEqual(DeltaPolicy.selectPages(s, page: 2, pages: 10, recent: 1), Array(0..<19), "every page: all")
        XCTAssertEqual(DeltaPolicy.selectPages(s, page: 2, pages: 3, recent: 3), [14, 15, 16, 17, 18], "only the recent pages")
    }

    func testDeltaLayerPlansForTheSparseLayers() throws {
        let h = 4, g = 2, d = 8, t = 120, layers = 3
        let shape = AttentionShape(heads: h, kvHeads: g, headDim: d)
        let policy = try DeltaPolicy(fullLayers: [0], page: 4, pages: 6, recent: 2)
        try policy.check(layers: layers, shape: shape)
        policy.reset(layers: layers, shape: shape)
        let attention = Attention(shape: shape, capacity: 160, pool: WorkerPool(threads: 2))
        attention.policy = policy
        let cache = KVCache(layers: layers, kvHeads: g, headDim: d, capacity: 160)
        var rng = SeededRandom(seed: 17)
        var out = [Float](repeating: 0, count: t * h * d)
        for l in 0..<layers {
            attention.forward(out: &out, q: rng.floats(t * h * d), k: rng.floats(t * g * d), v: rng.floats(t * g * d),
                              positions: (0..<Int32(t)).map { $0 }, tokens: t, layer: l, cache: cache)
        }
        let capture = AttentionCapture(layers: layers, heads: h)
        attention.probe = capture
        var one = [Float](repeating: 0, count: h * d)
        for l in 0..<layers {
            attention.forward(out: &one, q: rng.floats(h * d, in: -3...3), k: rng.floats(g * d), v: rng.floats(g * d),
                              positions: [Int32(t)], tokens: 1, layer: l, cache: cache)
        }
        let n = t + 1
        var maxProb = [Float](repeating: 0, count: n)
        for head in 0..<h {
            let row = capture.rows[0][head].last!.probs
            XCTAssertEqual(row.count, n, "the Δ-layer attends densely")
            for j in 0..<n { maxProb[j] = max(maxProb[j], row[j]) }
        }
        let plan = DeltaPolicy.selectPages(maxProb, page: 4, pages: 6, recent: 2)
        XCTAssertEqual(plan.count, 4 * 5 + 1, "4 best full pages, the last full page and the partial one")
        XCTAssertEqual(policy.plan, plan)
        for l in 1..<layers {
            for head in 0..<h {
                XCTAssertEqual(capture.keyPositions[l][head], plan.map { Int32($0) }, "layer \(l) head \(head) attends to the plan")
            }
        }
        XCTAssertThrowsError(try DeltaPolicy(fullLayers: [5]).check(layers: 3, shape: shape)) {
            XCTAssertTrue("\($0)".contains("full_layers names layer 5"), "\($0)")
        }
    }
}
