import AttnTestSupport
import AttnTraceTestSupport
import XCTest
@testable import AttnTrace

/// Format version 2 added the layers' native attention windows to the run header. traces/v1/ keeps
/// golden.atrace as version 1 wrote it (`SyntheticTrace(shape: .tiny, seed: 7)`) with its dump: a
/// version-2 reader opens it as it is, dumps it as before and finds the same run in it as in the
/// version-2 traces/golden.atrace.
final class FormatVersionTests: XCTestCase {
    let v1 = GoldenTests.traces.appendingPathComponent("v1")

    func testVersion1GoldenOpensAndDumpsAsBefore() throws {
        let bytes = Array(try Data(contentsOf: v1.appendingPathComponent("golden.atrace")))
        let r = try TraceReader(bytes: bytes, name: "traces/golden.atrace")
        XCTAssertEqual(r.formatVersion, 1)
        XCTAssertEqual(r.header.model.layerWindows, [])
        XCTAssertEqual(try TraceDump.text(r), try String(contentsOf: v1.appendingPathComponent("golden.txt"), encoding: .utf8))
    }

    func testVersion1AndVersion2GoldensHoldTheSameRun() throws {
        let old = try TraceReader(path: v1.appendingPathComponent("golden.atrace").path)
        let new = try TraceReader(path: GoldenTests.traces.appendingPathComponent("golden.atrace").path)
        XCTAssertEqual(new.formatVersion, 2)
        XCTAssertEqual(old.header, new.header)
        XCTAssertEqual(old.stepCount, new.stepCount)
        // Every record as the dump prints it (frames hold NaN, which == never equals), after the
        // first two lines: the format version and the file size; version 2's oracle recall aside.
        let a = try TraceDump.text(old).split(separator: "\n").dropFirst(2).map(String.init)
        let b = try TraceDump.text(new).split(separator: "\n").dropFirst(2).map {
            String($0.replacing(/\ oracle=[^ ]*/, with: ""))
        }
        XCTAssertEqual(Array(a), Array(b))
        XCTAssertGreaterThan(a.count, 20)
    }

    func write(_ header: RunHeader, frames: [StepFrame]) throws -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("windows-\(getpid()).atrace").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let w = try TraceWriter(path: path, header: header)
        for f in frames { try w.append(f) }
        try w.finish()
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func testLayerWindowsRoundTrip() throws {
        let sample = SyntheticTrace(shape: .tiny, seed: 7)
        var h = sample.header
        h.model.layerWindows = [512, 0]   // a sliding-window layer and a global one
        let r = try TraceReader(bytes: try write(h, frames: [sample.frame(step: 0)]))
        XCTAssertEqual(r.header.model.layerWindows, [512, 0])
        XCTAssertEqual(r.header.model.window(layer: 0), 512)
        XCTAssertNil(r.header.model.window(layer: 1))
        XCTAssertTrue(try TraceDump.text(r).contains(" windows=512,0\n"))
    }

    func testWindowsForAnotherLayerCountAreRefused() throws {
        let sample = SyntheticTrace(shape: .tiny, seed: 7)
        var h = sample.header
        h.model.layerWindows = [512]   // 1 window for 2 layers
        XCTAssertThrowsError(try write(h, frames: []))
        // A reader given such a header says which field is wrong.
        var w = ByteWriter(capacity: 256)
        h.model.layerWindows = []
        Codec.encode(h, into: &w)
        var body = Array(w.bytes.dropLast())   // the window count 0 …
        body.append(1); body.append(0)         // … becomes 1 window (of 0) for 2 layers
        let failure = body.withUnsafeBytes { b -> Error? in
            var r = ByteReader(b, fileOffset: 0, path: "t", what: "header")
            do { _ = try Codec.decodeRunHeader(&r, version: 2); return nil } catch { return error }
        }
        XCTAssertTrue(failure.map { "\($0)".contains("layer window count") } ?? false, "\(String(describing: failure))")
    }
}
