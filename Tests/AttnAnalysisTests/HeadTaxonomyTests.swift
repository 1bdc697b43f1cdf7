import XCTest
import AttnTrace
@testable import AttnAnalysis

/// Hand-made heads for the row-based classes (previous-token, induction, retrieval vs local) and
/// the dormant rule, each built so that exactly one rule should fire.
final class HeadTaxonomyTests: XCTestCase {
    let classifier = HeadClassifier()

    func metrics(_ head: Int, sink1: Float = 0.05, sink4: Float = 0.1, entropy: Float = 0.3) -> HeadMetrics {
        HeadMetrics(layer: 0, head: head, visibleKV: 10, selected: 10, sinkMass1: sink1, sinkMass4: sink4,
                    entropy: entropy, recall: .nan, outputError: .nan, overlapKept: 1, jaccard: 1, topSinks: [])
    }

    /// A prefill matrix T × T (tile 1) whose row q puts all its mass on `target(q)`.
    func matrix(_ head: Int, tokens: Int, target: (Int) -> Int) -> AttentionRows {
        var v = [Float](repeating: 0, count: tokens * tokens)
        for q in 0..<tokens { v[q * tokens + target(q)] = 1 }
        return AttentionRows(layer: 0, head: head, kind: .prefillMatrix, rows: tokens, cols: tokens, tile: 1, values: v)
    }

    func prefill(_ metrics: [HeadMetrics], rows: [AttentionRows]) -> StepFrame {
        StepFrame(step: StepInfo(index: 0, phase: .prefill, position: 0, queryCount: 12, emittedToken: nil,
                                 wallNanos: 0, layerTimes: []), metrics: metrics, kv: [], rows: rows)
    }

    func testPreviousTokenAndInductionFromPrefillRows() {
        // tokens A B C D A B C D A B C D: position q repeats q − 4.
        let ids: [Int32] = (0..<12).map { Int32(10 + $0 % 4) }
        let prompt = ids.map { TokenInfo(id: $0, text: "t\($0)") }
        let previous = matrix(0, tokens: 12) { max(0, $0 - 1) }
        // induction: the token after the latest earlier occurrence (q − 4 + 1 = q − 3); self before that
        let induction = matrix(1, tokens: 12) { $0 >= 4 ? $0 - 3 : $0 }
        let frame = prefill([metrics(0), metrics(1)], rows: [previous, induction])
        var acc = HeadProfileAccumulator(layers: 1, heads: 2, promptTokens: prompt)
        acc.add(frame: frame)
        let p0 = acc.profile(layer: 0, head: 0), p1 = acc.profile(layer: 0, head: 1)
        XCTAssertEqual(p0.previousToken, 1, accuracy: 1e-6)           // rows 1…11 all on t − 1
        XCTAssertEqual(p1.previousToken, 0, accuracy: 1e-6)
        XCTAssertEqual(p1.inductionRows, 8)                           // q = 4…11 have an earlier occurrence
        XCTAssertEqual(p1.induction, 1, accuracy: 1e-6)
        XCTAssertEqual(classifier.classify(p0), .previousToken)
        XCTAssertEqual(classifier.classify(p1), .induction)
    }

    func testDormantBeforeSinkAndSinkWithoutDormant() {
        let dormant = HeadProfile(meanSinkMass4: 0.97, meanEntropy: 0.05, topNonInitialSink: 0, meanSinkMass1: 0.95)
        let sink = HeadProfile(meanSinkMass4: 0.97, meanEntropy: 0.05, topNonInitialSink: 0, meanSinkMass1: 0.6)
        XCTAssertEqual(classifier.classify(dormant), .dormant)
        XCTAssertEqual(classifier.classify(sink), .sink)
        // without sinkMass1 (the viewer's per-step profile) a head is never dormant
        XCTAssertEqual(classifier.classify(HeadProfile(meanSinkMass4: 0.97, meanEntropy: 0.05, topNonInitialSink: 0)), .sink)
    }

    func testRetrievalAndLocalFromDecodeRowsOutsideTheWindow() {
        // decode query at position 100: window test covers keys 4…36 (100 − 64 = 36)
        func row(_ head: Int, _ mass: [Int: Float]) -> AttentionRows {
            var v = [Float](repeating: 0, count: 101)
            for (k, a) in mass { v[k] = a }
            return AttentionRows(layer: 0, head: head, kind: .decodeRow, rows: 1, cols: 101, tile: 1, values: v)
        }
        let frames = (0..<3).map { s in
            StepFrame(step: StepInfo(index: s, phase: .decode, position: 100, queryCount: 1, emittedToken: nil,
                                     wallNanos: 0, layerTimes: []),
                      metrics: [metrics(0), metrics(1), metrics(2)], kv: [],
                      rows: [row(0, [0: 0.3, 20: 0.5, 95: 0.2]),     // half outside: retrieval
                             row(1, [0: 0.3, 36: 0.1, 95: 0.6]),     // 0.1 outside (key 36 is the last one)
                             row(2, [0: 0.3, 37: 0.7])])             // key 37 is inside the window
        }
        XCTAssertEqual(classifier.classify(frames: frames, layers: 1, heads: 3), [.retrieval, .local, .local])
        var acc = HeadProfileAccumulator(layers: 1, heads: 3)
        for f in frames { acc.add(frame: f) }
        XCTAssertEqual(acc.profile(layer: 0, head: 0).outsideWindow, 0.5, accuracy: 1e-6)
        XCTAssertEqual(acc.profile(layer: 0, head: 1).outsideWindow, 0.1, accuracy: 1e-6)
        XCTAssertEqual(acc.profile(layer: 0, head: 2).outsideWindow, 0, accuracy: 1e-6)
    }

    func testPooledPrefillGivesNoRowScoresAndDecodeTokensComeFromEmitted() {
        let pooled = AttentionRows(layer: 0, head: 0, kind: .prefillMatrix, rows: 2, cols: 2, tile: 2,
                                   values: [1, 0, 0.5, 0.5])
        var acc = HeadProfileAccumulator(layers: 1, heads: 1,
                                         promptTokens: [7, 8, 9].map { TokenInfo(id: $0, text: "") })
        acc.add(frame: StepFrame(step: StepInfo(index: 0, phase: .prefill, position: 0, queryCount: 3,
                                                emittedToken: TokenInfo(id: 7, text: ""), wallNanos: 0, layerTimes: []),
                                 metrics: [metrics(0)], kv: [], rows: [pooled]))
        XCTAssertTrue(acc.profile(layer: 0, head: 0).previousToken.isNaN)
        // decode at position 3: its token is 7 (emitted by step 0), which occurred at 0 → target 1
        let row = AttentionRows(layer: 0, head: 0, kind: .decodeRow, rows: 1, cols: 4, tile: 1, values: [0, 0.8, 0, 0.2])
        acc.add(frame: StepFrame(step: StepInfo(index: 1, phase: .decode, position: 3, queryCount: 1, emittedToken: nil,
                                                wallNanos: 0, layerTimes: []), metrics: [metrics(0)], kv: [], rows: [row]))
        let p = acc.profile(layer: 0, head: 0)
        XCTAssertEqual(p.induction, 0.8, accuracy: 1e-6)
        XCTAssertEqual(p.inductionRows, 1)
        XCTAssertEqual(p.previousToken, 0, accuracy: 1e-6)     // a_{3,2} = 0
    }

    func testStatsCountsEveryClass() throws {
        let st = try RunStats.compute(SyntheticRun.make(seed: 3), label: "s")
        XCTAssertEqual(Set(st.classCounts.keys), Set(HeadClass.allCases.map(\.rawValue)))
        XCTAssertEqual(st.classCounts.values.reduce(0, +), SyntheticRun.layers * SyntheticRun.heads)
        XCTAssertTrue(st.renderText().contains("previous_token "), st.renderText())
    }
}
