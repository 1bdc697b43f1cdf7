// The trace file (memory-mapped AttnTrace.TraceReader) as a TraceSource: nothing is read until a
// view asks for a step, and then only the records it needs.

import AttnTrace

public class TraceReaderSource: TraceSource {
    /// Replaced by a reader of the grown file when following one (FollowedTrace).
    public internal(set) var reader: TraceReader
    public let name: String

    /// Opens `path` (throws TraceError with the file name and problem).
    public init(path: String) throws {
        reader = try TraceReader(path: path)
        name = path.split(separator: "/").last.map(String.init) ?? path
    }

    public var header: RunHeader { reader.header }
    public var stepCount: Int { reader.stepCount }
    public var fileBytes: Int { reader.fileSize }
    public var fileStatus: TraceFileStatus {
        switch reader.status {
        case .finalized: return .finalized
        case .recovered(let bytes, let reason): return .recovered(validBytes: bytes, reason: reason)
        }
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
