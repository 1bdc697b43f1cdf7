import AttnTrace

// MARK: - Sources that read steps as columns

/// A frame source that can also hand back a step as columns (`StepColumns`): trace files. When
/// both runs of a diff are column sources, `TraceDiff.run` takes the column path
/// (TraceDiff+Columns.swift); otherwise it compares frames.
public protocol ColumnSource: TraceSource {
    /// Step `index` into `columns`, whose buffers the caller keeps between steps.
    func columns(_ index: Int, into columns: inout StepColumns) throws
}

extension TraceReader: ColumnSource {}

extension TraceFile: ColumnSource {
    public func columns(_ index: Int, into columns: inout StepColumns) throws {
        try reader.columns(index, into: &columns)
        stepRead(index)
    }
}
