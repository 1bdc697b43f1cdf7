// Every view rendered from TinyTrace at 100×30 and compared with its text snapshot.

import XCTest
@testable import AttnTUI

final class ViewSnapshotTests: XCTestCase {
    func app(_ screen: Screen, mode: ColorMode = .truecolor, compare: Bool = false) -> App {
        let a = App(trace: TinyTrace.source(), other: compare ? TinyTrace.source(name: "tiny-b.atrace", seed: 8, jitter: 0.05) : nil, colorMode: mode)
        a.apply(.jump(step: 12, layer: 1, head: 2))
        a.apply(.show(screen))
        return a
    }

    func render(_ a: App, _ w: Int = 100, _ h: Int = 30) -> CellGrid { a.render(width: w, height: h) }

    func testOverview() { assertSnapshot(snapshotText(render(app(.overview)), colors: true), named: "overview") }

    func testOverviewOtherMetric() {
        let a = app(.overview)
        a.apply(.cycleMetric(-1)); a.apply(.cycleMetric(-1))   // sink4 → sink1 → sparsity
        assertSnapshot(snapshotText(render(a)), named: "overview-sparsity")
    }

    func testHeatmapModes() {
        let a = app(.heatmap)
        assertSnapshot(snapshotText(render(a), colors: true), named: "heatmap-key-step")
        a.apply(.cycleHeatmapMode)
        assertSnapshot(snapshotText(render(a)), named: "heatmap-mask")
        a.apply(.cycleHeatmapMode)
        assertSnapshot(snapshotText(render(a), colors: true), named: "heatmap-prefill")
        a.apply(.toggleScale)
        assertSnapshot(snapshotText(render(a)), named: "heatmap-prefill-linear")
    }

    func testHeadTable() {
        let a = app(.heads)
        assertSnapshot(snapshotText(render(a)), named: "heads")
        for _ in 0..<7 { a.apply(.sortNext) }   // → sink4
        a.apply(.sortReverse)
        assertSnapshot(snapshotText(render(a)), named: "heads-sorted-sink4-desc")
    }

    func testTimeline() {
        let a = app(.timeline)
        assertSnapshot(snapshotText(render(a)), named: "timeline")
        a.apply(.toggleStackedKV)
        assertSnapshot(snapshotText(render(a)), named: "timeline-stacked")
    }

    func testTokens() {
        let a = app(.tokens)
        assertSnapshot(snapshotText(render(a), colors: true), named: "tokens")
        a.apply(.toggleAverageHeads)
        assertSnapshot(snapshotText(render(a)), named: "tokens-mean")
    }

    func testRunInfo() { assertSnapshot(snapshotText(render(app(.runInfo))), named: "runinfo") }

    func testHelp() {
        let a = app(.overview)
        a.apply(.toggleHelp)
        assertSnapshot(snapshotText(render(a, 120, 40)), named: "help")
    }

    func testCompare() {
        let a = app(.overview, compare: true)
        assertSnapshot(snapshotText(render(a)), named: "compare-overview")
        a.apply(.toggleDiff)
        assertSnapshot(snapshotText(render(a), colors: true), named: "compare-overview-diff")
        a.apply(.show(.compare))
        assertSnapshot(snapshotText(render(a)), named: "compare-diff-list")
        a.apply(.show(.heatmap))
        assertSnapshot(snapshotText(render(a)), named: "compare-heatmap-diff")
        a.apply(.show(.tokens))
        assertSnapshot(snapshotText(render(a)), named: "compare-tokens")
        a.apply(.show(.timeline))
        assertSnapshot(snapshotText(render(a)), named: "compare-timeline")
        a.apply(.show(.heads))
        assertSnapshot(snapshotText(render(a, 120, 30)), named: "compare-heads")
    }

    func testMonochrome() {
        let a = app(.heatmap, mode: .mono)
        let g = render(a)
        assertSnapshot(snapshotText(g), named: "heatmap-mono")
        // no cell may carry a colour that a monochrome terminal would need
        let encoded = String(decoding: AnsiEncoder(mode: .mono).encode(g, previous: nil), as: UTF8.self)
        XCTAssertFalse(encoded.contains("38;"), "mono output selects a foreground colour")
        XCTAssertFalse(encoded.contains("48;"), "mono output selects a background colour")
    }

    func testTooSmall() {
        let a = app(.heatmap)
        let g = render(a, 50, 9)
        XCTAssertTrue(g.text.contains("Terminal too small for Heatmap"), g.text)
        XCTAssertTrue(g.text.contains("need 40×10, have 50×7"), g.text)
        let tiny = render(a, 20, 5)
        XCTAssertTrue(tiny.text.contains("too small"), tiny.text)
    }

    func testEveryViewFitsAt80x24AndAt200x60() {
        for size in [(80, 24), (200, 60)] {
            for s in Screen.allCases {
                let a = app(s, compare: true)
                let g = render(a, size.0, size.1)
                XCTAssertFalse(g.text.contains("too small"), "\(s) at \(size)")
                XCTAssertTrue(g.line(0).contains(s.title), "\(s) tab not highlighted at \(size)")
            }
        }
    }
}
