import AttnTestSupport
import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// A layer with a native sliding window (Gemma 3's local layers): each row attends to the last
/// `window` positions only, on the matrix path (prefill, any T > 1) and the decode path; the
/// cache drops what the window left behind; a policy there sees only the window. Also the
/// head-dim-256 kernels Gemma 3 needs (weighted sum, GeGLU).
final class AttentionWindowTests: XCTestCase {
    /// Calls of 40, 3, 1, 1, 25 and 1 rows through a window of 16 (head dim 256, one KV head, as in
    /// Gemma 3), with and without a probe, against the naive row over the window's entries.
    func testWindowedRowsMatchNaiveOverTheWindow() {
        let window = 16, heads = 4, d = 256
        let shape = AttentionShape(heads: heads, kvHeads: 1, headDim: d)
        let pool = WorkerPool(threads: 2)
        var rng = SeededGenerator(seed: 21)
        let cache = KVCache(layers: 2, kvHeads: 1, headDim: d, capacity: 256)
        let att = Attention(shape: shape, capacity: 256, pool: pool)
        att.layerWindows = [window, nil]
        let capture = AttentionCapture(layers: 2, heads: heads)
        att.probe = capture
        let plainCache = KVCache(layers: 2, kvHeads: 1, headDim: d, capacity: 256)
        let plain = Attention(shape: shape, capacity: 256, pool: pool)
        plain.layerWindows = [window, nil]
        // every key and value ever appended, by position, for the naive rows
        var allKeys: [Float] = [], allValues: [Float] = []
        var pos: Int32 = 0
        for t in [40, 3, 1, 1, 25, 1] {
            let q = rng.floats(t * heads * d, in: -0.3...0.3), k = rng.floats(t * d, in: -0.3...0.3), v = rng.floats(t * d)
            allKeys += k; allValues += v
            let positions = (0..<Int32(t)).map { pos + $0 }
            var out = [Float](repeating: 0, count: t * heads * d), plainOut = out
            capture.clear()
            att.forward(out: &out, q: q, k: k, v: v, positions: positions, tokens: t, layer: 0, cache: cache)
            plain.forward(out: &plainOut, q: q, k: k, v: v, positions: positions, tokens: t, layer: 0, cache: plainCache)
            assertClose(plainOut, out, below: 1e-6, relative: true, "T \(t): with and without a probe")
            let last = Int(positions[t - 1])
            XCTAssertEqual(cache.count(layer: 0, kvHead: 0), min(last + 1, window - 1), "after the call: what the next query sees")
            XCTAssertEqual(Int(cache.positions(layer: 0, kvHead: 0)[0]), max(0, last + 2 - window))
            for i in 0..<t {
                let p = Int(positions[i]), lo = max(0, p - window + 1), seen = p + 1 - lo
                for h in 0..<heads {
                    var ref = [Float](repeating: 0, count: d), probs = [Float](repeating: 0, count: seen)
                    q.withUnsafeBufferPointer { qp in
                        attendRowNaive(out: &ref, probs: &probs, q: qp.baseAddress! + (i * heads + h) * d,
                                       keys: Array(allKeys[lo * d ..< (p + 1) * d]), values: Array(allValues[lo * d ..< (p + 1) * d]),
                                       count: seen, headDim: d)
                    }
                    let got = Array(out[(i * heads + h) * d ..< (i * heads + h + 1) * d])
                    assertClose(got, ref, below: 1e-4, relative: true, "T \(t) row \(i) head \(h)")
                    let row = capture.rows[0][h][i].probs
                    // the probe's row covers the stream it was given; only the window has mass
                    let keys = capture.keyPositions[0][h]
                    let inWindow = zip(keys, row).filter { Int($0.0) >= lo }.map(\.1)
                    XCTAssertEqual(inWindow.count, seen, "T \(t) row \(i)")
                    XCTAssertEqual(zip(keys, row).filter { Int($0.0) < lo }.map(\.1).max() ?? 0, 0, "outside the window")
                    XCTAssertLessThan(zip(inWindow, probs).map { abs($0 - $1) }.max()!, 1e-5)
                }
            }
            pos += Int32(t)
        }
    }

    /// H2O on a windowed layer: its scores follow the stream as the window drops entries, so it
    /// never evicts more than its own rule says, and never keeps what left the window.
    func testPolicyOnWindowedLayerSeesOnlyTheWindow() throws {
        let window = 12, d = 64
        let shape = AttentionShape(heads: 2, kvHeads: 1, headDim: d)
        let cache = KVCache(layers: 1, kvHeads: 1, headDim: d, capacity: 128)
        let att = Attention(shape: shape, capacity: 128, pool: WorkerPool(threads: 2))
        att.layerWindows = [window]
        let policy = try H2OPolicy(heavy: 2, window: 4)
        policy.reset(layers: 1, shape: shape)
        att.policy = policy
        var rng = SeededGenerator(seed: 5)
        var pos: Int32 = 0
        for t in [30, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] {
            let q = rng.floats(t * 2 * d), k = rng.floats(t * d), v = rng.floats(t * d)
            var out = [Float](repeating: 0, count: t * 2 * d)
            att.forward(out: &out, q: q, k: k, v: v, positions: (0..<Int32(t)).map { pos + $0 }, tokens: t, layer: 0, cache: cache)
            pos += Int32(t)
            let n = cache.count(layer: 0, kvHead: 0)
            XCTAssertEqual(policy.scores[0][0].count, n, "per-entry state follows the stream")
            XCTAssertLessThanOrEqual(n, 2 + 4, "H2O's budget inside the window")
            let oldest = Int(cache.positions(layer: 0, kvHead: 0)[0])
            XCTAssertGreaterThan(oldest, Int(pos) - window, "nothing from before the window stays")
        }
    }

    func testWeightedSumHeadDim256MatchesScalar() {
        var rng = SeededGenerator(seed: 8)
        let n = 37, d = 256
        let w = rng.floats(n), rows = rng.floats(n * d)
        var fast = rng.floats(d)
        var ref = fast.map(Double.init)
        weightedSumAdding(&fast, weights: w, rows: rows, count: n, dim: d)
        for j in 0..<n { for c in 0..<d { ref[c] += Double(w[j]) * Double(rows[j * d + c]) } }
        assertClose(fast, ref.map(Float.init), below: 1e-5, relative: true)
    }

    func testGeGLUMatchesNaive() {
        var rng = SeededGenerator(seed: 12)
        let n = 2051
        let g = rng.floats(n, in: -9...9), u = rng.floats(n, in: -3...3)
        var a = [Float](repeating: 0, count: n), b = a
        gegluTanh(&a, gate: g, up: u, count: n)
        gegluTanhNaive(&b, gate: g, up: u, count: n)
        XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()!, 3e-6)
        // gelu(1) = 0.841192 (tanh form); large negative gates give 0
        var one: [Float] = [0], big: [Float] = [0]
        gegluTanh(&one, gate: [1], up: [1], count: 1)
        gegluTanh(&big, gate: [-80], up: [1], count: 1)
        XCTAssertEqual(one[0], 0.841192, accuracy: 1e-6)
        XCTAssertEqual(big[0], 0, accuracy: 1e-30)
    }
}
