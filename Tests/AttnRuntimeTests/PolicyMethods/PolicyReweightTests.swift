// The reweighting hook (AttentionReweighting): ZeroTuning and ACT on hand-made rows, and through
// the attention call, where the output must be Σ p'·v with the rewritten weights p' and the
// probe must receive p'.

import Foundation
import XCTest
@testable import AttnRuntime

final class PolicyReweightTests: XCTestCase {
    func testZeroTuningScalesTheInitialTokenAndKeepsTheOtherRatios() {
        for gamma: Float in [0.5, 1, 2.5] {
            var row: [Float] = [0.4, 0.3, 0.2, 0.1]
            ZeroTuningPolicy.scaleInitial(&row, count: 4, gamma: gamma)
            let d = (gamma - 1) * 0.4 + 1
            XCTAssertEqual(row[0], gamma * 0.4 / d, accuracy: 1e-6)
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-6)
            XCTAssertEqual(row[1] / row[2], 1.5, accuracy: 1e-5, "ratios among the rest unchanged")
            XCTAssertEqual(row[2] / row[3], 2, accuracy: 1e-5)
            // = adding ln γ to the initial token's logit
            let logits: [Double] = [0.4, 0.3, 0.2, 0.1].map { log($0) }
            let shifted = [logits[0] + log(Double(gamma))] + logits.dropFirst()
            let z = shifted.map { exp($0) }.reduce(0, +)
            XCTAssertEqual(Double(row[0]), exp(shifted[0]) / z, accuracy: 1e-6)
        }
    }

    func testZeroTuningOnlyOnChosenHeadsAndOnlyWithTheInitialToken() throws {
        let p = try XCTUnwrap(PolicyRegistry.make("zerotuning:gamma=2,heads=1+3-4") as? ZeroTuningPolicy)
        XCTAssertEqual(p.heads, [1, 3, 4])
        XCTAssertEqual(p.parameters.map(\.value), ["2.0", "1+3-4"])
        XCTAssertThrowsError(try p.check(layers: 1, shape: AttentionShape(heads: 4, kvHeads: 2, headDim: 4))) {
            XCTAssertTrue("\($0)".contains("names head 4; the model has 4 heads"), "\($0)")
        }
        XCTAssertThrowsError(try PolicyRegistry.make("zerotuning:heads=2-1")) { XCTAssertTrue("\($0)".contains("heads=2-1"), "\($0)") }
        p.reset(layers: 1, shape: AttentionShape(heads: 6, kvHeads: 2, headDim: 4))
        let from0: [Int32] = [0, 1, 2], from1: [Int32] = [1, 2, 3]
        for (head, keys, changes) in [(0, from0, false), (1, from0, true), (1, from1, false)] {
            var row: [Float] = [0.5, 0.25, 0.25]
            keys.withUnsafeBufferPointer { p.reweight(&row, count: 3, keyPositions: $0.baseAddress!, queryPosition: 3, layer: 0, head: head) }
            XCTAssertEqual(row != [0.5, 0.25, 0.25], changes, "head \(head) keys from \(keys[0])")
        }
    }

    func testACTFindsHiddenSinksAfterTheFirst() {
        // N = 5 queries; column sums / (N − j): 0.9, 0.05, 0.3, 0.0, 0.5 → above 0.1: 0, 2, 4; the first dropped
        let sums: [Double] = [0.9 * 5, 0.05 * 4, 0.3 * 3, 0, 0.5 * 1]
        XCTAssertEqual(ACTPolicy.hiddenSinks(columnSums: sums, threshold: 0.1), [2, 4])
        XCTAssertEqual(ACTPolicy.hiddenSinks(columnSums: sums, threshold: 0.6), [], "only token 0: nothing hidden")
    }

    func testACTMovesMassFromSinksInProportion() {
        var row: [Float] = [0.1, 0.4, 0.2, 0.3]
        let keys: [Int32] = [0, 5, 6, 9]
        ACTPolicy.calibrate(&row, count: 4, keyPositions: keys, sinks: [5, 7], beta: 0.25)
        XCTAssertEqual(row[1], 0.1, accuracy: 1e-6, "β · 0.4")
        XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(row[2] / row[0], 2, accuracy: 1e-5, "the others keep their ratios")
        XCTAssertEqual(row[3] / row[0], 3, accuracy: 1e-5)
    }

    /// ACT through a prefill: a key every query attends to strongly (after token 0) becomes a
    /// sink, and decode rows are calibrated.
    func testACTDetectsOnThePromptAndCalibratesDecode() throws {
        let h = 2, g = 1, d = 4, t = 12
        let shape = AttentionShape(heads: h, kvHeads: g, headDim: d)
        let policy = try ACTPolicy(beta: 0.5)
        policy.reset(layers: 1, shape: shape)
        let attention = Attention(shape: shape, capacity: 32, pool: WorkerPool(threads: 2))
        attention.policy = policy
        let cache = KVCache(layers: 1, kvHeads: g, headDim: d, capacity: 32)
        // q = (4,0,0,0) for every head; keys: token 0 and token 3 point along q, the rest are orthogonal
        var k = [Float](repeating: 0, count: t * d)
        k[0] = 4; k[3 * d] = 4
        for i in 0..<t where i != 0 && i != 3 { k[i * d + 1] = 1 }
        let q: [Float] = (0..<t).flatMap { _ in (0..<h).flatMap { _ -> [Float] in [4, 0, 0, 0] } }
        var rng = SeededRandom(seed: 9)
        var out = [Float](repeating: 0, count: t * h * d)
        attention.forward(out: &out, q: q, k: k, v: rng.floats(t * d), positions: (0..<Int32(t)).map { $0 }, tokens: t, layer: 0, cache: cache)
        XCTAssertEqual(policy.sinks, [[3], [3]], "token 3 is a hidden sink of both heads")
        XCTAssertTrue(policy.reweights(layer: 0))
        let capture = AttentionCapture(layers: 1, heads: h)
        attention.probe = capture
        var one = [Float](repeating: 0, count: h * d)
        let v = rng.floats(d)
        attention.forward(out: &one, q: Array(q[0 ..< h * d]), k: [0, 1, 0, 0], v: v, positions: [Int32(t)], tokens: 1, layer: 0, cache: cache)
        for head in 0..<h {
            let row = capture.rows[0][head].last!.probs
            // expected: naive softmax, then the calibration
            var expect = [Float](repeating: 0, count: t + 1), o = [Float](repeating: 0, count: d)
            attendRowNaive(out: &o, probs: &expect, q: Array(q[0 ..< d]), keys: Array(UnsafeBufferPointer(start: cache.keys(layer: 0, kvHead: 0), count: (t + 1) * d)),
                           values: Array(UnsafeBufferPointer(start: cache.values(layer: 0, kvHead: 0), count: (t + 1) * d)), count: t + 1, headDim: d)
            let sinkBefore = expect[3]
            ACTPolicy.calibrate(&expect, count: t + 1, keyPositions: (0...Int32(t)).map { $0 }, sinks: [3], beta: 0.5)
            XCTAssertEqual(row[3], 0.5 * sinkBefore, accuracy: 1e-5)
            for j in 0...t { XCTAssertEqual(row[j], expect[j], accuracy: 1e-5, "head \(head) key \(j)") }
            for c in 0..<d {
                let want = (0...t).reduce(Float(0)) { $0 + expect[$1] * cache.values(layer: 0, kvHead: 0)[$1 * d + c] }
                XCTAssertEqual(one[head * d + c], want, accuracy: 1e-4)
            }
        }
    }

    /// ZeroTuning through the attention call, prefill (matrix path) and decode: out = Σ p'·v,
    /// and the probe sees p'.
    func testZeroTuningThroughAttention() throws {
        let h = 4, g = 2, d = 8, t = 20
        let shape = AttentionShape(heads: h, kvHeads: g, headDim: d)
        let policy = try ZeroTuningPolicy(gamma: 3, heads: [1, 2])
        policy.reset(layers: 1, shape: shape)
        let attention = Attention(shape: shape, capacity: 64, pool: WorkerPool(threads: 2))
        attention.policy = policy
        let capture = AttentionCapture(layers: 1, heads: h)
        attention.probe = capture
        let cache = KVCache(layers: 1, kvHeads: g, headDim: d, capacity: 64)
        var rng = SeededRandom(seed: 4)
        for (step, tokens) in [t, 1, 1].enumerated() {
            let p0 = cache.count(layer: 0, kvHead: 0)
            let q = rng.floats(tokens * h * d)
            var out = [Float](repeating: 0, count: tokens * h * d)
            capture.clear()
            attention.forward(out: &out, q: q, k: rng.floats(tokens * g * d), v: rng.floats(tokens * g * d),
                              positions: (0..<Int32(tokens)).map { Int32(p0) + $0 }, tokens: tokens, layer: 0, cache: cache)
            for head in 0..<h {
                let kv = shape.kvHead(forQueryHead: head)
                for i in 0..<tokens {
                    let n = p0 + i + 1
                    var probs = [Float](repeating: 0, count: n), o = [Float](repeating: 0, count: d)
                    let keys = Array(UnsafeBufferPointer(start: cache.keys(layer: 0, kvHead: kv), count: n * d))
                    let values = Array(UnsafeBufferPointer(start: cache.values(layer: 0, kvHead: kv), count: n * d))
                    attendRowNaive(out: &o, probs: &probs, q: Array(q[(i * h + head) * d ..< (i * h + head + 1) * d]),
                                   keys: keys, values: values, count: n, headDim: d)
                    if head == 1 || head == 2 { ZeroTuningPolicy.scaleInitial(&probs, count: n, gamma: 3) }
                    let row = capture.rows[0][head][i].probs
                    for j in 0..<n { XCTAssertEqual(row[j], probs[j], accuracy: 1e-5, "step \(step) head \(head) row \(i)") }
                    for c in 0..<d {
                        let want = (0..<n).reduce(Float(0)) { $0 + probs[$1] * values[$1 * d + c] }
                        XCTAssertEqual(out[(i * h + head) * d + c], want, accuracy: 1e-4, "step \(step) head \(head) row \(i)")
                    }
                }
            }
        }
    }
}
