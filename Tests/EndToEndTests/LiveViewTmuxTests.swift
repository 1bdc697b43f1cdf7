// The live view in a real terminal (tmux) over real recordings of the reference model:
// `record ... --view` follows its own run to the end; `view --follow` started before the recording
// (as from another terminal or over SSH) waits for it, follows it, and when the recorder is killed
// stays on the last complete step and says that no new step came.

import AttnTestSupport
@testable import AttnTrace
import Foundation
import XCTest

final class LiveViewTmuxTests: XCTestCase {
    static let prompt = "The quick brown fox jumps over the lazy dog. In the beginning"

    func session() throws -> TmuxSession {
        guard TmuxSession.path != nil else {
            XCTFail("tmux is not installed (scripts/setup.sh installs it)")
            throw CocoaError(.fileNoSuchFile)
        }
        return TmuxSession(socket: "attnscope-live-\(getpid())")
    }

    func testRecordViewFollowsItsRunToTheEnd() throws {
        try requireModel()
        let tmux = try session()
        let trace = tempPath("record-view.atrace")
        defer { try? FileManager.default.removeItem(atPath: trace); tmux.killServer() }
        let binary = try AttnscopeBinary.require().path
        let steps = 80
        XCTAssertTrue(try tmux.start("TERM=xterm-256color LANG=C.UTF-8 \(binary) record --ignore-eos --prompt '\(Self.prompt)' -n \(steps) "
                                     + "--capture rows --row-interval 4 --out \(trace) --view; sleep 30"))
        // while it runs: live, following the newest step, tokens/s and the size in the status line
        let live = try tmux.waitFor("following", "live status")
        XCTAssertTrue(live.contains("LIVE"), live)
        try tmux.waitFor("tok/s", "decode speed in the status line")
        let mid = try tmux.waitFor("FINISHED at step \(steps - 1)", "the end of the run")
        XCTAssertTrue(mid.contains("step \(steps - 1)/\(steps - 1)"), "the cursor is on the last step:\n\(mid)")
        // q leaves the viewer; the recording's own summary follows on the terminal
        try tmux.keys("q")
        try tmux.waitFor("recorded \(steps) tokens", "the recording's summary after the viewer")
        let r = try TraceReader(path: trace)
        XCTAssertTrue(r.status.isFinalized)
        XCTAssertEqual(r.stepCount, steps)
    }

    func testFollowerOfAKilledRecordingKeepsTheLastCompleteStep() throws {
        try requireModel()
        let tmux = try session()
        let trace = tempPath("follow.atrace")
        try? FileManager.default.removeItem(atPath: trace)
        defer { try? FileManager.default.removeItem(atPath: trace); tmux.killServer() }
        let binary = try AttnscopeBinary.require().path
        // the follower first: it waits for the file
        XCTAssertTrue(try tmux.start("TERM=xterm-256color LANG=C.UTF-8 \(binary) view --follow \(trace) --view timeline"))
        try tmux.waitFor("attnscope view: waiting for", "the follower waits for the file")
        let recorder = try start(["record", "--ignore-eos", "--prompt", Self.prompt, "-n", "3000", "--capture", "rows", "--out", trace])
        defer { if recorder.isRunning { recorder.terminate() } }
        try tmux.waitFor("LIVE", "the follower sees the run")
        XCTAssertTrue(tmux.eventually { ((try? TraceReader(path: trace))?.stepCount ?? 0) >= 8 }, "the recording makes progress")
        // the user goes to the first step (g; tmux's Home is not xterm's): the cursor stays there while new steps come
        try tmux.keys("g")
        try tmux.waitFor("cursor held (End follows)", "cursor held")
        try tmux.waitFor("step 0/", "cursor on the first step")
        try tmux.keys("G")
        try tmux.waitFor("following", "following again")
        kill(recorder.processIdentifier, SIGKILL)
        recorder.waitUntilExit()
        let last = try TraceReader(path: trace).stepCount - 1
        let screen = try tmux.waitFor("no new step for", "the follower notices the run stopped")
        XCTAssertTrue(try tmux.eventually { try tmux.capture().contains("step \(last)/\(last) ") },
                      "the viewer stays on the last complete step \(last):\n\(screen)")
        try tmux.keys("q")
        XCTAssertTrue(tmux.eventually { !tmux.isRunning }, "q quits the follower")
    }
}
