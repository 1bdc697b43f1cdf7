import XCTest
@testable import AttnTUI

final class DeepLinkTests: XCTestCase {
    func testForms() throws {
        XCTAssertEqual(try DeepLink.parse("L14H3@120"), DeepLink(layer: 14, head: 3, step: 120))
        XCTAssertEqual(try DeepLink.parse("l14h3"), DeepLink(layer: 14, head: 3))
        XCTAssertEqual(try DeepLink.parse("L2"), DeepLink(layer: 2))
        XCTAssertEqual(try DeepLink.parse("L2@7"), DeepLink(layer: 2, step: 7))
        XCTAssertEqual(try DeepLink.parse(" @0 "), DeepLink(step: 0))
    }

    func testBadFormsSayWhy() {
        let bad: [(String, String)] = [
            ("", "empty"), ("L1@2@3", "more than one '@'"), ("L1@", "no step after '@'"), ("L1@-3", "step '-3'"),
            ("LxH2", "'L' must be followed by a number"), ("H3", "a head needs its layer"), ("L1H2x", "cannot read 'x'"),
            ("@", "no step after '@'"),
        ]
        for (text, reason) in bad {
            XCTAssertThrowsError(try DeepLink.parse(text), text) { e in
                XCTAssertTrue("\(e)".hasPrefix(reason), "\(text): \(e)")
            }
        }
    }

    func testRangeCheck() {
        XCTAssertNoThrow(try DeepLink(layer: 29, head: 8, step: 9).check(layers: 30, heads: 9, steps: 10))
        XCTAssertThrowsError(try DeepLink(layer: 30).check(layers: 30, heads: 9, steps: 10)) { e in
            XCTAssertEqual("\(e)", "layer 30 is out of range (the model has 30 layers, 0–29)")
        }
        XCTAssertThrowsError(try DeepLink(layer: 0, head: 9).check(layers: 30, heads: 9, steps: 10))
        XCTAssertThrowsError(try DeepLink(step: 10).check(layers: 30, heads: 9, steps: 10))
    }

    func testColonPromptAcceptsTheDeepLinkForm() {
        XCTAssertEqual(JumpCommand.parse("L3H5@12"), JumpCommand(step: 12, layer: 3, head: 5))
        XCTAssertEqual(JumpCommand.parse("L3H5"), JumpCommand(step: nil, layer: 3, head: 5))
        XCTAssertNil(JumpCommand.parse("L3H@12"))
    }

    func testViewNames() {
        XCTAssertEqual(Screen(name: "heatmap"), .heatmap)
        XCTAssertEqual(Screen(name: "Timeline"), .timeline)
        XCTAssertNil(Screen(name: "graph"))
    }
}
