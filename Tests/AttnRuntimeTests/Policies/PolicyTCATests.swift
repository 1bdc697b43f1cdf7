import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// TCA's selection and calibration (this project's reading, docs/policies.md) on hand-made scores.
final class PolicyTCATests: XCTestCase {
    func testCandidatesAreDistributionsOverRetainCounts() {
        XCTAssertEqual(TCASelection.retainCounts(block: 8), [1, 2, 4, 8])
        let c = TCASelection.candidates(block: 8)
        XCTAssertEqual(c.count, 14)
        for p in c { XCTAssertEqual(p.count, 4); XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-5) }
    }

    func testBlockScoreMixesMassAndSpread() {
        // Same mass; the spread block (low Herfindahl) scores higher than the peaked one.
        let spread = TCASelection.blockScore([0.1, 0.1, 0.1, 0.1], alpha: 0.5)
        let peaked = TCASelection.blockScore([0.4, 0, 0, 0], alpha: 0.5)
        XCTAssertEqual(spread, 0.5 * 0.4 + 0.5 * 0.75, accuracy: 1e-6)
        XCTAssertEqual(peaked, 0.5 * 0.4, accuracy: 1e-6)
        XCTAssertEqual(TCASelection.blockScore([0.4, 0, 0, 0], alpha: 0), 0.4, accuracy: 1e-6)
    }

    func testRankedBudgetsGiveLargestCountsToBestBlocks() {
        // p over {1, 2, 4}: half the blocks keep 4, a quarter 2, a quarter 1.
        XCTAssertEqual(TCASelection.rankedBudgets([0.25, 0.25, 0.5], blocks: 4, block: 4), [4, 4, 2, 1])
        XCTAssertEqual(TCASelection.rankedBudgets([0, 0, 1], blocks: 3, block: 4).count, 3)
    }

    func testSelectKeepsTopOfBestBlocksAndWindow() {
        // 8 prefix entries in 2 blocks of 4, window 2. Block 1 (entries 4–7) has more mass.
        let s: [Float] = [0.01, 0.05, 0.02, 0.02, 0.3, 0.1, 0.05, 0.2, 0.15, 0.1]
        // p: one block keeps 2, the other 1 (over 𝒦 = {1, 2, 4}).
        let keep = TCASelection.select(scores: s, budgets: [0.5, 0.5, 0], block: 4, window: 2, alpha: 0)
        XCTAssertEqual(keep, [1, 4, 7, 8, 9])   // block 0: its top 1 (entry 1); block 1: top 2 (4, 7); window 8, 9
    }

    /// The calibrated KV head keeps ≥ τ of every group head's observed dense mass, recomputed
    /// here independently of the calibration's own report; and a lower τ never costs more.
    func testCalibrationReachesTau() {
        let seed: UInt64 = 7
        var rng = SeededGenerator(seed: seed)
        let n = 200, b = 8, w = 16
        func row(_ len: Int) -> [Float] {
            // A sink at 0, a few hot entries, a noisy tail: normalised.
            var r = (0..<len).map { _ in Float.random(in: 0...0.02, using: &rng) }
            r[0] += 1
            for hot in [37, 90, 150] where hot < len { r[hot] += 0.3 }
            let t = r.reduce(0, +)
            return r.map { $0 / t }
        }
        let group: [TCACalibration.HeadRows] = (0..<3).map { _ in (n - 4 ..< n).map { row($0 + 1) } }
        var previousCost = Float.infinity
        for tau: Float in [0.99, 0.9, 0.7] {
            let r = TCACalibration.calibrate(group: group, block: b, window: w, alpha: 0.5, tau: tau)
            var s = [Float](repeating: 0, count: n)
            for head in group { for j in 0..<n { s[j] += head.last![j] } }
            let keep = Set(TCASelection.select(scores: s, budgets: r.budgets, block: b, window: w, alpha: 0.5))
            for head in group {
                let mass = head.map { row in row.indices.filter { keep.contains($0) }.reduce(Float(0)) { $0 + row[$1] } }
                    .reduce(0, +) / Float(head.count)
                XCTAssertGreaterThanOrEqual(mass, tau, "seed \(seed) tau \(tau)")
            }
            let cost = TCASelection.expectedKeep(r.budgets, block: b)
            XCTAssertLessThanOrEqual(cost, previousCost, "seed \(seed) tau \(tau)")
            previousCost = cost
        }
    }

    func testBudgetsFileIsCheckedAgainstTheModel() throws {
        let p: [Float] = [0, 0, 0, 1]
        let file = TCABudgets(model: "m", layers: 2, kvHeads: 1, block: 8, window: 4, tau: 0.9, alpha: 0.5,
                              calibrationTokens: 10, budgets: [[p], [p]], keptMass: [[1], [1]])
        let text = String(decoding: try file.encoded(), as: UTF8.self)
        let policy = try PolicyRegistry.make("tca:budgets=b.json", loadFile: { _ in text })
        XCTAssertNoThrow(try policy.check(layers: 2, shape: AttentionShape(heads: 2, kvHeads: 1, headDim: 4)))
        XCTAssertThrowsError(try policy.check(layers: 30, shape: AttentionShape(heads: 9, kvHeads: 3, headDim: 64))) {
            XCTAssertTrue("\($0)".contains("is for 2 layers × 1 KV heads"), "\($0)")
        }
        XCTAssertThrowsError(try PolicyRegistry.make("tca")) { XCTAssertTrue("\($0)".contains("budgets=PATH")) }
        XCTAssertThrowsError(try PolicyRegistry.make("tca:budgets=x", loadFile: { _ in "{}" })) {
            XCTAssertTrue("\($0)".contains("not a TCA budgets file"), "\($0)")
        }
    }

    /// Decode: once b entries pile up behind the window, that block shrinks to ⌊Σ k·p_k⌋ entries.
    func testDecodeCompressesFullBlocks() throws {
        let p: [Float] = [0, 1, 0, 0]   // every block keeps 2 of 8
        let file = TCABudgets(model: "m", layers: 1, kvHeads: 1, block: 8, window: 4, tau: 0.9, alpha: 0.5,
                              calibrationTokens: 10, budgets: [[p]], keptMass: [[1]])
        let policy = try TCAPolicy(budgets: file, path: "mem")
        policy.reset(layers: 1, shape: AttentionShape(heads: 1, kvHeads: 1, headDim: 4))
        let cache = filledCache(count: 4)
        policy.beginCall(layer: 0, queryCount: 4, cache: cache)
        XCTAssertEqual(applyEnd(policy, cache: cache, queryCount: 4), [[]])   // only the window so far
        let k = [Float](repeating: 0, count: 4)
        for pos in 4..<12 {
            cache.append(layer: 0, kvHead: 0, keys: k, values: k, stride: 4, positions: [Int32(pos)], tokens: 1)
            policy.beginCall(layer: 0, queryCount: 1, cache: cache)
            var row = [Float](repeating: 0.01, count: pos + 1); row[3] = 0.5; if pos >= 6 { row[6] = 0.3 }
            observe(policy, head: 0, kvHead: 0, cache: cache, queryPositions: [Int32(pos)], rows: [row])
            _ = applyEnd(policy, cache: cache, queryCount: 1)
        }
        // At position 11: 12 entries = block 0 ..< 8 behind a window of 4 → keep its top 2 (3 and 6).
        XCTAssertEqual(positions(cache), [3, 6, 8, 9, 10, 11])
    }
}
