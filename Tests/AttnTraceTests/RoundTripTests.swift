import XCTest
@testable import AttnTrace

final class RoundTripTests: XCTestCase {
    func tempPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attntrace-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    func testSampleTraceRoundTrips() throws {
        for seed: UInt64 in [1, 2, 3] {
            var shape = SampleTraces.Shape()
            shape.layers = 4; shape.heads = 6; shape.kvHeads = 2; shape.decodeSteps = 12; shape.rowInterval = 3
            let sample = SampleTraces(shape: shape, seed: seed)
            let path = tempPath("rt-\(seed).atrace")
            try sample.write(to: path)
            let r = try TraceReader(path: path)
            XCTAssertEqual(r.status, .finalized, "seed \(seed)")
            XCTAssertEqual(r.header, sample.header, "seed \(seed)")
            XCTAssertEqual(r.stepCount, sample.stepCount, "seed \(seed)")
            for s in 0..<r.stepCount {
                let expected = sample.frame(step: s).asStored()
                let got = try r.frame(s)
                XCTAssertTrue(got.storedEquals(expected), "seed \(seed) step \(s): \(got) != \(expected)")
                for l in 0..<shape.layers {
                    for h in 0..<shape.heads {
                        let m = try r.metrics(step: s, layer: l, head: h)
                        XCTAssertEqual(m.layer, l); XCTAssertEqual(m.head, h)
                        XCTAssertEqual(m.visibleKV, expected.metrics[l * shape.heads + h].visibleKV)
                        XCTAssertEqual(try r.selection(step: s, layer: l, head: h), expected.selections[l * shape.heads + h])
                    }
                }
            }
            XCTAssertEqual(r.unknownRecordCount, 0)
        }
    }
}
