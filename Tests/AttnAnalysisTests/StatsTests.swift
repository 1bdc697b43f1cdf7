import XCTest
import AttnTrace
@testable import AttnAnalysis
import AttnTraceTestSupport

final class StatsTests: XCTestCase {
    /// 1 layer, 2 heads, 1 KV head, 6 prompt tokens, 5 steps with known values.
    func handBuilt() -> InMemoryTrace {
        var header = SyntheticRun.header(layers: 1)
        header.model.heads = 2; header.model.kvHeads = 1
        var frames: [StepFrame] = []
        for s in 0..<5 {
            let info = StepInfo(index: s, phase: s == 0 ? .prefill : .decode, position: s == 0 ? 0 : 5 + s,
                                queryCount: s == 0 ? 6 : 1, emittedToken: TokenInfo(id: Int32(300 + s), text: "e\(s)"),
                                wallNanos: s == 0 ? 4_000_000 : 1_000_000, layerTimes: [])
            let h0 = HeadMetrics(layer: 0, head: 0, visibleKV: 10, selected: 10, sinkMass1: 0.05,
                                 sinkMass4: Float(s + 1) / 10, entropy: 0.2, recall: .nan, outputError: .nan,
                                 overlapKept: 1, jaccard: 1, topSinks: [SinkScore(position: 0, score: 0.4)])
            let h1 = HeadMetrics(layer: 0, head: 1, visibleKV: 10, selected: 5, sinkMass1: 0.0,
                                 sinkMass4: 0.9, entropy: 0.1, recall: 0.5, outputError: 0.1,
                                 overlapKept: 1, jaccard: 1,
                                 topSinks: [SinkScore(position: 0, score: 0.9), SinkScore(position: 7, score: 0.2)])
            frames.append(StepFrame(step: info, metrics: [h0, h1],
                                    kv: [KVResidency(layer: 0, kvHead: 0, entries: 6 + s, bytes: (6 + s) * 32, evicted: [])]))
        }
        return InMemoryTrace(header: header, steps: frames)
    }

    func testMeansPercentilesAndTotals() throws {
        let st = try RunStats.compute(handBuilt(), label: "hand")
        XCTAssertEqual(st.run.steps, 5)
        XCTAssertEqual(st.run.prefillSteps, 1)
        XCTAssertEqual(st.run.decodeSteps, 4)
        XCTAssertEqual(st.run.emittedTokens, 5)
        XCTAssertEqual(st.run.totalWallMs, 8, accuracy: 1e-9)
        XCTAssertEqual(st.run.decodeTokensPerSecond, 1000, accuracy: 1e-6)   // 4 steps in 4 ms
        let s4 = try XCTUnwrap(st.heads[0].metrics["sink_mass_4"])
        XCTAssertEqual(s4.count, 5)
        XCTAssertEqual(s4.mean, 0.3, accuracy: 1e-6)
        XCTAssertEqual(s4.p50, 0.3, accuracy: 1e-6)
        XCTAssertEqual(s4.p90, 0.46, accuracy: 1e-6)      // 0.4 + 0.6 · (0.5 − 0.4)
        XCTAssertEqual(s4.p99, 0.496, accuracy: 1e-6)
        XCTAssertEqual(s4.min, 0.1, accuracy: 1e-6)
        XCTAssertEqual(s4.max, 0.5, accuracy: 1e-6)
        let recall0 = try XCTUnwrap(st.heads[0].metrics["recall"])
        XCTAssertEqual(recall0.count, 0)                   // all NaN: unknown, not zero
        XCTAssertTrue(recall0.mean.isNaN)
        XCTAssertEqual(st.heads[1].metrics["selected_sparsity"]?.mean ?? 0, 0.5, accuracy: 1e-6)
        // sparsity is relative to the context: 5 selected of 6, 7, 8, 9, 10 positions seen
        let contexts = [6.0, 7, 8, 9, 10]
        XCTAssertEqual(st.heads[1].metrics["sparsity"]?.mean ?? 0,
                       contexts.map { 1 - 5 / $0 }.reduce(0, +) / 5, accuracy: 1e-6)
        XCTAssertEqual(st.run.means["recall"] ?? 0, 0.5, accuracy: 1e-6)   // only head 1 is known
    }

    func testClassesSinksAndKV() throws {
        let st = try RunStats.compute(handBuilt(), label: "hand")
        // head 0: mean sink4 0.3 < 0.5, entropy 0.2, no non-initial sink → local; head 1 → sink
        XCTAssertEqual(st.heads.map(\.headClass), [.local, .sink])
        XCTAssertEqual(st.classCounts["sink"], 1)
        XCTAssertEqual(st.sinks.headsWithInitialSink, 2)   // α_0 = 0.4 and 0.9 ≥ 0.3
        XCTAssertEqual(st.sinks.nonInitial.count, 1)
        let p = try XCTUnwrap(st.sinks.nonInitial.first)
        XCTAssertEqual(p.position, 7)
        XCTAssertEqual(p.token, "e1")                     // emitted at step 1, input at position 7
        XCTAssertEqual(p.heads, ["L0 H1"])
        XCTAssertEqual(st.kv.count, 1)
        XCTAssertEqual(st.kv[0].bytes, [192, 224, 256, 288, 320])
        XCTAssertEqual(st.kv[0].peak, 320)
        let text = st.renderText()
        XCTAssertTrue(text.contains("position 7 \"e1\" [word]: 1 head,"), text)
        XCTAssertTrue(text.contains("L0 H1  sink"), text)
        let json = try JSONSerialization.jsonObject(with: Data(st.renderJSON().utf8)) as? [String: Any]
        XCTAssertNotNil(json?["heads"] as? [[String: Any]])
    }

    func testPercentilesAgainstSortedDefinition() {
        var rng = SeededGenerator(seed: 99)
        for trial in 0..<50 {
            let n = Int.random(in: 1...40, using: &rng)
            let xs = (0..<n).map { _ in Float.random(in: -5...5, using: &rng) }
            let s = Summary(xs)
            let sorted = xs.map(Double.init).sorted()
            XCTAssertEqual(s.min, sorted.first!, "seed 99 trial \(trial)")
            XCTAssertEqual(s.max, sorted.last!, "seed 99 trial \(trial)")
            XCTAssertLessThanOrEqual(s.p50, s.p90)
            XCTAssertLessThanOrEqual(s.p90, s.p99)
            // At least half the values are ≤ the median and at least half ≥ it.
            XCTAssertGreaterThanOrEqual(sorted.filter { $0 <= s.p50 + 1e-12 }.count * 2, n)
            XCTAssertGreaterThanOrEqual(sorted.filter { $0 >= s.p50 - 1e-12 }.count * 2, n)
        }
    }
}
