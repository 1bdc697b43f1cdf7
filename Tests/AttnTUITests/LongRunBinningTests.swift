// Long runs: heatmap rows that cover several steps show the element-wise maximum of the rows in
// them (checked against a naive per-step reading), the α_k curve is each step's row read at k, and
// a one-token spike at one step of a long run keeps the top colour when the whole run is fitted on
// a small screen (binning with max, not sampling or averaging).

import AttnTrace
import XCTest
@testable import AttnTUI

final class LongRunBinningTests: XCTestCase {
    /// The row the heatmap shows at step s, read the slow way: the latest captured row at most
    /// `hold` steps back.
    func shownRow(_ t: TraceModel, step s: Int, layer: Int, head: Int, hold: Int) -> [Float]? {
        for b in stride(from: s, through: max(0, s - hold), by: -1) {
            if let r = t.queryRow(step: b, layer: layer, head: head) { return r }
        }
        return nil
    }

    func testMaxRowIsTheElementWiseMaxOfTheRowsShown() {
        let t = TraceModel(TinyTrace.source())
        let hold = TinyTrace.header().rowInterval - 1
        for (l, h) in [(0, 0), (1, 2), (3, 3)] {
            for span in [0..<1, 1..<2, 3..<7, 5..<6, 2..<25, 0..<25, 23..<25] {
                let naive: [Float]? = span.compactMap { shownRow(t, step: $0, layer: l, head: h, hold: hold) }.reduce(nil) { acc, r in
                    guard var a = acc else { return r }
                    if a.count < r.count { a += Array(repeating: 0, count: r.count - a.count) }
                    for i in r.indices { a[i] = max(a[i], r[i]) }
                    return a
                }
                XCTAssertEqual(t.maxRow(layer: l, head: h, steps: span, hold: hold), naive, "L\(l) H\(h) steps \(span)")
                XCTAssertEqual(t.maxRow(layer: l, head: h, steps: span, hold: hold), naive, "L\(l) H\(h) steps \(span), cached")
            }
        }
    }

    func testAlphaCurveIsEachStepsRowAtTheKey() {
        let t = TraceModel(TinyTrace.source())
        for (l, h, k) in [(0, 0, 0), (2, 2, 7), (1, 1, 20), (3, 0, 35)] {
            let curve = t.alphaCurve(key: k, layer: l, head: h)
            XCTAssertEqual(curve.count, t.stepCount)
            for s in 0..<t.stepCount {
                let row = t.queryRow(step: s, layer: l, head: h)
                XCTAssertEqual(curve[s], row.flatMap { k < $0.count ? $0[k] : nil }, "L\(l) H\(h) key \(k) step \(s)")
            }
        }
        // the sink head's curve at key 0 is high wherever a row was captured
        XCTAssertTrue(t.alphaCurve(key: 0, layer: 0, head: 0).compactMap { $0 }.allSatisfy { $0 > 0.5 })
    }

    /// 1 head, 1,500 decode steps over 2,000…3,500 keys, rows at every step: almost uniform, except
    /// one key at one step. Fitted into a 100 × 30 screen a cell covers ~40 keys × ~25 steps.
    func testAOneTokenSpikeInOneStepKeepsTheTopColour() throws {
        let prompt = 2_000, steps = 1_500, spike = (step: 777, key: 1_234)
        var header = TinyTrace.header()
        header.model = ModelInfo(name: "long", architecture: "llama", layers: 1, heads: 1, kvHeads: 1, headDim: 8,
                                 contextLength: prompt + steps, vocabSize: 100)
        header.rowInterval = 1
        header.promptTokens = (0..<prompt).map { TokenInfo(id: Int32($0 % 50), text: " w\($0 % 50)") }
        var frames: [StepFrame] = []
        for s in 0...steps {
            let end = prompt + s
            var row = [Float](repeating: 1 / Float(end), count: end)
            if s == spike.step { row[spike.key] = 0.5 }
            let m = HeadMetrics(layer: 0, head: 0, visibleKV: end, selected: end, sinkMass1: row[0], sinkMass4: 4 * row[0],
                                entropy: 0.9, recall: 1, outputError: 0, overlapKept: 1, jaccard: 1, topSinks: [])
            let info = StepInfo(index: s, phase: s == 0 ? .prefill : .decode, position: s == 0 ? 0 : end - 1,
                                queryCount: s == 0 ? prompt : 1, emittedToken: TokenInfo(id: 1, text: " x"), wallNanos: 1_000_000, layerTimes: [])
            frames.append(StepFrame(step: info, metrics: [m], kv: [KVResidency(layer: 0, kvHead: 0, entries: end, bytes: end * 32, evicted: [])],
                                    selections: [], rows: s == 0 ? [] : [AttentionRows(layer: 0, head: 0, kind: .decodeRow, rows: 1, cols: end, tile: 1, values: row)]))
        }
        let app = App(trace: InMemoryTrace(name: "long", header: header, steps: frames))
        app.apply(.show(.heatmap))
        app.apply(.lastStep)
        let grid = app.render(width: 100, height: 30)
        let top = app.palette.color(1)
        var hits: [(Int, Int)] = []
        for y in 0..<grid.height { for x in 0..<grid.width where grid[x, y].glyph == "▀" && (grid[x, y].style.fg == top || grid[x, y].style.bg == top) { hits.append((x, y)) } }
        XCTAssertEqual(hits.count, 1, "exactly one cell holds the spike's colour:\n\(grid.text)")
        // the α_k curve of the spike's key peaks at that step alone
        app.apply(.chooseKey(spike.key))
        let curve = app.trace.alphaCurve(key: spike.key, layer: 0, head: 0)
        XCTAssertEqual(curve.indices.filter { (curve[$0] ?? 0) > 0.4 }, [spike.step])
        XCTAssertTrue(app.render(width: 100, height: 30).text.contains("α_k: attention key 1234 \" w34\" receives from L0 H0"))
    }
}

extension LongRunBinningTests {
    /// A span too long for one frame's budget is merged over several frames, each going on where
    /// the last stopped, and ends equal to the merge done in one go.
    func testMaxRowCutByTheFrameBudgetResumesAndConverges() {
        let whole = TraceModel(TinyTrace.source()).maxRow(layer: 2, head: 2, steps: 0..<25, hold: 1)
        let t = TraceModel(TinyTrace.source())
        var row: [Float]? = nil
        var frames = 0
        repeat {
            t.deadline = monotonicSeconds() - 1   // already past: one read or merge per frame
            t.incomplete = false
            row = t.maxRow(layer: 2, head: 2, steps: 0..<25, hold: 1)
            frames += 1
        } while t.incomplete && frames < 200
        t.deadline = nil
        XCTAssertGreaterThan(frames, 10, "the budget cut the merge into frames")
        XCTAssertLessThan(frames, 200, "the merge converges")
        XCTAssertEqual(row, whole)
        XCTAssertEqual(t.maxRow(layer: 2, head: 2, steps: 0..<25, hold: 1), whole, "kept once complete")
    }
}
