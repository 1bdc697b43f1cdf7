// What the viewer needs from a trace. The file reader (AttnTrace.TraceReader) conforms through
// TraceReaderSource; tests back it with frames held in memory.

import AttnTrace

/// Whether a file was closed properly, or was cut short and opened up to its last whole chunk.
public enum TraceFileStatus: Equatable, Sendable {
    case finalized
    case recovered(validBytes: Int, reason: String)
    case inMemory
}

/// Read access to one trace, a step at a time. Implementations decode lazily: a viewer asks only for
/// what is on screen.
public protocol TraceSource: AnyObject {
    /// Short name shown in the status line (file name).
    var name: String { get }
    var header: RunHeader { get }
    var stepCount: Int { get }
    var fileStatus: TraceFileStatus { get }
    /// Size of the file in bytes (0 in memory).
    var fileBytes: Int { get }

    func stepInfo(_ step: Int) throws -> StepInfo
    /// [L × H], layer-major.
    func metrics(step: Int) throws -> [HeadMetrics]
    /// [L × G], layer-major.
    func kv(step: Int) throws -> [KVResidency]
    /// nil when selections were not captured.
    func selection(step: Int, layer: Int, head: Int) throws -> HeadSelection?
    /// The attention rows captured for this head at this step (often none).
    func rows(step: Int, layer: Int, head: Int) throws -> [AttentionRows]
}

/// A trace held as frames in memory (tests, demos).
public final class InMemoryTrace: TraceSource {
    public let name: String
    public let header: RunHeader
    public let frames: [StepFrame]

    public init(name: String = "memory", header: RunHeader, frames: [StepFrame]) {
        self.name = name; self.header = header; self.frames = frames
    }

    public var stepCount: Int { frames.count }
    public var fileStatus: TraceFileStatus { .inMemory }
    public var fileBytes: Int { 0 }

    public func stepInfo(_ step: Int) throws -> StepInfo { frames[step].step }
    public func metrics(step: Int) throws -> [HeadMetrics] { frames[step].metrics }
    public func kv(step: Int) throws -> [KVResidency] { frames[step].kv }
    public func selection(step: Int, layer: Int, head: Int) throws -> HeadSelection? {
        frames[step].selections.first { $0.layer == layer && $0.head == head }
    }
    public func rows(step: Int, layer: Int, head: Int) throws -> [AttentionRows] {
        frames[step].rows.filter { $0.layer == layer && $0.head == head }
    }
}
