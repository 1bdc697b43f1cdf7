import XCTest
import AttnTrace
@testable import AttnAnalysis
import AttnTraceTestSupport

final class TraceDiffTests: XCTestCase {
    let seeds: [UInt64] = [1, 2, 3]

    func testTraceAgainstItselfIsClean() throws {
        for seed in seeds {
            let t = SyntheticRun.make(seed: seed)
            let r = try TraceDiff.run(t, t)
            XCTAssertTrue(r.withinTolerance, "seed \(seed): \(r.renderText())")
            XCTAssertEqual(r.stepsCompared, 8)
            XCTAssertEqual(r.headsDiffering, 0)
            XCTAssertTrue(r.metrics.contains { $0.metric == .selection && $0.subjectsCompared == 8 }, "seed \(seed)")
            XCTAssertTrue(r.metrics.contains { $0.metric == .rowsMax && $0.subjectsCompared == 8 }, "seed \(seed)")
        }
    }

    func testSinkMassMovedBeyondToleranceIsReportedForThatHeadOnly() throws {
        for seed in seeds {
            let a = SyntheticRun.make(seed: seed)
            var b = a
            b.steps[3].metrics[5].sinkMass4 += 0.05     // layer 1, head 1
            b.steps[4].metrics[5].sinkMass4 += 0.0005   // within abs 1e-3: not a difference
            let r = try TraceDiff.run(a, b)
            XCTAssertFalse(r.withinTolerance, "seed \(seed)")
            XCTAssertEqual(r.headsDiffering, 1)
            let d = try XCTUnwrap(r.differences.first)
            XCTAssertEqual(d.metric, .sinkMass4)
            XCTAssertEqual(d.subject, Subject(kind: .head, layer: 1, index: 1))
            XCTAssertEqual(d.stepsDiffering, 1)
            XCTAssertEqual(d.maxStep, 3)
            XCTAssertEqual(d.maxAbsDelta, 0.05, accuracy: 1e-6)
            XCTAssertEqual(r.differences.count, 1, r.renderText())
            XCTAssertTrue(r.renderText().contains("L1 H1"))
        }
    }

    func testRelativeToleranceMustAlsoBeExceeded() {
        let t = Tolerance(abs: 0.01, rel: 0.1)
        XCTAssertFalse(t.differs(1.0, 1.05))   // beyond abs, within 10 %
        XCTAssertTrue(t.differs(1.0, 1.2))
        XCTAssertFalse(t.differs(0.001, 0.009)) // within abs
        XCTAssertFalse(t.differs(.nan, .nan))
        XCTAssertTrue(t.differs(.nan, 0))
        XCTAssertTrue(t.differs(0.5, .nan))
        XCTAssertFalse(t.differs(.infinity, .infinity))
        XCTAssertTrue(Tolerance(abs: 0, rel: 0).differs(3, 4))
        XCTAssertFalse(Tolerance(abs: .infinity, rel: 0).differs(3, 400))
    }

    func testChangedSelectionIsDetectedByJaccard() throws {
        let a = SyntheticRun.make(seed: 7)
        var b = a
        let sel = b.steps[2].selections[0]
        b.steps[2].selections[0].ranges = [0..<1, 2..<sel.count + 1]   // one position swapped
        let r = try TraceDiff.run(a, b)
        let d = try XCTUnwrap(r.differences.first { $0.metric == .selection })
        XCTAssertEqual(d.subject, Subject(kind: .head, layer: 0, index: 0))
        XCTAssertEqual(d.maxStep, 2)
        XCTAssertGreaterThan(d.maxAbsDelta, 0)
        XCTAssertFalse(r.withinTolerance)
    }

    func testEmittedTokenChangeIsReported() throws {
        let a = SyntheticRun.make(seed: 9)
        var b = a
        b.steps[5].step.emittedToken = TokenInfo(id: 999, text: "x")
        let r = try TraceDiff.run(a, b)
        XCTAssertFalse(r.withinTolerance)
        XCTAssertEqual(r.tokenMismatchCount, 1)
        XCTAssertEqual(r.tokenMismatches.first?.step, 5)
        XCTAssertTrue(r.differences.isEmpty)
        XCTAssertTrue(r.renderText().contains("id 999 \"x\""), r.renderText())
    }

    /// A step that ran at another position, in another phase or with another number of queries
    /// is a mismatch of the step itself, each on its own.
    func testStepAtAnotherPositionPhaseOrQueryCountIsReported() throws {
        let a = SyntheticRun.make(seed: 4)
        for change in ["position", "phase", "queries"] {
            var b = a
            switch change {
            case "position": b.steps[3].step.position += 1
            case "phase": b.steps[3].step.phase = .prefill
            default: b.steps[3].step.queryCount += 1
            }
            let r = try TraceDiff.run(a, b)
            XCTAssertFalse(r.withinTolerance, change)
            XCTAssertEqual(r.tokenMismatchCount, 1, change)
            XCTAssertEqual(r.tokenMismatches.first?.step, 3, change)
            XCTAssertEqual(r.tokenMismatches.first?.what, "step", change)
        }
    }

    func testAttentionRowChangeIsMeasured() throws {
        let a = SyntheticRun.make(seed: 11)
        var b = a
        b.steps[6].rows[3].values[0] += 0.2
        let r = try TraceDiff.run(a, b)
        let mx = try XCTUnwrap(r.differences.first { $0.metric == .rowsMax })
        XCTAssertEqual(mx.maxAbsDelta, 0.2, accuracy: 1e-5)
        XCTAssertEqual(mx.subject, Subject(kind: .head, layer: 0, index: 3))
    }

    func testKVBytesDifferenceIsAttributedToKVHead() throws {
        let a = SyntheticRun.make(seed: 12)
        var b = a
        b.steps[7].kv[3].bytes -= 64
        b.steps[7].kv[3].evicted = [2]
        let r = try TraceDiff.run(a, b)
        let kinds = Set(r.differences.map(\.metric))
        XCTAssertEqual(kinds, [.kvBytes, .evicted])
        XCTAssertTrue(r.differences.allSatisfy { $0.subject == Subject(kind: .kvHead, layer: 1, index: 1) })
    }

    func testTimingsExcludedByDefaultAndIncludedOnRequest() throws {
        let a = SyntheticRun.make(seed: 13)
        var b = a
        for i in b.steps.indices { b.steps[i].step.wallNanos *= 3 }
        XCTAssertTrue(try TraceDiff.run(a, b).withinTolerance)
        let r = try TraceDiff.run(a, b, options: DiffOptions(includeTimings: true))
        XCTAssertEqual(r.differences.map(\.metric), [.wallNanos])
        XCTAssertEqual(r.differences.first?.ratio ?? 0, 3, accuracy: 1e-3)
    }

    // MARK: Alignment

    func testStepCountDiffersUnlessCommonPrefix() throws {
        let a = SyntheticRun.make(seed: 3, steps: 8), b = SyntheticRun.make(seed: 3, steps: 6)
        XCTAssertThrowsError(try TraceDiff.run(a, b)) { e in
            guard case DiffError.notAligned(let reasons) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(reasons.joined().contains("other step count"), "\(reasons)")
        }
        let r = try TraceDiff.run(a, b, options: DiffOptions(commonPrefix: true))
        XCTAssertEqual(r.stepsCompared, 6)
        XCTAssertTrue(r.withinTolerance)
        XCTAssertTrue(r.notes.joined().contains("common prefix"))
    }

    func testOtherModelOrPromptCannotBeAligned() {
        let a = SyntheticRun.make(seed: 4)
        let otherShape = SyntheticRun.make(seed: 4, header: SyntheticRun.header(layers: 3))
        let otherName = SyntheticRun.make(seed: 4, header: SyntheticRun.header(model: "other"))
        let otherPrompt = SyntheticRun.make(seed: 4, header: SyntheticRun.header(prompt: [100, 101, 7, 103, 104, 105]))
        for (b, expected) in [(otherShape, "other model"), (otherName, "other model"), (otherPrompt, "token 2")] {
            XCTAssertThrowsError(try TraceDiff.run(a, b)) { e in
                XCTAssertTrue("\(e)".contains(expected), "\(e)")
            }
        }
        XCTAssertNoThrow(try TraceDiff.run(a, otherName, options: DiffOptions(ignoreModelName: true)))
    }

    func testTruncatedSourceNeedsCommonPrefix() throws {
        let a = SyntheticRun.make(seed: 5)
        var b = SyntheticRun.make(seed: 5, steps: 5)
        b.truncation = "chunk 2 CRC mismatch"
        XCTAssertThrowsError(try TraceDiff.run(a, b)) { e in
            XCTAssertTrue("\(e)".contains("truncated"), "\(e)")
        }
        let r = try TraceDiff.run(a, b, options: DiffOptions(commonPrefix: true))
        XCTAssertEqual(r.stepsCompared, 5)
    }

    func testMalformedFrameIsAnError() {
        let a = SyntheticRun.make(seed: 6)
        var b = a
        b.steps[1].metrics.removeLast()
        XCTAssertThrowsError(try TraceDiff.run(a, b)) { e in
            guard case DiffError.malformed(let s) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(s.contains("step 1"), s)
        }
    }

    func testJSONRoundTripsThroughJSONSerialization() throws {
        let a = SyntheticRun.make(seed: 8)
        var b = a
        b.steps[0].metrics[0].entropy = .nan
        let r = try TraceDiff.run(a, b)
        let obj = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.renderJSON().utf8)) as? [String: Any])
        XCTAssertEqual(obj["withinTolerance"] as? Bool, false)
        let diffs = try XCTUnwrap(obj["differences"] as? [[String: Any]])
        XCTAssertEqual(diffs.first?["metric"] as? String, "entropy")
        XCTAssertEqual(diffs.first?["maxAbsDelta"] as? String, "inf")
    }

    func testTracesMatchMessageListsDifferingHeads() {
        let a = SyntheticRun.make(seed: 10)
        var b = a
        b.steps[2].metrics[6].recall = 0.5
        let ok = tracesMatch(a, a)
        XCTAssertTrue(ok.matches)
        let r = tracesMatch(a, b)
        XCTAssertFalse(r.matches)
        XCTAssertTrue(r.message.contains("recall") && r.message.contains("L1 H2"), r.message)
    }

    // MARK: Distances

    func testRangeIntersectionMatchesNaive() {
        var rng = SeededGenerator(seed: 42)
        for trial in 0..<200 {
            func ranges() -> [Range<Int>] {
                var out: [Range<Int>] = [], at = Int.random(in: 0...3, using: &rng)
                for _ in 0..<Int.random(in: 0...5, using: &rng) {
                    let len = Int.random(in: 1...4, using: &rng)
                    out.append(at..<at + len)
                    at += len + Int.random(in: 1...3, using: &rng)
                }
                return out
            }
            let a = ranges(), b = ranges()
            XCTAssertEqual(intersectionCount(a, b), intersectionCountNaive(a, b), "seed 42 trial \(trial): \(a) \(b)")
        }
        XCTAssertEqual(jaccardDistance([], []), 0)
        XCTAssertEqual(jaccardDistance([0..<4], [2..<6]), 1 - 2.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(jaccardDistance(sorted: [1, 2, 3], [2, 3, 4]), 0.5, accuracy: 1e-12)
    }
}

final class RowDistanceTests: XCTestCase {
    func testSIMDMatchesNaive() {
        var rng = SeededGenerator(seed: 77)
        for trial in 0..<100 {
            let n = Int.random(in: 1...3000, using: &rng)
            let a = (0..<n).map { _ in Float.random(in: 0...1, using: &rng) }
            let b = a.map { Float.random(in: 0...1, using: &rng) < 0.3 ? Float.random(in: 0...1, using: &rng) : $0 }
            let fast = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in absDiffMaxSum(pa, pb) } }
            let slow = absDiffMaxSumNaive(a, b)
            XCTAssertEqual(fast.0, slow.0, "seed 77 trial \(trial) n \(n)")
            XCTAssertEqual(fast.1, slow.1, accuracy: 1e-3 + 1e-5 * slow.1, "seed 77 trial \(trial) n \(n)")
        }
        var withNaN: [Float] = Array(repeating: 0.5, count: 20)
        withNaN[13] = .nan
        let r = AttentionRows(layer: 0, head: 0, kind: .decodeRow, rows: 1, cols: 20, tile: 1, values: withNaN)
        var ok = r
        ok.values = Array(repeating: 0.5, count: 20)
        XCTAssertEqual(rowDistance(r, ok).max, 1)
        XCTAssertEqual(rowDistance(ok, ok).max, 0)
        var other = ok
        other.cols = 10; other.values = Array(repeating: 0.5, count: 10)
        XCTAssertEqual(rowDistance(ok, other).mean, 1)
    }
}

final class ParallelReadTests: XCTestCase {
    func testParallelAndSerialReadsGiveTheSameReport() throws {
        for seed: UInt64 in [31, 32] {
            let a = SyntheticRun.make(seed: seed, steps: 12)
            var b = a
            b.steps[4].metrics[1].entropy += 0.3
            b.steps[9].step.emittedToken = nil
            var serial = DiffOptions()
            serial.parallelRead = false
            XCTAssertEqual(try TraceDiff.run(a, b), try TraceDiff.run(a, b, options: serial), "seed \(seed)")
        }
    }

    func testReadErrorIsReportedWithStep() {
        struct Failing: TraceSource {
            let base: InMemoryTrace
            var header: RunHeader { base.header }
            var stepCount: Int { base.stepCount }
            func frame(_ i: Int) throws -> StepFrame {
                if i == 3 { throw TraceOpenError(message: "boom at 3") }
                return try base.frame(i)
            }
        }
        let a = SyntheticRun.make(seed: 33)
        XCTAssertThrowsError(try TraceDiff.run(a, Failing(base: a), labels: ("x", "y"))) { e in
            XCTAssertEqual(e as? DiffError, .read("y step 3: boom at 3"))
        }
    }
}

final class CaptureMismatchTests: XCTestCase {
    func testSelectionsAndRowsComparedOnlyWhereBothCaptured() throws {
        let a = SyntheticRun.make(seed: 41)
        var b = a
        b.header.capture = .metrics
        for i in b.steps.indices { b.steps[i].selections = []; b.steps[i].rows = [] }
        b.steps[2].metrics[0].sinkMass1 += 0.5
        let r = try TraceDiff.run(a, b)
        XCTAssertFalse(r.metrics.contains { $0.metric == .selection })
        XCTAssertTrue(r.notes.contains { $0.contains("capture levels differ") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.contains("selections were compared only") }, "\(r.notes)")
        XCTAssertTrue(r.notes.contains { $0.contains("rows captured by one run only") }, "\(r.notes)")
        XCTAssertEqual(r.differences.map(\.metric), [.sinkMass1])
    }

    func testPolicyDifferenceIsANoteNotAFailure() throws {
        let a = SyntheticRun.make(seed: 42)
        let b = SyntheticRun.make(seed: 42, header: SyntheticRun.header(policy: "sink_window"))
        let r = try TraceDiff.run(a, b)
        XCTAssertTrue(r.withinTolerance)
        XCTAssertTrue(r.notes.contains { $0.contains("policies differ: dense vs sink_window") }, "\(r.notes)")
    }
}
