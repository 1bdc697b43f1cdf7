import AttnTestSupport
import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// How the row path (decode) hands probabilities to a probe: all heads in one batch, written by
/// the kernel straight into the delivered buffer, with zeros past each row's visible entries,
/// also when KV heads hold different counts after per-head eviction.
final class ProbeDeliveryTests: XCTestCase {
    /// Keeps what one batch call delivered (copied out, the buffers are reused).
    final class BatchProbe: AttentionProbe {
        struct Head { var head: Int; var kvHead: Int; var keys: [Int32]; var visible: [Int]; var rows: [[Float]]; var entropies: [Float]? }
        var batches: [[Head]] = []
        var poolThreads = 0
        func attentionComputed(_ rows: HeadProbabilityRows) { XCTFail("the row path must deliver batches") }
        func attentionComputed(layer: Int, heads: UnsafeBufferPointer<HeadProbabilityRows>, pool: WorkerPool) {
            poolThreads = pool.threads
            batches.append(heads.map { r in
                Head(head: r.head, kvHead: r.kvHead, keys: Array(r.keyPositions), visible: Array(r.visibleCounts),
                     rows: (0..<r.rowCount).map { i in Array(UnsafeBufferPointer(start: r.probabilities + i * r.rowStride, count: r.rowStride)) },
                     entropies: r.entropies.map { e in (0..<r.rowCount).map { e[$0] } })
            })
        }
    }

    /// After evicting different entries from the two KV heads, decode (T = 1) and a 3-row call
    /// deliver one batch of every head whose rows match the naive attention over that head's
    /// stream, are 0 beyond the visible entries, and name the head's own key positions. Decode
    /// rows come with the kernel's entropy, which matches −Σ p ln p of the naive probabilities.
    func testBatchMatchesNaiveAfterPerHeadEviction() {
        let shape = AttentionShape(heads: 6, kvHeads: 2, headDim: 64)
        let pool = WorkerPool(threads: 2)
        for seed: UInt64 in [11, 12] {
            var rng = SeededGenerator(seed: seed)
            let cache = KVCache(layers: 1, kvHeads: 2, headDim: 64, capacity: 1024)
            let att = Attention(shape: shape, capacity: 1024, pool: pool)
            var pos: Int32 = 0
            func call(_ t: Int) -> (q: [Float], positions: [Int32]) {
                let q = rng.floats(t * 6 * 64, in: -2...2), k = rng.floats(t * 2 * 64, in: -2...2), v = rng.floats(t * 2 * 64)
                var out = [Float](repeating: 0, count: t * 6 * 64)
                let positions = (0..<Int32(t)).map { pos + $0 }
                att.forward(out: &out, q: q, k: k, v: v, positions: positions, tokens: t, layer: 0, cache: cache)
                pos += Int32(t)
                return (q, positions)
            }
            _ = call(700)   // prefill (matrix path, no probe yet): long enough for several 256-key chunks
            cache.remove(layer: 0, kvHead: 0, indices: Array(4 ..< 40))
            cache.remove(layer: 0, kvHead: 1, indices: [1, 2, 300, 301, 302])
            let probe = BatchProbe()
            att.probe = probe
            for t in [1, 3, 1] {
                probe.batches = []
                let (q, positions) = call(t)
                XCTAssertEqual(probe.batches.count, 1, "seed \(seed) T \(t): one batch per call")
                XCTAssertEqual(probe.poolThreads, 2)
                guard let batch = probe.batches.first else { continue }
                XCTAssertEqual(batch.map(\.head), Array(0..<6))
                for h in batch {
                    let g = h.kvHead, ng = cache.count(layer: 0, kvHead: g)
                    XCTAssertEqual(g, h.head / 3)
                    XCTAssertEqual(h.keys, Array(UnsafeBufferPointer(start: cache.positions(layer: 0, kvHead: g), count: ng)))
                    XCTAssertEqual(h.visible, (0..<t).map { ng - (t - 1 - $0) })
                    for i in 0..<t {
                        let visible = h.visible[i]
                        var ref = [Float](repeating: 0, count: 64), probs = [Float](repeating: 0, count: visible)
                        q.withUnsafeBufferPointer { qp in
                            attendRowNaive(out: &ref, probs: &probs, q: qp.baseAddress! + (i * 6 + h.head) * 64,
                                           keys: cache.keys(layer: 0, kvHead: g), values: cache.values(layer: 0, kvHead: g),
                                           count: visible, headDim: 64)
                        }
                        let row = h.rows[i]
                        assertClose(row[..<visible], probs, below: 1e-6,
                                          "seed \(seed) T \(t) row \(i) head \(h.head) at \(positions[i])")
                        XCTAssertTrue(row[visible...].allSatisfy { $0 == 0 }, "seed \(seed) T \(t) row \(i) head \(h.head): zeros past the visible entries")
                        if t == 1 {
                            let reference = -probs.reduce(0.0) { $0 + ($1 > 0 ? Double($1) * log(Double($1)) : 0) }
                            guard let e = h.entropies?[i] else { XCTFail("seed \(seed) head \(h.head): no entropy with a decode row"); continue }
                            XCTAssertEqual(Double(e), reference, accuracy: 1e-5 * reference + 1e-6, "seed \(seed) head \(h.head)")
                            XCTAssertGreaterThan(reference, 0.5, "a spread row, not a trivial one")
                        } else {
                            XCTAssertNil(h.entropies, "rows of a T > 1 call carry no entropy")
                        }
                    }
                }
            }
        }
    }

    /// A probe without a batch method gets the same rows head by head (the protocol's default).
    func testDefaultBatchDeliversHeadByHead() {
        let shape = AttentionShape(heads: 4, kvHeads: 2, headDim: 64)
        let pool = WorkerPool(threads: 2)
        var rng = SeededGenerator(seed: 5)
        let cache = KVCache(layers: 1, kvHeads: 2, headDim: 64, capacity: 64)
        let att = Attention(shape: shape, capacity: 64, pool: pool)
        let capture = AttentionCapture(layers: 1, heads: 4)
        att.probe = capture
        for (i, t) in [5, 1].enumerated() {
            let q = rng.floats(t * 4 * 64), k = rng.floats(t * 2 * 64), v = rng.floats(t * 2 * 64)
            var out = [Float](repeating: 0, count: t * 4 * 64)
            let positions = (0..<Int32(t)).map { Int32(i * 5) + $0 }
            att.forward(out: &out, q: q, k: k, v: v, positions: positions, tokens: t, layer: 0, cache: cache)
        }
        for h in 0..<4 {
            XCTAssertEqual(capture.rows[0][h].map(\.query), [0, 1, 2, 3, 4, 5], "head \(h)")
            XCTAssertEqual(capture.rows[0][h].map(\.probs.count), [1, 2, 3, 4, 5, 6], "head \(h)")
            for r in capture.rows[0][h] { XCTAssertEqual(r.probs.reduce(0, +), 1, accuracy: 1e-5) }
        }
    }

    /// A probe that takes decode rows unscaled and scales each itself (as the recorder does on
    /// its worker), then keeps them like BatchProbe.
    final class UnscaledBatchProbe: AttentionProbe {
        let kept = BatchProbe()
        var unscaledHeads = 0
        var acceptsUnscaledRows: Bool { true }
        func attentionComputed(_ rows: HeadProbabilityRows) { XCTFail("the row path must deliver batches") }
        func attentionComputed(layer: Int, heads: UnsafeBufferPointer<HeadProbabilityRows>, pool: WorkerPool) {
            unscaledHeads += heads.filter { $0.pendingScale != nil }.count
            let scaled = heads.map { $0.scaleInPlace() }
            XCTAssertTrue(scaled.allSatisfy { $0.pendingScale == nil })
            scaled.withUnsafeBufferPointer { kept.attentionComputed(layer: layer, heads: $0, pool: pool) }
        }
    }

    /// Rows delivered unscaled and scaled by the probe are bit for bit the rows the kernel scales
    /// (zeros past the visible entries included), with the same entropies and outputs: decode rows
    /// of several 256-key chunks, KV heads of different lengths after per-head eviction, long
    /// enough (H·n ≥ 8192) that the scaling kernel merges on the pool. Rows of a T > 1 call come
    /// scaled either way.
    func testUnscaledRowsScaleToTheKernelsRows() {
        let shape = AttentionShape(heads: 6, kvHeads: 2, headDim: 64)
        let pool = WorkerPool(threads: 2)
        func run(_ probe: AttentionProbe) -> [[Float]] {
            var rng = SeededGenerator(seed: 21)
            let cache = KVCache(layers: 1, kvHeads: 2, headDim: 64, capacity: 2048)
            let att = Attention(shape: shape, capacity: 2048, pool: pool)
            var pos: Int32 = 0, outs: [[Float]] = []
            func call(_ t: Int) {
                let q = rng.floats(t * 6 * 64, in: -2...2), k = rng.floats(t * 2 * 64, in: -2...2), v = rng.floats(t * 2 * 64)
                var out = [Float](repeating: 0, count: t * 6 * 64)
                att.forward(out: &out, q: q, k: k, v: v, positions: (0..<Int32(t)).map { pos + $0 }, tokens: t, layer: 0, cache: cache)
                pos += Int32(t)
                outs.append(out)
            }
            call(1500)
            cache.remove(layer: 0, kvHead: 1, indices: Array(300 ..< 620))
            att.probe = probe
            for t in [1, 1, 3, 1] { call(t) }
            return outs
        }
        let scaledByKernel = BatchProbe(), scaledByProbe = UnscaledBatchProbe()
        let outsA = run(scaledByKernel), outsB = run(scaledByProbe)
        XCTAssertEqual(scaledByProbe.unscaledHeads, 3 * 6, "the three decode calls came unscaled")
        XCTAssertEqual(outsA.map { $0.map(\.bitPattern) }, outsB.map { $0.map(\.bitPattern) }, "outputs")
        let a = scaledByKernel.batches, b = scaledByProbe.kept.batches
        XCTAssertEqual(a.count, 4)
        XCTAssertEqual(a.count, b.count)
        for (call, (x, y)) in zip(a, b).enumerated() {
            for (hx, hy) in zip(x, y) {
                XCTAssertEqual(hx.visible, hy.visible)
                XCTAssertEqual(hx.rows.map { $0.map(\.bitPattern) }, hy.rows.map { $0.map(\.bitPattern) }, "call \(call) head \(hx.head)")
                XCTAssertEqual(hx.entropies?.map(\.bitPattern), hy.entropies?.map(\.bitPattern), "call \(call) head \(hx.head)")
            }
            if call != 2 { XCTAssertTrue(x.contains { $0.visible[0] < $0.rows[0].count }, "a shorter KV head: zeros to write") }
        }
    }
}
