// Key bindings → actions, navigation, prompts, mouse, head-table sorting and filtering, zoom/pan
// arithmetic, the jump command and the replay clock.

import XCTest
import AttnTrace
@testable import AttnTUI

final class KeyBindingTests: XCTestCase {
    func testConventionalKeys() {
        XCTAssertEqual(KeyBindings.action(for: .char("?"), in: .overview), .toggleHelp)
        XCTAssertEqual(KeyBindings.action(for: .char("q"), in: .heatmap), .backOrQuit)
        XCTAssertEqual(KeyBindings.action(for: .escape, in: .heatmap), .back)
        XCTAssertEqual(KeyBindings.action(for: .char("/"), in: .heads), .startFilter)
        XCTAssertEqual(KeyBindings.action(for: .char(":"), in: .timeline), .startCommand)
        XCTAssertEqual(KeyBindings.action(for: .char("j"), in: .heads), .move(dx: 0, dy: 1))
        XCTAssertEqual(KeyBindings.action(for: .down, in: .heads), .move(dx: 0, dy: 1))
        XCTAssertEqual(KeyBindings.action(for: .char("h"), in: .overview), .move(dx: -1, dy: 0))
        XCTAssertEqual(KeyBindings.action(for: .ctrl("d"), in: .heads), .pageDown)
        XCTAssertEqual(KeyBindings.action(for: .ctrl("u"), in: .heads), .pageUp)
        XCTAssertEqual(KeyBindings.action(for: .char("g"), in: .heads), .top)
        XCTAssertEqual(KeyBindings.action(for: .char("G"), in: .heads), .bottom)
        for s in Screen.allCases { XCTAssertEqual(KeyBindings.action(for: .char(Character("\(s.rawValue)")), in: .tokens), .show(s)) }
    }

    func testViewKeysWinOverGlobalOnes() {
        XCTAssertEqual(KeyBindings.action(for: .char("s"), in: .heatmap), .toggleScale)
        XCTAssertEqual(KeyBindings.action(for: .char("s"), in: .heads), .sortNext)
        XCTAssertNil(KeyBindings.action(for: .char("s"), in: .overview))
    }

    func testNoKeyIsBoundTwiceInTheSameScope() {
        for s in Screen.allCases {
            var seen: [Key: String] = [:]
            for b in KeyBindings.table where b.screens?.contains(s) ?? false {
                for k in b.keys { XCTAssertNil(seen[k], "\(k) bound twice in \(s)"); seen[k] = b.help }
            }
        }
        var global: [Key: String] = [:]
        for b in KeyBindings.table where b.screens == nil {
            for k in b.keys { XCTAssertNil(global[k], "\(k) bound twice globally"); global[k] = b.help }
        }
    }

    func testHelpListsEveryBinding() {
        let help = HelpOverlay.entries()
        for b in KeyBindings.table { XCTAssertTrue(help.contains { $0.1.hasPrefix(b.help) }, b.help) }
    }
}

final class AppNavigationTests: XCTestCase {
    func makeApp(compare: Bool = false) -> App {
        App(trace: TinyTrace.source(), other: compare ? TinyTrace.source(seed: 9) : nil, colorMode: .truecolor)
    }

    func testStepLayerHeadClamp() {
        let a = makeApp()
        a.apply(.stepBy(-5)); XCTAssertEqual(a.state.step, 0)
        a.apply(.lastStep); XCTAssertEqual(a.state.step, TinyTrace.decodeSteps)
        a.apply(.stepBy(3)); XCTAssertEqual(a.state.step, TinyTrace.decodeSteps)
        a.apply(.headBy(99)); XCTAssertEqual(a.state.head, TinyTrace.heads - 1)
        a.apply(.layerBy(-1)); XCTAssertEqual(a.state.layer, 0)
    }

    /// 1–5 to look at every view, then one q quits (htop, less, lazygit): number keys grow no history.
    func testNumberKeysSwitchViewsAndOneQQuits() {
        let a = makeApp()
        for k in "12345" { a.handle(.key(.char(k))) }
        XCTAssertEqual(a.state.screen, .tokens)
        XCTAssertEqual(a.state.history, [])
        XCTAssertEqual(a.handle(.key(.char("q"))), .quit)
        let b = makeApp()
        b.handle(.key(.tab)); b.handle(.key(.tab))
        XCTAssertEqual(b.handle(.key(.char("q"))), .quit)
    }

    /// q and Esc close an overlay first, then leave a drilled-in view (Enter on a head opens its
    /// heatmap); at a top-level view q quits and Esc stays.
    func testQAndEscGoBackOneLevel() {
        let a = makeApp()
        a.handle(.key(.char("3"))); a.handle(.key(.enter))
        XCTAssertEqual(a.state.screen, .heatmap)
        a.handle(.key(.char("?")))
        XCTAssertEqual(a.handle(.key(.char("q"))), .redraw); XCTAssertEqual(a.state.overlay, .none)
        XCTAssertEqual(a.state.screen, .heatmap)
        XCTAssertTrue(a.render(width: 100, height: 30).text.contains("q back"))
        XCTAssertEqual(a.handle(.key(.char("q"))), .redraw); XCTAssertEqual(a.state.screen, .heads)
        XCTAssertTrue(a.render(width: 100, height: 30).text.contains("q quit"))
        a.handle(.key(.enter)); a.handle(.key(.escape))
        XCTAssertEqual(a.state.screen, .heads)
        XCTAssertEqual(a.handle(.key(.escape)), .redraw, "Esc at a top-level view does not quit")
        XCTAssertEqual(a.state.screen, .heads)
        XCTAssertEqual(a.state.message, "Top-level view: q quits")
        // a number key from a drilled-in view is a switch: nothing to go back to
        a.handle(.key(.enter)); a.handle(.key(.char("4")))
        XCTAssertEqual(a.handle(.key(.char("q"))), .quit)
    }

    func testOverviewArrowsSelectHeadEverywhere() {
        let a = makeApp()
        a.handle(.key(.char("l"))); a.handle(.key(.char("j")))
        XCTAssertEqual([a.state.layer, a.state.head], [1, 1])
        a.handle(.key(.char("3")))
        XCTAssertTrue(a.render(width: 100, height: 30).text.contains("L1 H1"))
    }

    func testCommandPrompt() {
        let a = makeApp()
        a.handle(.key(.char(":")))
        for c in "L2H3 s 7" { a.handle(.key(.char(c))) }
        a.handle(.key(.enter))
        XCTAssertEqual([a.state.step, a.state.layer, a.state.head], [7, 2, 3])
        a.handle(.key(.char(":"))); for c in "bogus" { a.handle(.key(.char(c))) }; a.handle(.key(.enter))
        XCTAssertNotNil(a.state.message)
    }

    func testFilterPromptFiltersTableAndEscClears() {
        let a = makeApp()
        a.handle(.key(.char("/")))
        XCTAssertEqual(a.state.screen, .heads)
        for c in "h0" { a.handle(.key(.char(c))) }
        XCTAssertEqual(a.tableRows().count, TinyTrace.layers)
        a.handle(.key(.backspace)); a.handle(.key(.backspace))
        for c in "sink4>0.5" { a.handle(.key(.char(c))) }
        a.handle(.key(.enter))
        XCTAssertTrue(a.tableRows().allSatisfy { $0.metrics.sinkMass4 > 0.5 })
        XCTAssertEqual(a.state.table.filter, "sink4>0.5")
        a.handle(.key(.char("/"))); a.handle(.key(.escape))
        XCTAssertEqual(a.state.table.filter, "")
    }

    func testTableMovesFollowSortedOrder() {
        let a = makeApp()
        a.apply(.show(.heads))
        for _ in 0..<8 { a.apply(.sortNext) }   // L, H, class, visKV, sel, sparse, selSp, sink1, sink4
        XCTAssertEqual(a.state.table.sortColumn, .metric(.sinkMass4))
        a.apply(.sortReverse)
        a.apply(.top)
        let rows = a.tableRows()
        XCTAssertEqual([a.state.layer, a.state.head], [rows[0].layer, rows[0].head])
        a.handle(.key(.char("j")))
        XCTAssertEqual([a.state.layer, a.state.head], [rows[1].layer, rows[1].head])
        a.apply(.bottom)
        XCTAssertEqual([a.state.layer, a.state.head], [rows.last!.layer, rows.last!.head])
    }

    func testMouseClickOnOverviewCellAndTab() {
        let a = makeApp()
        let g = a.render(width: 100, height: 30)
        // find the cell of L2 H3 through the registered regions
        guard let hit = a.feedback.hits.first(where: { $0.action == .select(layer: 2, head: 3) }) else { return XCTFail("no region") }
        a.handle(.mouse(MouseEvent(x: hit.rect.x, y: hit.rect.y, kind: .press)))
        XCTAssertEqual([a.state.layer, a.state.head], [2, 3])
        let tabX = g.line(0).distance(of: "4 Timeline")
        a.render(width: 100, height: 30)
        a.handle(.mouse(MouseEvent(x: tabX, y: 0, kind: .press)))
        XCTAssertEqual(a.state.screen, .timeline)
        a.render(width: 100, height: 30)
        a.handle(.mouse(MouseEvent(x: 50, y: 10, kind: .wheelDown)))
        XCTAssertEqual(a.state.step, 1)
    }

    func testReplayAdvancesAndStopsAtTheEnd() {
        let a = makeApp()
        a.apply(.playPause, now: 0)
        XCTAssertTrue(a.state.replay.playing)
        a.handle(.tick, now: 1.0)   // 5 steps/s by default
        XCTAssertEqual(a.state.step, 5)
        a.handle(.tick, now: 100)
        XCTAssertEqual(a.state.step, TinyTrace.decodeSteps)
        XCTAssertFalse(a.state.replay.playing)
    }

    func testCompareOnlyViewsAndDiffList() {
        let single = makeApp()
        single.apply(.show(.compare))
        XCTAssertEqual(single.state.screen, .overview)
        XCTAssertNotNil(single.state.message)
        let a = App(trace: TinyTrace.source(), other: TinyTrace.source(jitter: 0.1))
        a.apply(.show(.compare))
        let rows = DiffRow.rows(a: a.trace, b: a.other!, step: 0)
        XCTAssertEqual(rows.map(\.excess), rows.map(\.excess).sorted(by: >))
        XCTAssertTrue(rows.allSatisfy { $0.excess > 1 && !$0.differences.isEmpty }, "only heads beyond tolerance")
        // The same trace twice: nothing beyond tolerance.
        let same = App(trace: TinyTrace.source(), other: TinyTrace.source())
        XCTAssertEqual(DiffRow.rows(a: same.trace, b: same.other!, step: 0), [])
    }

    func testHeatmapZoomPanKeepsInsideData() {
        let a = makeApp()
        a.apply(.show(.heatmap)); a.apply(.cycleHeatmapMode); a.apply(.cycleHeatmapMode)   // prefill
        _ = a.render(width: 100, height: 30)
        a.apply(.zoomIn); a.apply(.zoomIn)
        for _ in 0..<50 { a.apply(.move(dx: 1, dy: 1)) }
        let x = a.state.heatmap.x[.prefill]!, y = a.state.heatmap.y[.prefill]!
        XCTAssertFalse(x.fitted)
        let c = a.feedback.heatmapCells, d = a.feedback.heatmapData
        XCTAssertLessThanOrEqual(x.origin + Double(c.cols) * x.perCell, Double(d.cols) + 1e-9)
        XCTAssertLessThanOrEqual(y.origin + Double(c.rows) * y.perCell, Double(d.rows) + 1e-9)
        a.apply(.fit)
        XCTAssertTrue(a.state.heatmap.x[.prefill]!.fitted)
    }
}

extension String {
    func distance(of s: String) -> Int {
        guard let r = range(of: s) else { return -1 }
        return distance(from: startIndex, to: r.lowerBound)
    }
}

final class PureLogicTests: XCTestCase {
    func row(_ l: Int, _ h: Int, sink4: Float, recall: Float, cls: String) -> HeadRow {
        HeadRow(metrics: HeadMetrics(layer: l, head: h, visibleKV: 10, selected: 5, sinkMass1: 0, sinkMass4: sink4, entropy: 0.5,
                                     recall: recall, outputError: 0, overlapKept: 1, jaccard: 1, topSinks: []),
                kvBytes: 100 * l, headClass: cls)
    }

    func testSortIsStableAndNaNLast() {
        let rows = [row(0, 0, sink4: 0.5, recall: .nan, cls: "sink"), row(0, 1, sink4: 0.9, recall: 0.2, cls: "local"),
                    row(1, 0, sink4: 0.5, recall: 0.9, cls: "diffuse")]
        var q = HeadTableQuery()
        q.sortColumn = .metric(.sinkMass4); q.descending = true
        XCTAssertEqual(q.apply(rows).map { [$0.layer, $0.head] }, [[0, 1], [0, 0], [1, 0]])
        q.sortColumn = .metric(.recall); q.descending = false
        XCTAssertEqual(q.apply(rows).map { [$0.layer, $0.head] }, [[0, 1], [1, 0], [0, 0]])
        q.descending = true
        XCTAssertEqual(q.apply(rows).map { [$0.layer, $0.head] }, [[1, 0], [0, 1], [0, 0]])
        q.sortColumn = .headClass; q.descending = false
        XCTAssertEqual(q.apply(rows).compactMap(\.headClass), ["diffuse", "local", "sink"])
    }

    func testFilterLanguage() {
        let rows = [row(0, 0, sink4: 0.5, recall: 1, cls: "sink"), row(0, 1, sink4: 0.9, recall: 0.2, cls: "local"),
                    row(1, 0, sink4: 0.7, recall: 0.9, cls: "retrieval")]
        func f(_ s: String) -> [[Int]] { var q = HeadTableQuery(); q.filter = s; return q.apply(rows).map { [$0.layer, $0.head] } }
        XCTAssertEqual(f("sink4>0.6"), [[0, 1], [1, 0]])
        XCTAssertEqual(f("sink4>=0.5 recall<0.95"), [[0, 1], [1, 0]])
        XCTAssertEqual(f("L0"), [[0, 0], [0, 1]])
        XCTAssertEqual(f("l0 h1"), [[0, 1]])
        XCTAssertEqual(f("retr"), [[1, 0]])
        XCTAssertEqual(f("class=sink"), [[0, 0]])
        XCTAssertEqual(f("kv>50"), [[1, 0]])
        XCTAssertEqual(f("nothing"), [])
    }

    func testAxisViewSpansCoverDataOnceWhenFitted() {
        var a = AxisView()
        for (len, cells) in [(12, 93), (1000, 200), (200, 200), (1, 5)] {
            var covered = Set<Int>()
            for i in 0..<cells { if let s = a.span(cell: i, length: len, cells: cells) { covered.formUnion(s) } }
            XCTAssertEqual(covered, Set(0..<len), "len \(len) cells \(cells)")
        }
        a.zoom(by: 0.5, length: 1000, cells: 200)   // 5 → 2.5 per cell, centred on 500
        XCTAssertEqual(a.perCell, 2.5)
        XCTAssertEqual(a.origin, 250)
        a.pan(cells: 1000, length: 1000, cells: 200)
        XCTAssertEqual(a.origin, 500, "pan stops at the end of the data")
        a.pan(cells: -10_000, length: 1000, cells: 200)
        XCTAssertEqual(a.origin, 0)
        a.zoom(by: 1e-6, length: 1000, cells: 200)
        XCTAssertEqual(a.perCell, AxisView.minPerCell)
        a.zoom(by: 1e6, length: 1000, cells: 200)
        XCTAssertEqual(a.perCell, 5, "zooming out stops at fit")
    }

    func testJumpCommand() {
        XCTAssertEqual(JumpCommand.parse("120"), JumpCommand(step: 120))
        XCTAssertEqual(JumpCommand.parse("s 12"), JumpCommand(step: 12))
        XCTAssertEqual(JumpCommand.parse("L3H5"), JumpCommand(layer: 3, head: 5))
        XCTAssertEqual(JumpCommand.parse("l 3 h 5 step 9"), JumpCommand(step: 9, layer: 3, head: 5))
        XCTAssertNil(JumpCommand.parse(""))
        XCTAssertNil(JumpCommand.parse("x 3"))
        XCTAssertNil(JumpCommand.parse("l"))
        XCTAssertNil(JumpCommand.parse("3a"))
    }

    func testReplayClockCarriesFractions() {
        var c = ReplayClock()
        c.speedIndex = 1   // 1 step/s
        XCTAssertEqual(c.advance(now: 5), 0, "paused")
        c.play(now: 0)
        XCTAssertEqual(c.advance(now: 0.6), 0)
        XCTAssertEqual(c.advance(now: 1.2), 1)
        XCTAssertEqual(c.advance(now: 2.0), 1)
        c.faster(); c.faster()   // 5 steps/s
        XCTAssertEqual(c.advance(now: 3.0), 5)
        for _ in 0..<20 { c.faster() }
        XCTAssertEqual(c.stepsPerSecond, ReplayClock.speeds.last)
    }

    func testValueScale() {
        let lin = ValueScale.forMax(0.5, minPositive: 0.001, log: false)
        XCTAssertEqual(lin.t(0.25), 0.5)
        XCTAssertEqual(lin.t(0), 0)
        let log = ValueScale.forMax(1, minPositive: 1e-8, log: true)
        XCTAssertEqual(log.lo, 1e-4, "log scale spans four decades at most")
        XCTAssertEqual(log.t(1e-2), 0.5, accuracy: 1e-9)
        XCTAssertEqual(log.t(1e-9), 0.02, "below the floor stays visible")
    }
}


final class FrameBudgetTests: XCTestCase {
    /// With no time to read at all, every frame still reads one more record, and repeated frames
    /// end with the same picture as an unbudgeted render.
    func testProgressiveFramesConvergeToTheFullFrame() {
        for screen in [Screen.timeline, .heatmap, .overview, .tokens] {
            let full = App(trace: TinyTrace.source())
            full.apply(.jump(step: 20, layer: 1, head: 1)); full.apply(.show(screen))
            let expected = full.render(width: 100, height: 30)

            let a = App(trace: TinyTrace.source())
            a.apply(.jump(step: 20, layer: 1, head: 1)); a.apply(.show(screen))
            a.frameBudget = 0
            var frames = 0
            var g = a.render(width: 100, height: 30)
            while a.lastFrameIncomplete && frames < 10_000 { g = a.render(width: 100, height: 30); frames += 1 }
            XCTAssertFalse(a.lastFrameIncomplete, "\(screen) never completed")
            XCTAssertGreaterThan(frames, 0, "\(screen): a zero budget should need several frames")
            XCTAssertEqual(g.text, expected.text, "\(screen)")
            XCTAssertEqual(a.handle(.tick), [], "no redraw is asked for once complete")
        }
    }
}

final class HelpScrollTests: XCTestCase {
    /// At 80×24 the help does not fit: scrolling with j reaches the last binding.
    func testHelpScrollsToTheLastKeyOnASmallTerminal() {
        let a = App(trace: TinyTrace.source())
        a.handle(.key(.char("?")))
        let last = HelpOverlay.entries().last!.1.prefix(30)
        XCTAssertFalse(a.render(width: 80, height: 24).text.contains(last))
        for _ in 0..<60 { a.handle(.key(.char("j"))) }
        let text = a.render(width: 80, height: 24).text
        XCTAssertTrue(text.contains(last), text)
        XCTAssertEqual([a.state.layer, a.state.head], [0, 0], "j scrolls the help, not the grid")
        a.handle(.key(.escape))
        XCTAssertEqual(a.state.overlay, .none)
    }
}

final class SmallCacheTests: XCTestCase {
    func testEvictsOldestFirstAndStaysBounded() {
        var c = SmallCache<Int, String>(capacity: 3)
        for i in 0..<3 { c[i] = "\(i)" }
        c[1] = "one"                 // an update does not change the order
        c[3] = "3"                   // evicts 0
        XCTAssertNil(c[0]); XCTAssertEqual(c[1], "one"); XCTAssertEqual(c[3], "3")
        for i in 4..<100 { c[i] = "\(i)" }
        XCTAssertEqual(c.count, 3)
        XCTAssertEqual([c[97], c[98], c[99]], ["97", "98", "99"])
    }
}
