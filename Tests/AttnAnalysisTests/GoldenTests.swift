import XCTest
import AttnTestSupport
import AttnTrace
@testable import AttnAnalysis
import AttnTraceTestSupport

/// Golden inputs and outputs under traces/diff/ (see traces/diff/README.md):
///   a.atrace, b.atrace   two tiny sample runs (b: one sink mass moved, one selection changed,
///                        one emitted token changed), with their text dumps a.dump.txt, b.dump.txt
///                        (`attnscope dump`) and per-head tables a.jsonl, b.jsonl;
///   diff.txt, diff.json  `attnscope diff traces/diff/a.atrace traces/diff/b.atrace [--json]`;
///   stats.txt            `attnscope stats traces/diff/a.atrace`.
/// RECORD_GOLDEN=1 rewrites all of them and fails (then review `git diff traces/` and run again).
final class GoldenTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let dir = root.appendingPathComponent("traces/diff")
    let recording = GoldenRecording.isOn

    /// The golden runs, from the trace library's seeded sample generator.
    static func frames(perturbed: Bool) -> (RunHeader, [StepFrame]) {
        let sample = SyntheticTrace(shape: .tiny, seed: 3)
        var frames = (0..<sample.stepCount).map { sample.frame(step: $0) }
        if perturbed {
            frames[1].metrics[2].sinkMass4 = min(1, frames[1].metrics[2].sinkMass4 + 0.2)   // L1 H0
            frames[2].selections[3].ranges = [0..<1]                                        // L1 H1
            frames[3].step.emittedToken = TokenInfo(id: 4242, text: " golden")
        }
        return (sample.header, frames)
    }

    func path(_ name: String) -> String { Self.dir.appendingPathComponent(name).path }

    func writeTraces() throws {
        try FileManager.default.createDirectory(at: Self.dir, withIntermediateDirectories: true)
        for (name, perturbed) in [("a", false), ("b", true)] {
            let (header, frames) = Self.frames(perturbed: perturbed)
            let w = try TraceWriter(path: path("\(name).atrace"), header: header)
            for f in frames { try w.append(f) }
            try w.finish()
        }
    }

    func check(_ actual: String, _ name: String) throws {
        if recording {
            try actual.write(toFile: path(name), atomically: true, encoding: .utf8)
            return GoldenRecording.recorded("traces/diff/\(name)")
        }
        let expected = try String(contentsOfFile: path(name), encoding: .utf8)
        if actual != expected {
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let i = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, e.count)
            XCTFail("\(name) differs from the golden file at line \(i + 1):\n  golden: \(i < e.count ? String(e[i]) : "<end>")\n"
                + "  actual: \(i < a.count ? String(a[i]) : "<end>")\n(RECORD_GOLDEN=1 re-records; see traces/diff/README.md)")
        }
    }

    func testGoldenDiffStatsAndDumps() throws {
        if recording { try writeTraces() }
        let a = try openTrace(path("a.atrace")), b = try openTrace(path("b.atrace"))
        // The committed traces still hold what the generator makes (format and generator unchanged),
        // within tolerance: the format stores metrics and rows quantised (rows 8-bit log scale, whose
        // mean error on these short rows reaches ~0.002, beyond the file-vs-file default of 0.001).
        var quantised = ToleranceSet.defaults
        try quantised.apply(line: "rows_mean abs=0.01")
        for (file, perturbed) in [(a, false), (b, true)] {
            let (header, frames) = Self.frames(perturbed: perturbed)
            XCTAssertEqual(file.header, header)
            let r = tracesMatch(InMemoryTrace(header: header, steps: frames), file, tolerances: quantised)
            XCTAssertTrue(r.matches, r.message)
        }
        let report = try TraceDiff.run(a, b, labels: ("traces/diff/a.atrace", "traces/diff/b.atrace"))
        XCTAssertFalse(report.withinTolerance)
        XCTAssertEqual(Set(report.differences.map(\.metric)), [.sinkMass4, .selection])
        XCTAssertEqual(report.tokenMismatchCount, 1)
        try check(report.renderText(), "diff.txt")
        try check(report.renderJSON(), "diff.json")
        try check(try RunStats.compute(a, label: "traces/diff/a.atrace").renderText(), "stats.txt")
        for (file, name) in [(a, "a.jsonl"), (b, "b.jsonl")] {
            var bytes: [UInt8] = []
            let out = TextOutput { bytes += $0 }
            try JSONLExport.write(file, to: out)
            try out.finish()
            try check(String(decoding: bytes, as: UTF8.self), name)
        }
    }
}

extension GoldenTests {
    /// The traces' dumps in the trace library's stable text form (`attnscope dump`), for people to
    /// read what the golden inputs hold. Fails only when that form (or the traces) change.
    func testGoldenTraceDumps() throws {
        for name in ["a", "b"] {
            let reader = try TraceReader(path: path("\(name).atrace"))
            try check(try TraceDump.text(reader), "\(name).dump.txt")
        }
    }
}

final class AssertTracesMatchTests: XCTestCase {
    func testPathHelperOnGoldenFiles() {
        let a = GoldenTests.dir.appendingPathComponent("a.atrace").path
        let b = GoldenTests.dir.appendingPathComponent("b.atrace").path
        XCTAssertTrue(assertTracesMatch(a, a).matches)
        let r = assertTracesMatch(a, b)
        XCTAssertFalse(r.matches)
        XCTAssertTrue(r.message.contains("L1 H0") && r.message.contains("sink_mass_4"), r.message)
        let missing = assertTracesMatch(a, "/nonexistent/x.atrace")
        XCTAssertFalse(missing.matches)
        XCTAssertNil(missing.report)
        XCTAssertTrue(missing.message.contains("/nonexistent/x.atrace"), missing.message)
    }
}
