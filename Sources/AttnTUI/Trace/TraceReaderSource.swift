// The trace file (memory-mapped AttnTrace.TraceReader) as the viewer's TraceSource: nothing is read
// until a view asks for a step, and then only the records it needs.

import AttnAnalysis
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
    public var truncation: String? { reader.truncation }
    public var fileBytes: Int { reader.fileBytes }
    public var fileStatus: TraceFileStatus { reader.fileStatus }

    public func frame(_ index: Int) throws -> StepFrame { try reader.frame(index) }
    public func stepInfo(_ step: Int) throws -> StepInfo { try reader.stepInfo(step) }
    public func metrics(step: Int) throws -> [HeadMetrics] { try reader.metrics(step: step) }
    public func kv(step: Int) throws -> [KVResidency] { try reader.kv(step: step) }
    public func selection(step: Int, layer: Int, head: Int) throws -> HeadSelection? {
        try reader.selection(step: step, layer: layer, head: head)
    }
    public func attentionRows(step: Int, layer: Int, head: Int) throws -> [AttentionRows] {
        try reader.attentionRows(step: step, layer: layer, head: head)
    }
}
