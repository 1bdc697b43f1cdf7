import AttnAnalysis
import AttnTrace
import Foundation
import XCTest
import AttnTraceTestSupport

/// A golden trace recorded from the reference model (SmolLM2-135M, greedy, streaming policy that
/// evicts) is a regression test: re-recording the same run with 1 and with 2 threads must diff clean
/// against it within the default tolerances (timings excluded). docs/headless.md explains the
/// tolerance; `bash scripts/record-golden.sh` regenerates the golden after a deliberate change.
final class GoldenReferenceTests: XCTestCase {
    static let reference = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("traces/reference")
    /// The same arguments as scripts/record-golden.sh, apart from --threads and --out.
    static let arguments = ["record", "--ignore-eos", "--prompt-file", reference.appendingPathComponent("prompt.txt").path,
                            "-n", "12", "--policy", "streaming:sink=4,window=16", "--capture", "selections",
                            "--temperature", "0"]

    func testReRecordingMatchesTheGoldenTraceWithOneAndTwoThreads() throws {
        try requireModel()
        let golden = Self.reference.appendingPathComponent("golden.atrace").path
        let header = try TraceReader(path: golden).header
        XCTAssertEqual(header.policy.mode, .evicts)
        for threads in [1, 2] {
            let path = tempPath("golden-threads\(threads).atrace")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try run(Self.arguments + ["--threads", String(threads), "--out", path])
            let result = assertTracesMatch(golden, path)
            if !result.matches { XCTFail("--threads \(threads): \(result.message)") }
            XCTAssertEqual(result.report?.stepsCompared, 12, "--threads \(threads)")
            // The recorded run evicted (otherwise the golden does not cover the streaming policy).
            let kv = try TraceReader(path: path).kv(step: 11)
            XCTAssertTrue(kv.allSatisfy { $0.entries == 20 }, "--threads \(threads): \(kv.map(\.entries))")
        }
    }
}
