import AttnTestSupport
import XCTest
@testable import AttnTrace
import AttnTraceTestSupport

/// traces/golden.atrace is a small trace written by `SyntheticTrace(shape: .tiny, seed: 7)`; traces/golden.txt
/// is its `attnscope dump`; traces/golden-truncated.txt is the dump of the same bytes cut in the middle
/// of the last step chunk. Regenerate all three after a deliberate format or dump change with
/// (a recording run fails, so that it is never mistaken for a passing one):
///
///     RECORD_GOLDEN=1 swift test -c release -Xswiftc -enable-testing --filter AttnTraceTests.GoldenTests
final class GoldenTests: XCTestCase {
    static let traces = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("traces")
    let goldenTrace = traces.appendingPathComponent("golden.atrace")
    let goldenText = traces.appendingPathComponent("golden.txt")
    let truncatedText = traces.appendingPathComponent("golden-truncated.txt")
    var recording: Bool { GoldenRecording.isOn }

    func writeSample() throws -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("golden-\(getpid()).atrace").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SyntheticTrace(shape: .tiny, seed: 7).write(to: path)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The bytes cut in the middle of the last step chunk.
    func truncated(_ bytes: [UInt8]) throws -> [UInt8] {
        let r = try TraceReader(bytes: bytes)
        let last = r.chunkOffsets.last!
        let end = try ChunkHeader.read(r.file.bytes, at: last, path: "").end
        return Array(bytes[0..<((last + end) / 2)])
    }

    func testWriterReproducesGoldenBytes() throws {
        let bytes = try writeSample()
        if recording {
            try FileManager.default.createDirectory(at: Self.traces, withIntermediateDirectories: true)
            try Data(bytes).write(to: goldenTrace)
            try TraceDump.text(TraceReader(bytes: bytes, name: "traces/golden.atrace")).write(to: goldenText, atomically: true, encoding: .utf8)
            try TraceDump.text(TraceReader(bytes: truncated(bytes), name: "traces/golden.atrace"))
                .write(to: truncatedText, atomically: true, encoding: .utf8)
            return GoldenRecording.recorded("traces/golden.atrace, golden.txt and golden-truncated.txt")
        }
        let golden = Array(try Data(contentsOf: goldenTrace))
        XCTAssertEqual(bytes.count, golden.count, "writer output size changed; see the regenerate command in GoldenTests")
        XCTAssertTrue(bytes == golden, "writer output changed; see the regenerate command in GoldenTests")
    }

    func testGoldenDumpMatches() throws {
        try XCTSkipIf(recording)
        let golden = Array(try Data(contentsOf: goldenTrace))
        let text = try TraceDump.text(TraceReader(bytes: golden, name: "traces/golden.atrace"))
        XCTAssertEqual(text, try String(contentsOf: goldenText, encoding: .utf8))
        let cut = try TraceDump.text(TraceReader(bytes: truncated(golden), name: "traces/golden.atrace"))
        XCTAssertEqual(cut, try String(contentsOf: truncatedText, encoding: .utf8))
    }
}
