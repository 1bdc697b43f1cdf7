// A trace file that a recording is still writing, read again as it grows. Each `poll` continues the
// reader's recovery scan where the last one stopped (`TraceReader.reopened`), so following costs only
// the chunks appended since; a chunk is seen only once it is whole, so every step the viewer shows is
// complete, and a writer that dies leaves the viewer on its last complete step.

import AttnTrace

public final class FollowedTrace: TraceSource {
    public private(set) var reader: TraceReader
    public let name: String
    /// Why the last poll could not read the file (it vanished, or another run replaced it); nil when it could.
    public private(set) var problem: String?

    /// Opens `path` (throws TraceError with the file name and problem, e.g. while its header is not written yet).
    public init(path: String) throws {
        reader = try TraceReader(path: path)
        name = path.split(separator: "/").last.map(String.init) ?? path
    }

    public var header: RunHeader { reader.header }
    public var stepCount: Int { reader.stepCount }
    public var fileBytes: Int { reader.fileSize }
    /// True once the writer closed the file (footer written): nothing more will come.
    public var finished: Bool { reader.status.isFinalized }
    public var fileStatus: TraceFileStatus {
        switch reader.status {
        case .finalized: return .finalized
        case .recovered(let bytes, let reason): return .recovered(validBytes: bytes, reason: reason)
        }
    }

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

    public func stepInfo(_ step: Int) throws -> StepInfo { try reader.stepInfo(step) }
    public func metrics(step: Int) throws -> [HeadMetrics] { try reader.metrics(step: step) }
    public func kv(step: Int) throws -> [KVResidency] { try reader.kv(step: step) }
    public func selection(step: Int, layer: Int, head: Int) throws -> HeadSelection? {
        try reader.selection(step: step, layer: layer, head: head)
    }
    public func rows(step: Int, layer: Int, head: Int) throws -> [AttentionRows] {
        try reader.rows(step: step, layer: layer, head: head).map { [$0] } ?? []
    }
}
