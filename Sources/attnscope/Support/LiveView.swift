// `attnscope view --follow FILE` and `attnscope record ... --view`: the viewer on a trace that is still
// being written. It waits for the file's first complete step (the writer may not have started, or is
// still in its prefill), then follows it (AttnTUI's LiveFollow).

import AttnTUI
import AttnTrace
import Foundation

struct LiveView {
    var options: ViewCommand

    /// Runs the viewer on `path`. With `writer` (record --view), the file must be one that writer
    /// started (older contents are waited out), and its end is reported in the status line.
    func run(path: String, writer: RecordingChild? = nil) throws {
        try options.requireTerminal(path)
        let trace = try waitForFirstStep(path, writer: writer)
        let start = try ViewPlace(at: options.at, view: options.screen, source: trace, compare: false)
        let app = App(trace: trace)
        app.bookmarks = try BookmarkOption.file(trace: path, header: trace.header)
        let live = LiveFollow(trace: trace)
        live.watchWriter = writer.map { w in { w.endedDescription() } }
        app.live = live
        app.apply(.lastStep)
        options.open(app, at: start)
    }

    /// The file once it holds a complete step. Problems that waiting cannot fix (not a trace, a
    /// newer format, a directory) exit 2 at once; so does a writer that ends before its first step.
    func waitForFirstStep(_ path: String, writer: RecordingChild?) throws -> FollowedTrace {
        var said = false
        while true {
            if FileManager.default.fileExists(atPath: path) {
                do {
                    let t = try FollowedTrace(path: path)
                    let ours = writer.map { t.header.createdUnixSeconds >= $0.startedUnixSeconds } ?? true
                    if ours {
                        if t.stepCount == 0, t.finished { throw CLIError(path, "the trace holds no complete step") }
                        if t.stepCount > 0 { return t }
                    }
                } catch let e as TraceError {
                    switch e.problem {
                    case .truncatedHeader: break   // the writer has not written its header yet
                    default: throw CLIError(path, e)
                    }
                }
            }
            if let writer, writer.endedDescription() != nil { writer.failAndExit() }
            if !said, writer == nil {
                Stderr.line("attnscope view: waiting for \(path) to hold a complete step (Ctrl-C to give up)")
                said = true
            }
            usleep(100_000)
        }
    }
}
