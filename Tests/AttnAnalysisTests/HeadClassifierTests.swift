import XCTest
import AttnTrace
@testable import AttnAnalysis

final class HeadClassifierTests: XCTestCase {
    let classifier = HeadClassifier()

    func testRulesInOrder() {
        // sink wins over everything else
        XCTAssertEqual(classifier.classify(.init(meanSinkMass4: 0.5, meanEntropy: 0.9, topNonInitialSink: 0.5)), .sink)
        XCTAssertEqual(classifier.classify(.init(meanSinkMass4: 0.49, meanEntropy: 0.6, topNonInitialSink: 0.5)), .diffuse)
        XCTAssertEqual(classifier.classify(.init(meanSinkMass4: 0.1, meanEntropy: 0.3, topNonInitialSink: 0.1)), .retrieval)
        XCTAssertEqual(classifier.classify(.init(meanSinkMass4: 0.1, meanEntropy: 0.3, topNonInitialSink: 0.09)), .local)
    }

    func testNaNMeansFallThroughToLocal() {
        XCTAssertEqual(classifier.classify(.init(meanSinkMass4: .nan, meanEntropy: .nan, topNonInitialSink: 0)), .local)
    }

    func testCustomThresholds() {
        let strict = HeadClassifier(sinkMass: 0.9, diffuseEntropy: 0.95, hiddenSink: 0.5)
        XCTAssertEqual(strict.classify(.init(meanSinkMass4: 0.8, meanEntropy: 0.9, topNonInitialSink: 0.2)), .local)
    }

    func testAccumulatorMeansOverStepsAndLastTopSinks() {
        // one layer, two heads; head 0 alternates sink mass 0.8 / 0.4 (mean 0.6 → sink),
        // head 1 is concentrated with a hidden sink at position 9 only at the last step.
        var frames: [StepFrame] = []
        for step in 0..<4 {
            let s0: Float = step % 2 == 0 ? 0.8 : 0.4
            let hidden: [SinkScore] = step == 3 ? [SinkScore(position: 0, score: 0.6), SinkScore(position: 9, score: 0.2)]
                                                : [SinkScore(position: 2, score: 0.9)]
            frames.append(StepFrame(
                step: StepInfo(index: step, phase: step == 0 ? .prefill : .decode, position: step, queryCount: 1,
                               emittedToken: nil, wallNanos: 0, layerTimes: []),
                metrics: [
                    HeadMetrics(layer: 0, head: 0, visibleKV: 10, selected: 10, sinkMass1: s0, sinkMass4: s0,
                                entropy: 0.2, recall: 1, outputError: 0, overlapKept: 1, jaccard: 1, topSinks: []),
                    HeadMetrics(layer: 0, head: 1, visibleKV: 10, selected: 10, sinkMass1: 0, sinkMass4: 0.1,
                                entropy: step == 1 ? .nan : 0.3, recall: 1, outputError: 0, overlapKept: 1,
                                jaccard: 1, topSinks: hidden),
                ], kv: []))
        }
        var acc = HeadProfileAccumulator(layers: 1, heads: 2)
        for f in frames { acc.add(f.metrics) }
        let p0 = acc.profile(layer: 0, head: 0), p1 = acc.profile(layer: 0, head: 1)
        XCTAssertEqual(p0.meanSinkMass4, 0.6, accuracy: 1e-6)
        XCTAssertEqual(p1.meanEntropy, 0.3, accuracy: 1e-6)   // the NaN step is skipped
        XCTAssertEqual(p1.topNonInitialSink, 0.2)             // position 0 and 2 are initial
        XCTAssertEqual(classifier.classify(frames: frames, layers: 1, heads: 2), [.sink, .retrieval])
    }
}
