import XCTest
@testable import AttnTUI

final class TimelineColumnsTests: XCTestCase {
    func testFewerStepsThanColumnsFillTheWidth() {
        let c = TimelineColumns(first: 0, count: 10, width: 57)
        XCTAssertFalse(c.binned)
        XCTAssertEqual(c.perStep, 5)
        XCTAssertEqual(c.used, 50)
        XCTAssertEqual(c.steps(column: 0), 0..<1)
        XCTAssertEqual(c.steps(column: 49), 9..<10)
        XCTAssertEqual(c.columns(step: 3), 15..<20)
        XCTAssertEqual(c.steps(column: 50), 0..<0)
    }

    func testBinsCoverEveryStepOnceAndInvert() {
        for (count, width, first) in [(1000, 100, 0), (1001, 97, 1), (25, 17, 0), (8192, 211, 3)] {
            let c = TimelineColumns(first: first, count: count, width: width)
            XCTAssertTrue(c.binned)
            var next = first
            for col in 0..<c.used {
                let r = c.steps(column: col)
                XCTAssertEqual(r.lowerBound, next, "\(count)/\(width) column \(col)")
                XCTAssertFalse(r.isEmpty)
                for s in r { XCTAssertEqual(c.columns(step: s), col..<(col + 1), "\(count)/\(width) step \(s)") }
                next = r.upperBound
            }
            XCTAssertEqual(next, first + count)
        }
    }

    func testLogScaleMapsNonPositiveToTheBottom() {
        XCTAssertEqual(TimelineScale.map(100, log: true), 2, accuracy: 1e-12)
        XCTAssertEqual(TimelineScale.map(0, log: true), -.infinity)
        XCTAssertTrue(TimelineScale.map(.nan, log: true).isNaN)
        XCTAssertEqual(TimelineScale.map(0, log: false), 0)
    }

    func app() -> App {
        let a = App(trace: TinyTrace.source())
        a.apply(.show(.timeline))
        return a
    }

    func testKeysToggleLogAndPrefillAndTheTitleSaysSo() {
        let a = app()
        XCTAssertTrue(a.render(width: 100, height: 30).text.contains("· linear"))
        a.handle(.key(.char("s"))); a.handle(.key(.char("x")))
        XCTAssertTrue(a.state.timelineLog && a.state.timelineExcludePrefill)
        let title = a.render(width: 100, height: 30).text
        XCTAssertTrue(title.contains("· log · prefill excluded"), title)
        XCTAssertTrue(title.contains("steps 1…24 of 25"), title)
    }

    func testNarrowTimelineBinsAndKeepsTheLastStep() {
        let a = app()
        a.apply(.jump(step: 24, layer: nil, head: nil))
        let g = a.render(width: 45, height: 30)      // 22 plot columns for 25 steps
        XCTAssertTrue(g.text.contains("cursor = step 24 · steps 0…24 of 25 in"), g.text)
    }
}
