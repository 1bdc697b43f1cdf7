// Follow mode over a file the real TraceWriter is writing: new steps appear on a poll, the cursor
// follows the newest step until the user moves it (End brings it back), the status line gives
// tokens/s and the size, and a finished or abandoned file leaves the viewer on its last step.

import AttnTrace
import Foundation
import XCTest
@testable import AttnTUI

final class LiveFollowTests: XCTestCase {
    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("attnscope-live-\(getpid())-\(name)").path
    }

    /// A trace being written at a temporary path (removed at the end of the test) with its first
    /// `steps` steps, and a follower of it.
    func growing(_ name: String, steps: Int) throws -> (path: String, writer: TraceWriter, trace: FollowedTrace) {
        let path = tempPath(name)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        let w = try TraceWriter(path: path, header: TinyTrace.header())
        for s in 0..<steps { try w.append(frames[s]) }
        return (path, w, try FollowedTrace(path: path))
    }

    let frames = TinyTrace.frames()

    func testCursorFollowsNewStepsUntilMovedAndEndFollowsAgain() throws {
        let (_, w, trace) = try growing("follow.atrace", steps: 3)
        let app = App(trace: trace)
        app.live = LiveFollow(trace: trace)
        app.apply(.lastStep)
        XCTAssertEqual(app.state.step, 2)

        for s in 3..<6 { try w.append(frames[s]) }
        var now = 1.0
        XCTAssertTrue(app.handle(.tick, now: now).contains(.redraw))
        XCTAssertEqual(app.trace.stepCount, 6)
        XCTAssertEqual(app.state.step, 5, "following: the cursor is on the newest step")
        var screen = app.render(width: 140, height: 30).text
        XCTAssertTrue(screen.contains("LIVE"), screen)
        XCTAssertTrue(screen.contains("following"), screen)
        // decode steps 1…5 took 2.05, 2.1, … 2.25 ms for one token each
        let expected = 5e9 / Double((1...5).reduce(0) { $0 + 2_000_000 + 50_000 * $1 })
        XCTAssertTrue(screen.contains(formatFixed(expected, 1) + " tok/s"), screen)
        XCTAssertTrue(screen.contains(formatBytes(trace.fileBytes)), screen)

        // the user steps back: new steps no longer move the cursor
        app.handle(.key(.char("[")), now: now)
        XCTAssertEqual(app.state.step, 4)
        XCTAssertFalse(app.live!.following)
        try w.append(frames[6])
        now += 1
        app.handle(.tick, now: now)
        XCTAssertEqual(app.trace.stepCount, 7)
        XCTAssertEqual(app.state.step, 4, "the moved cursor stays")
        screen = app.render(width: 140, height: 30).text
        XCTAssertTrue(screen.contains("cursor held (End follows)"), screen)
        // End goes to the newest step and follows again
        app.handle(.key(.end), now: now)
        XCTAssertTrue(app.live!.following)
        try w.append(frames[7])
        now += 1
        app.handle(.tick, now: now)
        XCTAssertEqual(app.state.step, 7)

        // no new step for a while: the status line says for how long
        now += 6
        app.handle(.tick, now: now)
        XCTAssertTrue(app.render(width: 140, height: 30).text.contains("no new step for 6 s"))

        // the run finishes: the viewer stays on its last step and says so
        for s in 8..<frames.count { try w.append(frames[s]) }
        try w.finish()
        now += 1
        app.handle(.tick, now: now)
        XCTAssertEqual(app.state.step, frames.count - 1)
        XCTAssertTrue(app.render(width: 140, height: 30).text.contains("FINISHED at step \(frames.count - 1)"))
        XCTAssertEqual(trace.poll(), 0, "a finished file is not read again")
    }

    /// A writer killed in the middle of a chunk: the half chunk is never shown, the viewer stays on
    /// the last complete step and, once told the writer ended, says it stopped.
    func testKilledWriterLeavesTheLastCompleteStep() throws {
        let (path, w, trace) = try growing("killed.atrace", steps: 4)
        let app = App(trace: trace)
        let live = LiveFollow(trace: trace)
        app.live = live
        app.apply(.lastStep)
        var ended: String? = nil
        live.watchWriter = { ended }
        // half of the next chunk, as a writer killed mid-write leaves it
        var enc = ChunkEncoder(header: TinyTrace.header())
        try enc.encode(frames[4], step: 4)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seekToEnd(); try h.write(contentsOf: Array(enc.bytes.prefix(enc.byteCount / 2))); try h.close()
        app.handle(.tick, now: 1)
        XCTAssertEqual(app.trace.stepCount, 4)
        XCTAssertEqual(app.state.step, 3)
        ended = "killed by signal 9"
        app.handle(.tick, now: 2)
        XCTAssertEqual(app.state.step, 3)
        let screen = app.render(width: 140, height: 30).text
        XCTAssertTrue(screen.contains("STOPPED (killed by signal 9): last complete step 3"), screen)
        _ = w
    }

    /// Another run written over the followed file is not mixed into the one on screen.
    func testAnotherRunAtThePathIsNotTaken() throws {
        let (path, w, trace) = try growing("replaced.atrace", steps: 3)
        try FileManager.default.removeItem(atPath: path)
        let w2 = try TraceWriter(path: path, header: TinyTrace.header(policy: "other"))
        for s in 0..<5 { try w2.append(frames[s]) }
        XCTAssertEqual(trace.poll(), 0)
        XCTAssertEqual(trace.stepCount, 3)
        XCTAssertEqual(trace.problem, "the file now holds another run; open it again to see it")
        _ = w
    }
}
