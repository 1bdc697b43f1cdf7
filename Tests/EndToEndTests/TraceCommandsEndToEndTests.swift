@testable import AttnTrace
import Foundation
import XCTest

/// `info` and `dump` through the command line on the committed golden traces (no model needed):
/// `dump` prints exactly the committed text forms, `info` tells a finalized file from a recovered
/// one and says where the recovered one ends.
final class TraceCommandsEndToEndTests: XCTestCase {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("traces")

    func text(_ name: String) throws -> String {
        try String(contentsOf: Self.traces.appendingPathComponent(name), encoding: .utf8)
    }

    /// The golden trace cut in the middle of its last step chunk (as traces/golden-truncated.txt).
    func truncatedCopy() throws -> String {
        let golden = Self.traces.appendingPathComponent("golden.atrace").path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: golden))
        let reader = try TraceReader(path: golden)
        let last = try XCTUnwrap(reader.chunkOffsets.last)
        let end = try ChunkHeader.read(reader.file.bytes, at: last, path: golden).end
        let path = tempPath("golden-cut.atrace")
        try bytes.prefix((last + end) / 2).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testDumpPrintsTheCommittedTextForms() throws {
        for (trace, golden) in [("golden.atrace", "golden.txt"), ("reference/golden.atrace", "reference/golden.txt"),
                                ("diff/a.atrace", "diff/a.dump.txt"), ("diff/b.atrace", "diff/b.dump.txt")] {
            let r = try run(["dump", Self.traces.appendingPathComponent(trace).path])
            XCTAssertEqual(r.out, try text(golden), "attnscope dump traces/\(trace) differs from traces/\(golden)")
        }
    }

    func testInfoSaysFinalizedOrRecoveredAndWhereItEnds() throws {
        let golden = Self.traces.appendingPathComponent("golden.atrace").path
        let finalized = try run(["info", golden]).out.split(separator: "\n").map(String.init)
        XCTAssertTrue(finalized.contains("status    finalized"), "\(finalized)")
        XCTAssertTrue(finalized.contains("prompt    6 tokens"), "\(finalized)")
        XCTAssertTrue(finalized.contains { $0.hasPrefix("steps     4 (1 prefill, 3 decode)") }, "\(finalized)")
        XCTAssertTrue(finalized.contains("chunks    all 4 intact (CRC checked)"), "\(finalized)")
        XCTAssertTrue(finalized.contains("policy    sink_window:sink=1,window=3 (selects)"), "\(finalized)")

        let cut = try truncatedCopy()
        defer { try? FileManager.default.removeItem(atPath: cut) }
        let reader = try TraceReader(path: cut)
        guard case .recovered(let valid, _) = reader.status else { return XCTFail("the cut copy opened as finalized") }
        XCTAssertEqual(reader.stepCount, 3)
        let recovered = try run(["info", cut]).out.split(separator: "\n").map(String.init)
        XCTAssertTrue(recovered.contains { $0.hasPrefix("status    recovered: \(valid) B intact;") }, "\(recovered)")
        XCTAssertTrue(recovered.contains { $0.hasPrefix("steps     3 (1 prefill, 2 decode)") }, "\(recovered)")
        // (the recovery reason names the file: the golden text was dumped as traces/golden.atrace)
        XCTAssertEqual(try run(["dump", cut]).out, try text("golden-truncated.txt").replacingOccurrences(of: "traces/golden.atrace", with: cut))
    }
}
