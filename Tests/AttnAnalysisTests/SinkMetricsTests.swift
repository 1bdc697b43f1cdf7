import XCTest
import AttnTrace
@testable import AttnAnalysis

/// Sink_1^ε, the source of each head's α_1, non-initial sinks over time and the kinds of sink tokens,
/// on hand-made frames.
final class SinkMetricsTests: XCTestCase {
    func head(_ h: Int, top: [SinkScore]) -> HeadMetrics {
        HeadMetrics(layer: 0, head: h, visibleKV: 4, selected: 4, sinkMass1: 0.1, sinkMass4: 0.2, entropy: 0.3,
                    recall: .nan, outputError: .nan, overlapKept: 1, jaccard: 1, topSinks: top)
    }

    /// 1 layer, 3 heads, 4 steps. Head 0 has an unpooled prefill matrix (α_1 from rows), head 1 only
    /// topSinks with position 0, head 2 topSinks without position 0 (unknown). Head 1 gains a
    /// non-initial sink at position 5 from step 2; head 0 has exactly 0.1 at position 6 (not > 0.1).
    func frames() -> [StepFrame] {
        let col0: [Float] = [1, 0.4, 0.2, 0.2]
        var m = [Float](repeating: 0, count: 16)
        for q in 0..<4 { m[q * 4] = col0[q]; if q > 0 { m[q * 4 + q] = 1 - col0[q] } }
        return (0..<4).map { s in
            StepFrame(step: StepInfo(index: s, phase: s == 0 ? .prefill : .decode, position: s == 0 ? 0 : 3 + s,
                                     queryCount: s == 0 ? 4 : 1, emittedToken: nil, wallNanos: 0, layerTimes: []),
                      metrics: [head(0, top: [SinkScore(position: 0, score: 0.2), SinkScore(position: 6, score: 0.1)]),
                                head(1, top: [SinkScore(position: 0, score: 0.25)]
                                     + (s >= 2 ? [SinkScore(position: 5, score: 0.15)] : [])),
                                head(2, top: [SinkScore(position: 2, score: 0.9)])],
                      kv: [],
                      rows: s == 0 ? [AttentionRows(layer: 0, head: 0, kind: .prefillMatrix, rows: 4, cols: 4, tile: 1, values: m)] : [])
        }
    }

    func testSinkRateSourcesAndTimeline() {
        var acc = SinkMetricsAccumulator(layers: 1, heads: 3)
        for f in frames() { acc.add(f) }
        let r = acc.result()
        XCTAssertEqual(acc.alpha1(layer: 0, head: 0)?.value ?? 0, 0.45, accuracy: 1e-6)   // rows beat topSinks' 0.2
        XCTAssertEqual(acc.alpha1(layer: 0, head: 0)?.fromRows, true)
        XCTAssertEqual(acc.alpha1(layer: 0, head: 1)?.fromRows, false)
        XCTAssertNil(acc.alpha1(layer: 0, head: 2))
        XCTAssertEqual(r.sinkRate, 1.0 / 3, accuracy: 1e-12)    // head 0: 0.45 > 0.3; head 1: 0.25; head 2 unknown
        XCTAssertEqual(r.sinkRatePerLayer.count, 1)
        XCTAssertEqual([r.headsFromRows, r.headsFromRunningMean, r.headsUnknown], [1, 1, 1])
        XCTAssertEqual(r.nonInitialHeads, [0, 0, 1, 1])
        XCTAssertEqual(r.nonInitialPositions, [0, 0, 1, 1])
        XCTAssertEqual(acc.firstStep, [5: 2])
    }

    func testOnlyTheFirstTQueriesCount() {
        var acc = SinkMetricsAccumulator(layers: 1, heads: 3, queries: 2)
        for f in frames() { acc.add(f) }
        XCTAssertEqual(acc.alpha1(layer: 0, head: 0)?.value ?? 0, 0.7, accuracy: 1e-6)   // (1 + 0.4) / 2
    }

    func testTokenKinds() {
        let cases: [(String, Int, SinkTokenKind)] = [
            ("<|endoftext|>", 0, .bos), ("<s>", 0, .bos), ("Hello", 0, .first), ("\n", 5, .newline),
            ("\n\n", 9, .newline), (".", 5, .punctuation), (" ,", 5, .punctuation), (" ", 5, .space),
            (" the", 5, .word), ("42", 3, .word), ("<|im_end|>", 7, .special),
        ]
        for (text, position, kind) in cases {
            XCTAssertEqual(SinkTokenKind.of(text: text, position: position), kind, "\(text.debugDescription) at \(position)")
        }
    }

    func testStatsCarriesSinkMetricsAndFirstSteps() throws {
        var header = SyntheticRun.header(layers: 1)
        header.model.heads = 3; header.model.kvHeads = 1
        header.promptTokens = ["<|endoftext|>", "a", ".", "\n"].enumerated().map { TokenInfo(id: Int32($0), text: $1) }
        let fs = frames().enumerated().map { (i, f) -> StepFrame in
            var f = f; f.step.emittedToken = TokenInfo(id: 9, text: i == 0 ? "," : "x"); return f
        }
        let st = try RunStats.compute(InMemoryTrace(header: header, steps: fs), label: "s")
        XCTAssertEqual(st.sinkMetrics.sinkRate, 1.0 / 3, accuracy: 1e-12)
        let p5 = try XCTUnwrap(st.sinks.nonInitial.first { $0.position == 5 })
        XCTAssertEqual(p5.firstStep, 2)
        XCTAssertEqual(p5.kind, .word)                  // position 5 = token emitted at step 1 ("x")
        let text = st.renderText()
        XCTAssertTrue(text.contains("Sink_1^ε (Gu et al., ε = 0.3, α_1 > ε): 33.3 % of heads; per layer L0 33.3 %"), text)
        XCTAssertTrue(text.contains("step 0 0/0, step 1 0/0, step 2 1/1, step 3 1/1"), text)
        XCTAssertTrue(text.contains("from step 2"), text)
    }
}
