import AttnTrace

// MARK: - Where a trace's steps come from

/// Whether a file was closed properly, or was cut short and opened up to its last whole chunk.
public enum TraceFileStatus: Equatable, Sendable {
    case finalized
    case recovered(validBytes: Int, reason: String)
    case inMemory
}

/// Read access to one run, a step at a time: a trace file (`TraceReader`, `TraceFile`, the
/// viewer's `TraceReaderSource`) or frames held in memory (`InMemoryTrace`). The headless engines
/// read whole frames in step order and keep none of them, so memory stays O(one frame); the viewer
/// asks for the parts of a step it draws, which a file decodes lazily (the defaults below take
/// them from the whole frame).
public protocol TraceSource {
    var header: RunHeader { get }
    /// Steps that can be read: for a file cut short, the complete ones.
    var stepCount: Int { get }
    /// Why the source holds fewer steps than it was meant to (a recovered, truncated file), or nil.
    var truncation: String? { get }
    /// Short name shown by the viewer (the file name).
    var name: String { get }
    var fileStatus: TraceFileStatus { get }
    /// Size of the file in bytes (0 in memory).
    var fileBytes: Int { get }

    func frame(_ index: Int) throws -> StepFrame
    /// The frame into `frame`, which a caller keeps between steps: a source may reuse its
    /// storage (TraceReader does, for the metrics). Defaults to `frame = try frame(index)`.
    func frame(_ index: Int, into frame: inout StepFrame) throws
    /// As `frame(_:into:)`, but the source may leave out what `TraceDiff` does not compare: the
    /// heads' `topSinks` (TraceReader leaves them empty). Defaults to `frame(_:into:)`.
    func comparisonFrame(_ index: Int, into frame: inout StepFrame) throws

    func stepInfo(_ step: Int) throws -> StepInfo
    /// [L × H], layer-major.
    func metrics(step: Int) throws -> [HeadMetrics]
    /// [L × G], layer-major.
    func kv(step: Int) throws -> [KVResidency]
    /// nil when selections were not captured.
    func selection(step: Int, layer: Int, head: Int) throws -> HeadSelection?
    /// The attention rows captured for this head at this step (often none).
    func attentionRows(step: Int, layer: Int, head: Int) throws -> [AttentionRows]
}

extension TraceSource {
    public var truncation: String? { nil }
    public var name: String { "memory" }
    public var fileStatus: TraceFileStatus { .inMemory }
    public var fileBytes: Int { 0 }
    public func frame(_ index: Int, into frame: inout StepFrame) throws { frame = try self.frame(index) }
    public func comparisonFrame(_ index: Int, into frame: inout StepFrame) throws { try self.frame(index, into: &frame) }

    public func stepInfo(_ step: Int) throws -> StepInfo { try frame(step).step }
    public func metrics(step: Int) throws -> [HeadMetrics] { try frame(step).metrics }
    public func kv(step: Int) throws -> [KVResidency] { try frame(step).kv }
    public func selection(step: Int, layer: Int, head: Int) throws -> HeadSelection? {
        try frame(step).selections.first { $0.layer == layer && $0.head == head }
    }
    public func attentionRows(step: Int, layer: Int, head: Int) throws -> [AttentionRows] {
        try frame(step).rows.filter { $0.layer == layer && $0.head == head }
    }

    /// Every frame, in step order, in memory: for tests and small traces only.
    public func frames() throws -> [StepFrame] { try (0..<stepCount).map { try frame($0) } }
}

/// Frames held in memory: for tests, demos, and tools that build a run without a file.
public struct InMemoryTrace: TraceSource, Sendable {
    public var name: String
    public var header: RunHeader
    public var steps: [StepFrame]
    public var truncation: String?

    public init(name: String = "memory", header: RunHeader, steps: [StepFrame], truncation: String? = nil) {
        self.name = name; self.header = header; self.steps = steps; self.truncation = truncation
    }
    public var stepCount: Int { steps.count }
    public func frame(_ index: Int) throws -> StepFrame { steps[index] }
}
