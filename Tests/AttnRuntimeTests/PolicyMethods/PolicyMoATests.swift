// MoA spans on hand-made streams: each head its sink and its own band.

import XCTest
@testable import AttnRuntime

final class PolicyMoATests: XCTestCase {
    func testSpanIsAlphaPlusBetaNClamped() {
        XCTAssertEqual(MoAPolicy.span(alpha: 8, beta: 0.25, count: 100), 33)
        XCTAssertEqual(MoAPolicy.span(alpha: -50, beta: 0.25, count: 100), 1, "at least the newest entry")
        XCTAssertEqual(MoAPolicy.span(alpha: 90, beta: 0.5, count: 100), 100, "at most the stream")
    }

    func testEachHeadItsSinkAndBandFromTheSpansFile() throws {
        let file = #"{"model": {"layers": 1, "heads": 4}, "spans": [[[4, 0], [10, 0.1], [-100, 0], [0, 1]]]}"#
        let p = try XCTUnwrap(PolicyRegistry.make("moa:sink=2,spans=s.json") { _ in file } as? MoAPolicy)
        XCTAssertEqual(p.parameters.map(\.value), ["2", "64.0", "0.25", "s.json"])
        let shape = AttentionShape(heads: 4, kvHeads: 2, headDim: 4)
        try p.check(layers: 1, shape: shape)
        XCTAssertThrowsError(try p.check(layers: 2, shape: shape)) { XCTAssertTrue("\($0)".contains("1 layers × 4 heads"), "\($0)") }
        p.reset(layers: 1, shape: shape)
        var sel: [[Int]] = Array(repeating: [], count: 4)
        XCTAssertTrue(p.selectPerQueryHead(layer: 0, query: [], cache: filledCache(kvHeads: 2, count: 40), into: &sel))
        XCTAssertEqual(sel[0], [0, 1, 36, 37, 38, 39])
        XCTAssertEqual(sel[1], [0, 1] + Array(26..<40), "span ⌊10 + 0.1·40⌋ = 14")
        XCTAssertEqual(sel[2], [0, 1, 39], "the newest entry at least")
        XCTAssertEqual(sel[3], Array(0..<40), "β = 1: everything")
        XCTAssertThrowsError(try PolicyRegistry.make("moa:spans=s.json") { _ in #"{"model": {"layers": 1, "heads": 2}, "spans": [[[1, 0]]]}"# }) {
            XCTAssertTrue("\($0)".contains("1 layers × 2 heads"), "\($0)")
        }
    }
}
