// Follow mode (`view --follow`, `record --view`): the viewer polls the growing file, the cursor stays
// on the newest step until the user moves it away (End or G brings it back), and the status line
// says how the run is going: tokens/s, the file's size, and whether the run finished or stopped.

import AttnTrace

public final class LiveFollow {
    public let trace: FollowedTrace
    /// The cursor is pinned to the newest step.
    public var following = true
    /// Seconds between reads of the file.
    public var interval = 0.25
    /// Set by whoever runs the writer (`record --view`) when it ended: "exit 0", "killed by signal 9".
    public var writerEnded: String?
    /// Asked on every poll for news of the writer (`record --view` watches its child process).
    public var watchWriter: (() -> String?)?
    var lastPoll = -Double.infinity
    /// When the step count last grew (or following started), on the app's clock.
    var lastGrowth: Double?
    var now = 0.0

    public init(trace: FollowedTrace) { self.trace = trace }

    /// Tokens per second of the last (up to) 16 decode steps, from their recorded wall times.
    public func tokensPerSecond(_ t: TraceModel) -> Double? {
        var tokens = 0, nanos: UInt64 = 0
        var s = t.stepCount - 1
        while s >= 0, s >= t.stepCount - 16, let info = t.stepInfo(s), info.phase == .decode {
            tokens += info.queryCount; nanos += info.wallNanos; s -= 1
        }
        return nanos > 0 ? Double(tokens) * 1e9 / Double(nanos) : nil
    }

    /// Whether the run can still grow.
    public var running: Bool { !trace.finished && writerEnded == nil }

    /// The status line's account of the run.
    public func statusText(_ t: TraceModel) -> String {
        var parts: [String] = []
        let last = t.stepCount - 1
        if trace.finished {
            parts.append("FINISHED at step \(last)")
        } else if let e = writerEnded {
            parts.append("STOPPED (\(e)): last complete step \(last)")
        } else if let g = lastGrowth, now - g >= 5 {
            parts.append("LIVE, no new step for \(Int(now - g)) s")
        } else {
            parts.append("LIVE")
        }
        if let r = tokensPerSecond(t) { parts.append(formatFixed(r, 1) + " tok/s") }
        parts.append(formatBytes(trace.fileBytes))
        if running { parts.append(following ? "following" : "cursor held (End follows)") }
        if let p = trace.problem { parts.append(p) }
        return parts.joined(separator: " · ")
    }

    /// Whether the status line should stand out (the run stopped without finishing its file).
    public var warn: Bool { !trace.finished && (writerEnded != nil || trace.problem != nil) }
}

extension App {
    /// Reads what the writer appended when `live.interval` has passed since the last read, and moves
    /// the cursor to the newest step while following. `now` is the clock `handle` is given.
    func pollLive(now: Double) -> Reaction {
        guard let live else { return [] }
        live.now = now
        if live.lastGrowth == nil { live.lastGrowth = now }
        guard now - live.lastPoll >= live.interval else { return [] }
        live.lastPoll = now
        var changed = false
        if live.writerEnded == nil, let e = live.watchWriter?() { live.writerEnded = e; changed = true }
        // after the writer ended, one more read takes what it wrote last
        if live.running || changed {
            let added = live.trace.poll()
            if added > 0 {
                live.lastGrowth = now
                if live.following { state.step = trace.stepCount - 1 }
                changed = true
            }
        }
        return changed || live.running ? .redraw : []   // the seconds-without-growth count ticks
    }

    /// After a key or a click: moving the cursor off the newest step stops following, coming back
    /// to it (End, G, stepping forward) follows again.
    func noteCursor(stepBefore: Int) {
        guard let live, state.step != stepBefore else { return }
        live.following = state.step == trace.stepCount - 1
    }
}
