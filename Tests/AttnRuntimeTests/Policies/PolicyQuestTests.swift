import AttnTraceTestSupport
import XCTest
@testable import AttnRuntime

/// Quest picks, per decode query, the current page plus the pages whose channel-wise key bounds
/// give the highest upper bound Σ_c max(q_c·min_c, q_c·max_c) (summed over the GQA group), and
/// keeps the whole cache.
final class PolicyQuestTests: XCTestCase {
    /// A one-layer cache of one KV head whose entry i has key keys[i] (padded to d with zeros).
    func cache(keys: [[Float]], d: Int = 8, kvHeads: Int = 1) -> KVCache {
        let c = KVCache(layers: 1, kvHeads: kvHeads, headDim: d, capacity: 64)
        for g in 0..<kvHeads {
            for (i, k) in keys.enumerated() {
                let row = k + [Float](repeating: 0, count: d - k.count)
                c.append(layer: 0, kvHead: g, keys: row, values: row, stride: d, positions: [Int32(i)], tokens: 1)
            }
        }
        return c
    }

    func select(_ p: QuestPolicy, cache c: KVCache, heads: Int, query: [Float], d: Int = 8) -> [[Int]]? {
        let g = c.kvHeads
        p.reset(layers: 1, shape: AttentionShape(heads: heads, kvHeads: g, headDim: d))
        p.beginCall(layer: 0, queryCount: 1, cache: c)
        var selection = Array(repeating: [Int](), count: g)
        let q = query + [Float](repeating: 0, count: heads * d - query.count)
        return p.select(layer: 0, query: q, cache: c, into: &selection) ? selection : nil
    }

    /// Six pages of two entries, query (1, −1, 0 …). Page 1 holds keys (3, 0) and (−3, 0): their
    /// mean scores 0, but the bound max_c is 3, so it is picked first. Page 4 has c1 down to −2.5,
    /// which the negative query channel turns into a bound of 2.5 (the min side counts). Page 5 is
    /// the current page (score 0) and always attended. Budget 6 = 3 pages.
    func testPicksPagesByTheUpperBoundAndAlwaysTheCurrentPage() throws {
        let keys: [[Float]] = [[0.5, 0], [0.5, 0],   // page 0: U = 0.5
                               [3, 0], [-3, 0],      // page 1: U = 3
                               [1, 0], [1, 0],       // page 2: U = 1
                               [0, 0], [0, 0],       // page 3: U = 0
                               [0, -2.5], [0, 0],    // page 4: U = 2.5
                               [0, 0], [0, 0]]       // page 5: current
        let c = cache(keys: keys)
        XCTAssertEqual(select(try QuestPolicy(page: 2, budget: 6, denseLayers: 0), cache: c, heads: 1, query: [1, -1]),
                       [[2, 3, 8, 9, 10, 11]])
        // Budget 8 = 4 pages: page 2 (U = 1) beats page 0 (U = 0.5).
        XCTAssertEqual(select(try QuestPolicy(page: 2, budget: 8, denseLayers: 0), cache: c, heads: 1, query: [1, -1]),
                       [[2, 3, 4, 5, 8, 9, 10, 11]])
        // The opposite query flips the signs: page 1 still bounds at 3, page 0 at −0.5, page 4 at 0.
        XCTAssertEqual(select(try QuestPolicy(page: 2, budget: 6, denseLayers: 0), cache: c, heads: 1, query: [-1, 1]),
                       [[2, 3, 6, 7, 10, 11]], "page 3 (U = 0) beats page 4 (U = 0) by age; page 0 is −0.5")
    }

    /// The current page may be partial: with 11 entries, page 5 holds entry 10 only.
    func testPartialCurrentPageAndTiesGoToTheOlderPage() throws {
        let keys = [[Float]](repeating: [1, 1], count: 11)   // every page bounds at 2
        let c = cache(keys: keys)
        XCTAssertEqual(select(try QuestPolicy(page: 2, budget: 6, denseLayers: 0), cache: c, heads: 1, query: [1, 1]),
                       [[0, 1, 2, 3, 10]])
    }

    /// GQA: two query heads share the KV head; pages are ranked by the SUM of their bounds. Page A
    /// (3, −2.9) is head 0's favourite (max 3) but sums to 0.1; pages B (1, 1) and C (0.8, 0.7)
    /// sum to 2 and 1.5. Max would pick A and B; sum picks B and C.
    func testGroupBoundsAreSummed() throws {
        let keys: [[Float]] = [[3, -2.9], [3, -2.9],   // A
                               [1, 1], [1, 1],         // B
                               [0.8, 0.7], [0.8, 0.7], // C
                               [0, 0]]                 // current page
        let c = cache(keys: keys)
        let q: [Float] = [1, 0, 0, 0, 0, 0, 0, 0] + [0, 1]   // head 0 reads channel 0, head 1 channel 1
        XCTAssertEqual(select(try QuestPolicy(page: 2, budget: 6, denseLayers: 0), cache: c, heads: 2, query: q),
                       [[2, 3, 4, 5, 6]])
    }

    /// Dense when the budget covers every page, in the first dense_layers layers, and (never
    /// asked by Attention) for prefill; the cache is never evicted.
    func testDenseCases() throws {
        let c = cache(keys: [[Float]](repeating: [1], count: 8))
        XCTAssertNil(select(try QuestPolicy(page: 2, budget: 8, denseLayers: 0), cache: c, heads: 1, query: [1]), "4 pages, budget 4 pages")
        XCTAssertNotNil(select(try QuestPolicy(page: 2, budget: 2, denseLayers: 0), cache: c, heads: 1, query: [1]),
                        "budget 1 page, raised to Quest's minimum of 3 pages: 3 of 4")
        XCTAssertNil(select(try QuestPolicy(page: 2, budget: 2, denseLayers: 0), cache: cache(keys: [[Float]](repeating: [1], count: 6)),
                            heads: 1, query: [1]), "3 pages of 3")
        XCTAssertNil(select(try QuestPolicy(page: 1, budget: 3, denseLayers: 1), cache: c, heads: 1, query: [1]), "layer 0 is dense")
        XCTAssertNotNil(select(try QuestPolicy(page: 1, budget: 3, denseLayers: 0), cache: c, heads: 1, query: [1]))
        XCTAssertEqual(try QuestPolicy(page: 1, budget: 3).endCall(layer: 0, queryCount: 1, cache: c), [])
        XCTAssertThrowsError(try QuestPolicy(page: 4, budget: 8, denseLayers: 31).check(layers: 30, shape: AttentionShape(heads: 9, kvHeads: 3, headDim: 64)))
    }

    /// The bound is an upper bound of q·k for every key of the page, reached by a one-entry page;
    /// the SIMD path equals the scalar reference; metadata folded in one entry at a time equals
    /// metadata built at once.
    func testUpperBoundProperties() {
        for seed: UInt64 in 0..<20 {
            var rng = SeededGenerator(seed: seed)
            let d = [8, 64, 12][Int(seed % 3)], page = Int.random(in: 1...6, using: &rng), n = Int.random(in: 1...40, using: &rng)
            let keys = rng.floats(n * d, in: -2...2), q = rng.floats(2 * d, in: -2...2)
            let bulk = KVCache(layers: 1, kvHeads: 1, headDim: d, capacity: 64)
            bulk.append(layer: 0, kvHead: 0, keys: keys, values: keys, stride: d, positions: (0..<Int32(n)).map { $0 }, tokens: n)
            var a = QuestPages(page: page, headDim: d), b = QuestPages(page: page, headDim: d)
            a.update(from: bulk, layer: 0, kvHead: 0)
            let single = KVCache(layers: 1, kvHeads: 1, headDim: d, capacity: 64)
            for i in 0..<n {
                single.append(layer: 0, kvHead: 0, keys: Array(keys[i * d ..< (i + 1) * d]), values: Array(keys[i * d ..< (i + 1) * d]),
                               stride: d, positions: [Int32(i)], tokens: 1)
                b.update(from: single, layer: 0, kvHead: 0)
            }
            XCTAssertEqual(a.minKeys, b.minKeys, "seed \(seed)"); XCTAssertEqual(a.maxKeys, b.maxKeys, "seed \(seed)")
            let pages = (n + page - 1) / page
            var u = [Float](repeating: 0, count: pages)
            a.upperBounds(&u, queries: q, heads: 2, pages: pages)
            for p in 0..<pages {
                let naive = a.minKeys.withUnsafeBufferPointer { mn in
                    a.maxKeys.withUnsafeBufferPointer { mx in
                        QuestPages.upperBoundNaive(queries: q, heads: 2, min: mn.baseAddress! + p * d, max: mx.baseAddress! + p * d, headDim: d)
                    }
                }
                XCTAssertEqual(u[p], naive, accuracy: 1e-4 * max(1, abs(naive)), "seed \(seed) page \(p)")
                for i in p * page ..< min(n, (p + 1) * page) {
                    var dot: Float = 0
                    for h in 0..<2 { for c in 0..<d { dot += q[h * d + c] * keys[i * d + c] } }
                    XCTAssertLessThanOrEqual(dot, u[p] + 1e-4, "seed \(seed) entry \(i)")
                    if min(n, (p + 1) * page) - p * page == 1 { XCTAssertEqual(dot, u[p], accuracy: 1e-4) }
                }
            }
        }
    }

    /// topPages equals sorting by (score descending, index ascending) and taking the first k.
    func testTopPagesMatchesASort() {
        for seed: UInt64 in 0..<50 {
            var rng = SeededGenerator(seed: seed)
            let count = Int.random(in: 0...60, using: &rng), k = Int.random(in: 0...20, using: &rng)
            let scores = (0..<count).map { _ in Float(Int.random(in: 0...5, using: &rng)) }   // many ties
            var out: [Int] = []
            QuestPolicy.topPages(scores, count: count, k: k, into: &out)
            let expect = (0..<count).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(k).sorted()
            XCTAssertEqual(out, Array(expect), "seed \(seed)")
        }
    }

    /// Through the attention call: the decode query attends to exactly the selected entries
    /// (output = naive attention over them), the probe receives their positions and the full
    /// count, and the cache keeps every entry.
    func testAttentionAttendsToTheSelectionOnly() throws {
        try attendsToTheSelectionOnly(gather: false)   // in place over the runs (the fast path)
        try attendsToTheSelectionOnly(gather: true)    // gathered, then the split-key kernel (the reference)
        // positions that are not the entries' indices: the probe gets them from the stream
        try attendsToTheSelectionOnly(gather: false, firstPosition: 1000)
        // the last entry's position is its index, the first one's is not (−1, 1, 2, …)
        try attendsToTheSelectionOnly(gather: false, firstEntryAt: -1)
    }

    /// A one-layer attention under Quest (page 4, budget 300) after a prefill of 520 entries at
    /// `positions`: 75 pages of 4 are selected, more than one split-key chunk of 256.
    func prefilledQuest(gather: Bool, positions: [Int32], rng: inout SeededGenerator) throws
        -> (attention: Attention, cache: KVCache, shape: AttentionShape) {
        let h = 4, g = 2, d = 8, t = positions.count
        let shape = AttentionShape(heads: h, kvHeads: g, headDim: d)
        let attention = Attention(shape: shape, capacity: 600, pool: WorkerPool(threads: 2))
        attention.selectionScratch.gather = gather
        let policy = try QuestPolicy(page: 4, budget: 300, denseLayers: 0)
        policy.reset(layers: 1, shape: shape)
        attention.policy = policy
        let cache = KVCache(layers: 1, kvHeads: g, headDim: d, capacity: 600)
        var out = [Float](repeating: 0, count: t * h * d)
        attention.forward(out: &out, q: rng.floats(t * h * d), k: rng.floats(t * g * d), v: rng.floats(t * g * d),
                          positions: positions, tokens: t, layer: 0, cache: cache)
        return (attention, cache, shape)
    }

    func attendsToTheSelectionOnly(gather: Bool, firstPosition p0: Int32 = 0, firstEntryAt first: Int32? = nil) throws {
        let seed: UInt64 = 21
        var rng = SeededGenerator(seed: seed)
        let h = 4, g = 2, d = 8, t = 520
        let (attention, cache, shape) = try prefilledQuest(gather: gather, positions: (0..<Int32(t)).map { $0 == 0 ? first ?? p0 : p0 + $0 },
                                                           rng: &rng)
        var out = [Float](repeating: 0, count: t * h * d)
        let capture = AttentionCapture(layers: 1, heads: h)
        final class SelectedFrom: AttentionProbe {
            var counts: [Int?] = [], entropies: [Float?] = []
            func attentionComputed(_ r: HeadProbabilityRows) { counts.append(r.selectedFrom); entropies.append(r.entropies?[0]) }
        }
        for step in 0..<3 {
            let q = rng.floats(h * d), k = rng.floats(g * d), v = rng.floats(g * d)
            let n = t + step + 1
            // the expected selection, from the policy's own rule on the cache after the append
            let probeCache = KVCache(layers: 1, kvHeads: g, headDim: d, capacity: 600)
            for kv in 0..<g {
                probeCache.append(layer: 0, kvHead: kv, keys: cache.keys(layer: 0, kvHead: kv), values: cache.values(layer: 0, kvHead: kv),
                                  stride: d, positions: cache.positions(layer: 0, kvHead: kv), tokens: n - 1)
                probeCache.append(layer: 0, kvHead: kv, keys: Array(k[kv * d ..< (kv + 1) * d]), values: Array(v[kv * d ..< (kv + 1) * d]),
                                  stride: d, positions: [p0 + Int32(n - 1)], tokens: 1)
            }
            let reference = try QuestPolicy(page: 4, budget: 300, denseLayers: 0)
            let expected = try XCTUnwrap(select(reference, cache: probeCache, heads: h, query: q, d: d))
            XCTAssertTrue(expected.allSatisfy { $0.count == 74 * 4 + (n - 1) % 4 + 1 && $0.last == n - 1 },
                          "74 full pages of 4 and the current, partial page")

            capture.clear()
            let seen = SelectedFrom()
            let tee = Tee(capture, seen)
            attention.probe = tee
            attention.forward(out: &out, q: q, k: k, v: v, positions: [p0 + Int32(n - 1)], tokens: 1, layer: 0, cache: cache)
            XCTAssertEqual(cache.count(layer: 0, kvHead: 0), n, "a selecting policy keeps every entry")
            XCTAssertEqual(seen.counts, Array(repeating: n, count: h))
            for head in 0..<h {
                let kv = shape.kvHead(forQueryHead: head), sel = expected[kv]
                let keys = sel.flatMap { Array(UnsafeBufferPointer(start: probeCache.keys(layer: 0, kvHead: kv) + $0 * d, count: d)) }
                let values = sel.flatMap { Array(UnsafeBufferPointer(start: probeCache.values(layer: 0, kvHead: kv) + $0 * d, count: d)) }
                var expect = [Float](repeating: 0, count: d), probs = [Float](repeating: 0, count: sel.count)
                q.withUnsafeBufferPointer { qb in
                    attendRowNaive(out: &expect, probs: &probs, q: qb.baseAddress! + head * d, keys: keys, values: values,
                                   count: sel.count, headDim: d)
                }
                for c in 0..<d { XCTAssertEqual(out[head * d + c], expect[c], accuracy: 1e-4, "seed \(seed) gather \(gather) step \(step) head \(head)") }
                XCTAssertEqual(capture.keyPositions[0][head], sel.map { $0 == 0 ? first ?? p0 : p0 + Int32($0) },
                               "first position \(p0), first entry at \(first.map(String.init) ?? "-")")
                let row = capture.rows[0][head].last!.probs
                XCTAssertEqual(row.count, sel.count)
                for j in 0..<sel.count { XCTAssertEqual(row[j], probs[j], accuracy: 1e-5) }
                // the row's entropy from the kernel's scores
                let entropy = -probs.reduce(0.0) { $0 + ($1 > 0 ? Double($1) * log(Double($1)) : 0) }
                let given = try XCTUnwrap(seen.entropies[head], "the selected rows carry their entropy")
                XCTAssertEqual(Double(given), entropy, accuracy: 1e-5 * entropy + 1e-6, "gather \(gather) step \(step) head \(head)")
            }
        }
    }

    /// Keeps each decode call's rows (scaled first when they come unscaled) and entropies as bits.
    final class RowBits: AttentionProbe {
        let unscaled: Bool
        var rows: [[UInt32]] = [], entropies: [UInt32?] = [], pending = 0
        init(unscaled: Bool) { self.unscaled = unscaled }
        var acceptsUnscaledRows: Bool { unscaled }
        func attentionComputed(_ r: HeadProbabilityRows) {
            if r.pendingScale != nil { pending += 1 }
            let scaled = r.scaleInPlace()
            rows.append(UnsafeBufferPointer(start: scaled.probabilities, count: scaled.rowStride).map(\.bitPattern))
            entropies.append(scaled.entropies?[0].bitPattern)
        }
    }

    /// Selected rows handed over unscaled and scaled by the probe are bit for bit the rows the
    /// kernel scales, with the same entropies and outputs, on the in-place runs path and on the
    /// gather path (rows of 300 selected entries: two split-key chunks).
    func testUnscaledSelectedRowsScaleToTheKernelsRows() throws {
        for gather in [false, true] {
            func run(_ probe: RowBits) throws -> [[UInt32]] {
                var rng = SeededGenerator(seed: 33)
                let h = 4, g = 2, d = 8, t = 520
                let (attention, cache, _) = try prefilledQuest(gather: gather, positions: (0..<Int32(t)).map { $0 }, rng: &rng)
                var outs: [[UInt32]] = []
                attention.probe = probe
                for step in 0..<3 {
                    var one = [Float](repeating: 0, count: h * d)
                    attention.forward(out: &one, q: rng.floats(h * d), k: rng.floats(g * d), v: rng.floats(g * d),
                                      positions: [Int32(t + step)], tokens: 1, layer: 0, cache: cache)
                    outs.append(one.map(\.bitPattern))
                }
                return outs
            }
            let byKernel = RowBits(unscaled: false), byProbe = RowBits(unscaled: true)
            let outsA = try run(byKernel), outsB = try run(byProbe)
            XCTAssertEqual(byKernel.pending, 0)
            XCTAssertEqual(byProbe.pending, 3 * 4, "gather \(gather): every decode row came unscaled")
            XCTAssertEqual(outsA, outsB, "gather \(gather): outputs")
            XCTAssertEqual(byKernel.rows.count, 12)
            XCTAssertTrue(byKernel.rows.allSatisfy { $0.count > 256 }, "rows of more than one chunk")
            XCTAssertEqual(byKernel.rows, byProbe.rows, "gather \(gather): rows")
            XCTAssertEqual(byKernel.entropies, byProbe.entropies, "gather \(gather): entropies")
        }
    }

    final class Tee: AttentionProbe {
        let a: AttentionProbe, b: AttentionProbe
        init(_ a: AttentionProbe, _ b: AttentionProbe) { self.a = a; self.b = b }
        func attentionComputed(_ r: HeadProbabilityRows) { a.attentionComputed(r); b.attentionComputed(r) }
    }
}
