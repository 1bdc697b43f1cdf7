// Drives the real binary in tmux: opens a sample trace, goes through every view, the help, the
// jump prompt, the filter, replay, a resize to 80×24 and to a too-small size, then quits with one q;
// and the flags --step, --color and --no-mouse. Uses the attnscope of this test build
// (AttnscopeBinary). tmux is installed by scripts/setup.sh: without it these tests fail.

import AttnTestSupport
import Foundation
import XCTest

final class EndToEndTmuxTests: XCTestCase {
    /// The tmux server of these tests (AttnTestSupport.TmuxSession: spawning, pane capture, waiting).
    let t: TmuxSession = {
        let s = TmuxSession(socket: "attnscope-e2e-\(getpid())", name: "view")
        s.patience = EndToEndTmuxTests.patience
        return s
    }()
    var session: String { t.name }
    /// The limit only ends a broken viewer's test: a shared, busy machine can be slow, which is no failure.
    static let patience: TimeInterval = 30

    @discardableResult
    func run(_ exe: String, _ args: [String]) throws -> (status: Int32, out: String) { try TmuxSession.run(exe, args) }
    func tmuxPath() -> String? { TmuxSession.path }
    func tmux(_ args: String...) throws -> (status: Int32, out: String) { try t.tmux(args) }
    func tmux(_ args: [String]) throws { try t.tmux(args) }
    func capture() throws -> String { try t.capture() }
    func keys(_ k: String...) throws { try t.tmux(["send-keys", "-t", session] + k) }
    func eventually(_ condition: () throws -> Bool) rethrows -> Bool { try t.eventually(condition) }
    @discardableResult
    func waitFor(_ text: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try t.waitFor(text, what, file: file, line: line)
    }

    func testEveryViewResizeAndQuit() throws {
        guard tmuxPath() != nil else { return XCTFail("tmux is not installed (scripts/setup.sh installs it)") }
        let binary = try AttnscopeBinary.require().path
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-e2e-\(getpid()).atrace").path
        defer { try? FileManager.default.removeItem(atPath: trace); _ = try? tmux("kill-server") }
        let w = try run(binary, ["bench-view", "--write-sample", trace, "--steps", "60"])
        XCTAssertEqual(w.status, 0, w.out)

        let command = "TERM=xterm-256color LANG=C.UTF-8 \(binary) view \(trace)"
        XCTAssertEqual(try tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", command).status, 0)
        try waitFor("1 Overview", "first frame")
        try waitFor("sink mass (first 4) at step 0", "overview")
        try waitFor("finalized", "status line")

        try keys("l", "j")          // select L1 H1 in the grid
        try waitFor("L1 H1", "overview selection")
        try keys("2")
        try waitFor("key position × decode step", "heatmap")
        try keys("v"); try waitFor("selected / evicted mask", "heatmap mask")
        try keys("v"); try waitFor("prefill query × key", "heatmap prefill")
        try keys("i", "l", "f", "s"); try waitFor("· linear", "heatmap scale")
        try keys("3"); try waitFor("sorted by L", "head table")
        try keys("s", "s", "s", "s", "s", "s", "s", "s", "r"); try waitFor("sorted by sink4 ▼", "table sort")
        try keys("/", "c", "l", "a", "s", "s", "=", "s", "i", "n", "k", "Enter")
        try waitFor("filter: class=sink", "table filter")
        try keys("4"); try waitFor("latency", "timeline")
        try keys("]", "]", "]"); try waitFor("cursor = step 3", "timeline cursor")
        try keys("5"); try waitFor("attention received from the query at step 3", "tokens")
        try keys("6"); try waitFor("policy", "run info")
        try keys("?"); try waitFor("keys (? or Esc to close)", "help")
        try keys("Escape")
        XCTAssertTrue(try eventually { !(try capture().contains("keys (? or Esc to close)")) }, "Esc closes the help")
        try keys(":", "L", "2", "H", "3", "Space", "s", "4", "0", "Enter")
        try waitFor("step 40/60 decode · L2 H3", "jump")
        try keys("Space"); try waitFor("▶", "replay")
        try keys("Space"); try waitFor("❚❚", "pause")

        try tmux(["resize-window", "-t", session, "-x", "80", "-y", "24"])
        let small = try waitFor("? help", "redraw at 80×24")
        let lines = small.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertLessThanOrEqual(lines.map(\.count).max() ?? 0, 80)
        XCTAssertTrue(lines.contains { $0.contains("1 Overview") }, small)
        try tmux(["resize-window", "-t", session, "-x", "30", "-y", "6"])
        try waitFor("too small", "too-small message")
        try tmux(["resize-window", "-t", session, "-x", "120", "-y", "40"])
        try waitFor("Run info", "redraw after growing back")

        // one q quits from a top-level view, however many views were visited
        try keys("q")
        let ended = try eventually { try tmux("has-session", "-t", session).status != 0 }
        let screen = ended ? "" : (try capture())
        XCTAssertTrue(ended, "the viewer did not exit after q; screen:\n\(screen)")
    }

    /// --step opens at that step; --color picks the colour encoding (tmux keeps what the viewer
    /// sends: truecolor as 38;2 / 48;2, 256 colours as 38;5 / 48;5, mono no colour at all);
    /// --no-mouse leaves the pane's mouse reporting off, which the viewer otherwise turns on.
    func testStepColorAndMouseFlags() throws {
        guard tmuxPath() != nil else { return XCTFail("tmux is not installed (scripts/setup.sh installs it)") }
        let binary = try AttnscopeBinary.require().path
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-e2e-flags-\(getpid()).atrace").path
        defer { try? FileManager.default.removeItem(atPath: trace); _ = try? tmux("kill-server") }
        let w = try run(binary, ["bench-view", "--write-sample", trace, "--steps", "60"])
        XCTAssertEqual(w.status, 0, w.out)

        // (swift test's environment may hold NO_COLOR: each case sets the colour variables itself)
        struct Case { var flags: String; var env = "-u NO_COLOR"; var status: String; var mouse: String; var present: [String]; var absent: [String] }
        let cases = [
            Case(flags: "--step 17", status: "step 17/60", mouse: "1", present: ["38;2;", "48;2;"], absent: ["38;5;"]),
            Case(flags: "--color 256 --no-mouse", status: "step 0/60", mouse: "0", present: ["38;5;", "48;5;"], absent: ["38;2;", "48;2;"]),
            Case(flags: "--color mono --step 60", status: "step 60/60", mouse: "1", present: [], absent: ["38;", "48;"]),
            Case(flags: "", env: "NO_COLOR=1", status: "step 0/60", mouse: "1", present: [], absent: ["38;", "48;"]),
        ]
        for c in cases {
            let command = "env \(c.env) TERM=xterm-256color COLORTERM=truecolor LANG=C.UTF-8 \(binary) view \(trace) \(c.flags)"
            XCTAssertEqual(try tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", command).status, 0)
            try waitFor("1 Overview", "\(c.env) \(c.flags): first frame")
            try waitFor(c.status, "\(c.flags): status line")
            // the viewer fills a frame progressively: wait until the screen stops changing
            var screen = ""
            XCTAssertTrue(try eventually {
                let previous = screen
                usleep(200_000)
                screen = try tmux("capture-pane", "-p", "-e", "-t", session).out
                return screen == previous
            }, "\(c.flags): the screen never settled")
            for code in c.present { XCTAssertTrue(screen.contains(code), "\(c.flags): no \(code) colour sequence in:\n\(screen)") }
            for code in c.absent { XCTAssertFalse(screen.contains(code), "\(c.flags): a \(code) colour sequence") }
            XCTAssertTrue(try eventually { try tmux("display-message", "-p", "-t", session, "#{mouse_any_flag}").out
                    .trimmingCharacters(in: .whitespacesAndNewlines) == c.mouse }, "\(c.flags): mouse reporting is not \(c.mouse)")
            _ = try tmux("kill-session", "-t", session)
            _ = try eventually { try tmux("has-session", "-t", session).status != 0 }
        }
    }
}
