import AttnTrace

// MARK: - Trace files as frame sources

extension TraceReader: TraceSource {
    /// Non-nil for a file that was cut short (or damaged) and rebuilt by the recovery scan.
    public var truncation: String? {
        guard case .recovered(let validBytes, let reason) = status else { return nil }
        return "recovered: \(stepCount) complete steps in the first \(validBytes) of \(fileSize) bytes; \(reason)"
    }

    public func comparisonFrame(_ index: Int, into frame: inout StepFrame) throws {
        try self.frame(index, into: &frame, topSinks: false)
    }

    public var fileStatus: TraceFileStatus {
        switch status {
        case .finalized: return .finalized
        case .recovered(let bytes, let reason): return .recovered(validBytes: bytes, reason: reason)
        }
    }
    public var fileBytes: Int { fileSize }

    public func attentionRows(step: Int, layer: Int, head: Int) throws -> [AttentionRows] {
        try rows(step: step, layer: layer, head: head).map { [$0] } ?? []
    }
}

/// A trace file read front to back by a headless command: a `TraceReader` whose mapped pages are
/// dropped as reading goes on (`PageRelease`), so RSS stays flat however large the file.
public final class TraceFile: TraceSource {
    public let reader: TraceReader
    private var release: PageRelease

    public init(_ reader: TraceReader) {
        self.reader = reader
        release = PageRelease(reader: reader)
    }

    public var header: RunHeader { reader.header }
    public var stepCount: Int { reader.stepCount }
    public var truncation: String? { reader.truncation }
    public var fileStatus: TraceFileStatus { reader.fileStatus }
    public var fileBytes: Int { reader.fileBytes }

    public func frame(_ index: Int) throws -> StepFrame {
        let f = try reader.frame(index)
        release.stepRead(index)
        return f
    }

    public func frame(_ index: Int, into frame: inout StepFrame) throws {
        try reader.frame(index, into: &frame)
        release.stepRead(index)
    }

    public func comparisonFrame(_ index: Int, into frame: inout StepFrame) throws {
        try reader.frame(index, into: &frame, topSinks: false)
        release.stepRead(index)
    }

    /// After step `index` was read another way (ColumnSource.swift): lets the pages behind it go.
    func stepRead(_ index: Int) { release.stepRead(index) }
}

/// Opens a trace for the headless commands, turning every failure into one readable line that
/// names the file (the CLI prints it and exits 2).
public func openTrace(_ path: String) throws(TraceOpenError) -> TraceFile {
    do {
        return TraceFile(try TraceReader(path: path))
    } catch let e as TraceError {
        throw TraceOpenError(message: e.description)
    } catch {
        throw TraceOpenError(message: "\(path): \(error)")
    }
}

public struct TraceOpenError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { message }
}
