// A trace file that a recording is still writing, read again as it grows. Each `poll` continues the
// reader's recovery scan where the last one stopped (`TraceReader.reopened`), so following costs only
// the chunks appended since; a chunk is seen only once it is whole, so every step the viewer shows is
// complete, and a writer that dies leaves the viewer on its last complete step.

import AttnTrace

public final class FollowedTrace: TraceReaderSource {
    /// Why the last poll could not read the file (it vanished, or another run replaced it); nil when it could.
    public private(set) var problem: String?

    /// True once the writer closed the file (footer written): nothing more will come.
    public var finished: Bool { reader.status.isFinalized }

    /// Reads what the writer appended since the last poll; returns how many steps were added.
    /// Steps already shown never change: a file that shrank or now holds another run is not taken
    /// (`problem` says so) and the viewer keeps what it has.
    @discardableResult
    public func poll() -> Int {
        guard !finished else { return 0 }
        let next: TraceReader
        do { next = try reader.reopened() } catch {
            problem = "cannot read the file again: \(error)"
            return 0
        }
        guard next.header == reader.header else {
            problem = "the file now holds another run; open it again to see it"
            return 0
        }
        guard next.stepCount >= reader.stepCount else {
            problem = "the file shrank to \(next.stepCount) steps; showing the \(reader.stepCount) read before"
            return 0
        }
        problem = nil
        let added = next.stepCount - reader.stepCount
        reader = next
        return added
    }
}
