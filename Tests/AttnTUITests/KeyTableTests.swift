// Every key of the key table, pressed in a view where its effect shows, against an expectation
// written here independently of the table: swapping two keys of KeyBindings (say `<` and `>`), or
// pointing a key at another action, fails the key's own check; a key added to the table without an
// expectation here fails testEveryBoundKeyHasAnExpectation.

import XCTest
import AttnAnalysis
import AttnTrace
import Foundation
@testable import AttnTUI

final class KeyTableTests: XCTestCase {
    /// One key pressed in `screen` (compare mode when `compare`), after `prepare`; `expect` says
    /// what must have changed (nil: it did, else what went wrong).
    struct Press {
        var key: Key
        var screen: Screen
        var compare = false
        var prepare: (App) -> Void = { _ in }
        var expect: (_ before: AppState, _ app: App, _ reaction: Reaction) -> String?
    }

    static let start = (step: 10, layer: 1, head: 1)

    /// An app in `screen` with the cursor at `start`, rendered once (views report their sizes).
    func app(_ screen: Screen, compare: Bool) -> App {
        let a = App(trace: TinyTrace.source(), other: compare ? TinyTrace.source(seed: 9) : nil, colorMode: .truecolor)
        a.apply(.jump(step: Self.start.step, layer: Self.start.layer, head: Self.start.head))
        if screen != .overview { a.apply(.show(screen)) }
        _ = a.render(width: 120, height: 40)
        return a
    }

    static func cursor(_ s: AppState) -> [Int] { [s.step, s.layer, s.head] }

    /// The cursor moved to step/layer/head `to`.
    static func moves(_ to: (Int, Int, Int)) -> (AppState, App, Reaction) -> String? {
        { _, a, _ in cursor(a.state) == [to.0, to.1, to.2] ? nil : "cursor \(cursor(a.state)), expected \([to.0, to.1, to.2])" }
    }

    static func check(_ ok: @escaping (AppState, AppState) -> Bool, _ what: String) -> (AppState, App, Reaction) -> String? {
        { before, a, _ in ok(before, a.state) ? nil : what }
    }

    /// The row index of the cursor's head in the head table.
    static func tableIndex(_ a: App) -> Int? {
        a.tableRows().firstIndex { $0.layer == a.state.layer && $0.head == a.state.head }
    }

    static let (s, l, h) = (start.step, start.layer, start.head)

    static var presses: [Press] {
        var p: [Press] = []
        for screen in Screen.allCases {
            p.append(Press(key: .char(Character("\(screen.rawValue)")), screen: screen == .tokens ? .heads : .tokens, compare: true,
                           expect: check({ $1.screen == screen }, "shows \(screen)")))
        }
        p += [
            Press(key: .tab, screen: .overview, expect: check({ $1.screen == .heatmap }, "tab: the next view")),
            Press(key: .backTab, screen: .heatmap, expect: check({ $1.screen == .overview }, "shift-tab: the previous view")),
            Press(key: .char("?"), screen: .overview, expect: check({ $1.overlay == .help }, "help opens")),
            // q quits from a top-level view (a number key adds no history); inside a drill-in
            // (Enter on a head opens its heatmap) q and Esc go back one level; Esc never quits.
            Press(key: .char("q"), screen: .heads, expect: { _, _, r in r.contains(.quit) ? nil : "q quits from a top-level view" }),
            Press(key: .escape, screen: .heads, expect: { _, a, r in !r.contains(.quit) && a.state.screen == .heads ? nil : "Esc neither quits nor moves at the top level" }),
            Press(key: .char("q"), screen: .heads, prepare: { $0.drill(into: .heatmap) },
                  expect: { _, a, r in !r.contains(.quit) && a.state.screen == .heads ? nil : "q goes back from a drill-in" }),
            Press(key: .escape, screen: .heads, prepare: { $0.drill(into: .heatmap) },
                  expect: { _, a, r in !r.contains(.quit) && a.state.screen == .heads ? nil : "Esc goes back from a drill-in" }),
            Press(key: .char("Q"), screen: .heads, expect: { _, _, r in r.contains(.quit) ? nil : "Q quits at once" }),
            Press(key: .char(":"), screen: .overview, expect: check({ $1.overlay == .prompt(.command, "") }, "the jump prompt opens")),
            Press(key: .char("/"), screen: .overview, expect: check({ $1.overlay == .prompt(.filter, "") && $1.screen == .heads }, "the filter prompt opens on the head table")),
            Press(key: .char("]"), screen: .overview, expect: moves((s + 1, l, h))),
            Press(key: .char("n"), screen: .overview, expect: moves((s + 1, l, h))),
            Press(key: .char("["), screen: .overview, expect: moves((s - 1, l, h))),
            Press(key: .char("p"), screen: .overview, expect: moves((s - 1, l, h))),
            Press(key: .char("}"), screen: .overview, expect: moves((s + 10, l, h))),
            Press(key: .char("{"), screen: .overview, expect: moves((s - 10, l, h))),
            Press(key: .home, screen: .overview, expect: moves((0, l, h))),
            Press(key: .end, screen: .overview, expect: moves((TinyTrace.decodeSteps, l, h))),
            Press(key: .char(">"), screen: .overview, expect: moves((s, l, h + 1))),
            Press(key: .char("<"), screen: .overview, expect: moves((s, l, h - 1))),
            Press(key: .char(")"), screen: .overview, expect: moves((s, l + 1, h))),
            Press(key: .char("("), screen: .overview, expect: moves((s, l - 1, h))),
            Press(key: .char(" "), screen: .overview, expect: check({ !$0.replay.playing && $1.replay.playing }, "Space starts the replay")),
            Press(key: .char("+"), screen: .overview, expect: check({ $1.replay.speedIndex == $0.replay.speedIndex + 1 }, "+ replays faster")),
            Press(key: .char("="), screen: .overview, expect: check({ $1.replay.speedIndex == $0.replay.speedIndex + 1 }, "= replays faster")),
            Press(key: .char("-"), screen: .overview, expect: check({ $1.replay.speedIndex == $0.replay.speedIndex - 1 }, "- replays slower")),
            Press(key: .char("c"), screen: .overview, expect: check({ $1.paletteIndex == $0.paletteIndex + 1 }, "c: the next palette")),
            Press(key: .char("d"), screen: .overview, compare: true, expect: check({ $1.showDifference != $0.showDifference }, "d toggles B − A")),
            // movement: in the overview, rows are layers and columns heads
            Press(key: .up, screen: .overview, expect: moves((s, l - 1, h))),
            Press(key: .char("k"), screen: .overview, expect: moves((s, l - 1, h))),
            Press(key: .down, screen: .overview, expect: moves((s, l + 1, h))),
            Press(key: .char("j"), screen: .overview, expect: moves((s, l + 1, h))),
            Press(key: .left, screen: .overview, expect: moves((s, l, h - 1))),
            Press(key: .char("h"), screen: .overview, expect: moves((s, l, h - 1))),
            Press(key: .right, screen: .overview, expect: moves((s, l, h + 1))),
            Press(key: .char("l"), screen: .overview, expect: moves((s, l, h + 1))),
            // half pages: in the timeline ten steps
            Press(key: .ctrl("d"), screen: .timeline, expect: moves((s + 10, l, h))),
            Press(key: .pageDown, screen: .timeline, expect: moves((s + 10, l, h))),
            Press(key: .ctrl("u"), screen: .timeline, expect: moves((s - 10, l, h))),
            Press(key: .pageUp, screen: .timeline, expect: moves((s - 10, l, h))),
            Press(key: .char("g"), screen: .heads, expect: { _, a, _ in tableIndex(a) == 0 ? nil : "g: the first row (row \(String(describing: tableIndex(a))))" }),
            Press(key: .char("G"), screen: .heads, expect: { _, a, _ in tableIndex(a) == a.tableRows().count - 1 ? nil : "G: the last row" }),
            Press(key: .enter, screen: .heads, expect: check({ $1.screen == .heatmap }, "Enter opens the heatmap")),
            // per view
            Press(key: .char("v"), screen: .overview, expect: check({ $1.metric.rawValue == $0.metric.rawValue + 1 }, "v: the next metric")),
            Press(key: .char("V"), screen: .overview, prepare: { $0.apply(.cycleMetric(1)) },
                  expect: check({ $1.metric.rawValue == $0.metric.rawValue - 1 }, "V: the previous metric")),
            // bookmarks: m opens the prompt that names the mark, ' the list
            Press(key: .char("m"), screen: .heads, prepare: { $0.bookmarks = KeyTableTests.emptyBookmarks() },
                  expect: check({ $1.overlay == .prompt(.bookmark, "") }, "m: the bookmark prompt opens")),
            Press(key: .char("'"), screen: .heatmap, expect: check({ $1.overlay == .bookmarks(0) }, "': the bookmark list opens")),
            // Tokens: / searches the text, n / N go to the next / previous match
            Press(key: .char("/"), screen: .tokens, expect: check({ $1.overlay == .prompt(.search, "") && $1.screen == .tokens }, "/ in Tokens: the search prompt")),
            Press(key: .char("n"), screen: .tokens, prepare: { $0.state.search = TokenSearch(query: " then", hit: 21..<22) },
                  expect: check({ $1.step == 14 && $1.search.hit == 25..<26 }, "n: the next \" then\" (emitted by step 13, read at step 14)")),
            Press(key: .char("N"), screen: .tokens, prepare: { $0.state.search = TokenSearch(query: " then", hit: 21..<22) },
                  expect: check({ $1.step == 6 && $1.search.hit == 17..<18 }, "N: the previous \" then\" (emitted by step 5, read at step 6)")),
            // , and . move the key of the α_k curve (from the strongest key when none is chosen)
            Press(key: .char("."), screen: .tokens, prepare: { $0.state.keyPosition = 5 }, expect: check({ $1.keyPosition == 6 }, ". the next key")),
            Press(key: .char(","), screen: .tokens, prepare: { $0.state.keyPosition = 5 }, expect: check({ $1.keyPosition == 4 }, ", the previous key")),
            Press(key: .char("."), screen: .heatmap, prepare: { $0.state.keyPosition = 5 }, expect: check({ $1.keyPosition == 6 }, ". in the heatmap")),
            Press(key: .char(","), screen: .heatmap, expect: check({ $0.keyPosition == nil && $1.keyPosition != nil }, ", in the heatmap picks a key next to the strongest")),
            Press(key: .char("v"), screen: .heatmap, expect: check({ $1.heatmap.mode.rawValue == ($0.heatmap.mode.rawValue + 1) % HeatmapMode.allCases.count }, "v: the next heatmap mode")),
            Press(key: .char("i"), screen: .heatmap, expect: check({ perCell($1) < perCell($0) }, "i zooms in (fewer keys per cell)")),
            Press(key: .char("o"), screen: .heatmap, prepare: { $0.apply(.zoomIn); _ = $0.render(width: 120, height: 40) },
                  expect: check({ perCell($1) > perCell($0) }, "o zooms out (more keys per cell)")),
            Press(key: .char("f"), screen: .heatmap, prepare: { $0.apply(.zoomIn); _ = $0.render(width: 120, height: 40) },
                  expect: check({ !xAxis($0).fitted && xAxis($1).fitted }, "f fits the heatmap")),
            Press(key: .char("s"), screen: .heatmap, expect: check({ $1.heatmap.scale != $0.heatmap.scale }, "s: log / linear")),
            Press(key: .char("s"), screen: .heads, expect: check({ $1.table.sortColumn.rawValue == $0.table.sortColumn.rawValue + 1 }, "s: sort by the next column")),
            Press(key: .char("S"), screen: .heads, prepare: { $0.apply(.sortNext) },
                  expect: check({ $1.table.sortColumn.rawValue == $0.table.sortColumn.rawValue - 1 }, "S: sort by the previous column")),
            Press(key: .char("r"), screen: .heads, expect: check({ $1.table.descending != $0.table.descending }, "r reverses the order")),
            Press(key: .char("s"), screen: .compare, compare: true, expect: check({ $1.table.sortColumn.rawValue == $0.table.sortColumn.rawValue + 1 }, "s in the diff list")),
            Press(key: .char("S"), screen: .compare, compare: true, prepare: { $0.apply(.sortNext) },
                  expect: check({ $1.table.sortColumn.rawValue == $0.table.sortColumn.rawValue - 1 }, "S in the diff list")),
            Press(key: .char("r"), screen: .compare, compare: true, expect: check({ $1.table.descending != $0.table.descending }, "r in the diff list")),
            Press(key: .char("b"), screen: .timeline, expect: check({ $1.kvStacked != $0.kvStacked }, "b: KV bytes stacked per layer")),
            Press(key: .char("s"), screen: .timeline, expect: check({ $1.timelineLog != $0.timelineLog }, "s: log scale")),
            Press(key: .char("x"), screen: .timeline, expect: check({ $1.timelineExcludePrefill != $0.timelineExcludePrefill }, "x: leave out the prefill")),
            Press(key: .char("a"), screen: .tokens, expect: check({ $1.averageHeads != $0.averageHeads }, "a: average over heads")),
        ]
        return p
    }

    /// An empty bookmark file in the temporary directory, for the tiny trace.
    static func emptyBookmarks() -> BookmarkFile {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-keys-\(getpid()).atrace").path
        return BookmarkFile(path: BookmarkFile.sidecarPath(of: path), trace: TraceIdentity(TinyTrace.header()), bookmarks: [])
    }

    static func xAxis(_ s: AppState) -> AxisView { s.heatmap.x[s.heatmap.mode] ?? AxisView() }
    static func perCell(_ s: AppState) -> Double { xAxis(s).perCell }

    func testEveryKeyDoesWhatItsExpectationSays() {
        for press in Self.presses {
            let a = app(press.screen, compare: press.compare)
            press.prepare(a)
            _ = a.render(width: 120, height: 40)
            let before = a.state
            let reaction = a.handle(.key(press.key))
            if let problem = press.expect(before, a, reaction) {
                XCTFail("key \(press.key) in \(press.screen): \(problem)")
            }
        }
    }

    /// Every key of the table, in each view it is bound in, has an expectation above.
    func testEveryBoundKeyHasAnExpectation() {
        let pressed = Self.presses
        for binding in KeyBindings.table {
            for key in binding.keys {
                let covered = pressed.contains { $0.key == key && (binding.screens?.contains($0.screen) ?? true) }
                XCTAssertTrue(covered, "no expectation for \(key) (\(binding.help))")
                for screen in binding.screens ?? [] {
                    XCTAssertTrue(pressed.contains { $0.key == key && $0.screen == screen }, "no expectation for \(key) in \(screen) (\(binding.help))")
                }
            }
        }
    }
}
