import AttnTrace

// MARK: - Where frames come from

/// Anything that hands back a run's header and its frames one step at a time: a trace file
/// (`TraceReader`, see TraceReader+FrameSource.swift) or frames built in memory by a test.
/// The engines read frames in step order and keep none of them, so memory stays O(one frame).
public protocol FrameSource {
    var header: RunHeader { get }
    /// Steps that can be read: for a file cut short, the complete ones.
    var stepCount: Int { get }
    /// Why the source holds fewer steps than it was meant to (a recovered, truncated file), or nil.
    var truncation: String? { get }
    func frame(_ index: Int) throws -> StepFrame
    /// The frame into `frame`, which a caller keeps between steps: a source may reuse its
    /// storage (TraceReader does, for the metrics). Defaults to `frame = try frame(index)`.
    func frame(_ index: Int, into frame: inout StepFrame) throws
    /// As `frame(_:into:)`, but the source may leave out what `TraceDiff` does not compare: the
    /// heads' `topSinks` (TraceReader leaves them empty). Defaults to `frame(_:into:)`.
    func comparisonFrame(_ index: Int, into frame: inout StepFrame) throws
}

extension FrameSource {
    public var truncation: String? { nil }
    public func frame(_ index: Int, into frame: inout StepFrame) throws { frame = try self.frame(index) }
    public func comparisonFrame(_ index: Int, into frame: inout StepFrame) throws { try self.frame(index, into: &frame) }

    /// Every frame, in step order, in memory: for tests and small traces only.
    public func frames() throws -> [StepFrame] { try (0..<stepCount).map { try frame($0) } }
}

/// Frames held in memory: for tests, and for tools that build a run without a file.
public struct InMemoryTrace: FrameSource, Sendable {
    public var header: RunHeader
    public var steps: [StepFrame]
    public var truncation: String?

    public init(header: RunHeader, steps: [StepFrame], truncation: String? = nil) {
        self.header = header; self.steps = steps; self.truncation = truncation
    }
    public var stepCount: Int { steps.count }
    public func frame(_ index: Int) throws -> StepFrame { steps[index] }
}
