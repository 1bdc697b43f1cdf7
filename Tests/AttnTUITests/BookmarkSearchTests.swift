// Bookmarks (m names the cursor's place with a note, kept in the trace's sidecar file; ' lists and
// jumps; a sidecar of another trace is refused) and the Tokens view's text search (/, n, N).

import AttnAnalysis
import AttnTrace
import Foundation
import XCTest
@testable import AttnTUI

final class BookmarkSearchTests: XCTestCase {
    func tracePath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-marks-\(getpid())-\(name).atrace").path
    }

    func type(_ app: App, _ text: String) {
        for ch in text { app.handle(.key(.char(ch))) }
        app.handle(.key(.enter))
    }

    func testMarkSavesTheSidecarAndTheListJumpsBack() throws {
        let path = tracePath("a")
        let sidecar = BookmarkFile.sidecarPath(of: path)
        defer { try? FileManager.default.removeItem(atPath: sidecar) }
        let app = App(trace: TinyTrace.source())
        app.bookmarks = try BookmarkFile.load(forTrace: path, header: TinyTrace.header())
        app.apply(.jump(step: 10, layer: 1, head: 2))
        app.handle(.key(.char("m")))
        type(app, "sink look at the stripe")
        app.apply(.jump(step: 3, layer: 0, head: 0))
        app.handle(.key(.char("m")))
        app.handle(.key(.enter))   // no name: the next free one

        let reloaded = try BookmarkFile.load(forTrace: path, header: TinyTrace.header())
        XCTAssertEqual(reloaded.bookmarks, [Bookmark(name: "sink", step: 10, layer: 1, head: 2, note: "look at the stripe"),
                                            Bookmark(name: "m2", step: 3, layer: 0, head: 0)])
        let json = try String(contentsOfFile: sidecar, encoding: .utf8)
        XCTAssertTrue(json.contains(TraceIdentity(TinyTrace.header()).hash), "the sidecar names its trace")

        app.handle(.key(.char("'")))
        let screen = app.render(width: 120, height: 30).text
        XCTAssertTrue(screen.contains("sink") && screen.contains("L1H2@10") && screen.contains("look at the stripe"), screen)
        XCTAssertTrue(screen.contains("m2") && screen.contains("L0H0@3"), screen)
        app.handle(.key(.char("j"))); app.handle(.key(.char("k")))   // down and back up to "sink"
        app.handle(.key(.enter))
        XCTAssertEqual([app.state.step, app.state.layer, app.state.head], [10, 1, 2])
        XCTAssertEqual(app.state.overlay, .none)
        XCTAssertEqual(app.state.message, "sink: L1H2@10 · look at the stripe")
    }

    func testABookmarkFileOfAnotherTraceIsRefused() throws {
        let path = tracePath("b")
        let sidecar = BookmarkFile.sidecarPath(of: path)
        defer { try? FileManager.default.removeItem(atPath: sidecar) }
        var other = BookmarkFile(path: sidecar, trace: TraceIdentity(TinyTrace.header(policy: "h2o")), bookmarks: [])
        other.set(Bookmark(name: "x", step: 1, layer: 0, head: 0))
        try other.save()
        XCTAssertThrowsError(try BookmarkFile.load(forTrace: path, header: TinyTrace.header())) { e in
            XCTAssertTrue("\(e)".contains("bookmarks of another trace (model tiny, policy h2o, created 1970-01-01 00:00:00 UTC), not of \(path)"), "\(e)")
        }
        try Data("{\"bookmarks\": []}".utf8).write(to: URL(fileURLWithPath: sidecar))
        XCTAssertThrowsError(try BookmarkFile.load(forTrace: path, header: TinyTrace.header())) { e in
            XCTAssertTrue("\(e)".contains("not an attnscope bookmark file"), "\(e)")
        }
    }

    /// A sidecar that cannot be written keeps the mark for the session and says so.
    func testUnwritableSidecarKeepsTheMarkForTheSession() {
        let app = App(trace: TinyTrace.source())
        app.bookmarks = BookmarkFile(path: "/proc/attnscope-no/such.marks", trace: TraceIdentity(TinyTrace.header()), bookmarks: [])
        app.handle(.key(.char("m")))
        type(app, "here")
        XCTAssertEqual(app.bookmarks?.bookmarks.map(\.name), ["here"])
        XCTAssertTrue(app.state.message?.hasPrefix("Marked here in memory only, until the viewer quits: /proc/attnscope-no/such.marks: cannot write") ?? false,
                      app.state.message ?? "no message")
    }

    /// The text is the prompt's tokens then each step's emitted token: " then" is emitted by steps
    /// 1, 5, 9 … (positions 13, 17, 21 …) and read as the query one step later.
    func testSearchJumpsToTheStepOfEachMatchAndWraps() {
        let app = App(trace: TinyTrace.source())
        app.apply(.show(.tokens))
        app.handle(.key(.char("/")))
        type(app, " THEN")   // case does not matter
        XCTAssertEqual(app.state.step, 2)
        XCTAssertEqual(app.state.search.hit, 13..<14)
        XCTAssertEqual(app.state.message, "\" THEN\": match 1 of 6 at token 13")
        app.handle(.key(.char("n")))
        XCTAssertEqual(app.state.step, 6)
        app.handle(.key(.char("N"))); app.handle(.key(.char("N")))
        XCTAssertEqual(app.state.step, 22, "N before the first match wraps to the last (emitted by step 21, read at step 22)")
        XCTAssertEqual(app.state.search.hit, 33..<34)
        XCTAssertTrue(app.state.message?.hasSuffix("(wrapped to the end)") ?? false)

        // across token boundaries: "cat sat" spans two prompt tokens; the match is shown reversed
        app.handle(.key(.char("/")))
        for _ in 0..<5 { app.handle(.key(.backspace)) }
        type(app, "cat sat")
        XCTAssertEqual(app.state.search.hit, 2..<4)
        XCTAssertEqual(app.state.step, 0)
        let grid = app.render(width: 100, height: 30)
        let reversed = (0..<grid.height).flatMap { y in (0..<grid.width).filter { grid[$0, y].style.attrs.contains(.reverse) }.map { x in grid[x, y].glyph } }
        XCTAssertEqual(String(String.UnicodeScalarView(reversed)), " cat sat")

        app.handle(.key(.char("/")))
        for _ in 0..<7 { app.handle(.key(.backspace)) }
        type(app, "zebra")
        XCTAssertEqual(app.state.message, "Not found: \"zebra\"")
        XCTAssertNil(app.state.search.hit)
    }
}
