// Reading a step as columns (StepColumns.swift): what `frame(_:into:topSinks: false)` reads, in
// the same order and with the same checks, so that a file that one of them rejects the other
// rejects with the same error (tested against each other in AttnAnalysisTests).

extension TraceReader {
    /// Step `step` into `c`, reusing its buffers. Top sinks and annotations are checked, not kept.
    public func columns(_ step: Int, into c: inout StepColumns) throws {
        let d = try directory(step)
        let m = header.model
        c.step = try stepInfo(step)
        guard var mr = d.metrics else { throw missingRecord("metrics", step) }
        try Codec.decodeMetricColumns(&mr, layers: m.layers, heads: m.heads,
                                       oracle: Format.hasOracle(formatVersion), into: &c.metrics)
        guard var kvr = d.kv else { throw missingRecord("kv", step) }
        try Codec.decodeKVColumns(&kvr, layers: m.layers, kvHeads: m.kvHeads, into: &c.kv)
        if var s = d.selections {
            try Codec.decodeSelectionColumns(&s, layers: m.layers, heads: m.heads, into: &c.selections)
        } else {
            c.selections.present = false
            c.selections.count = 0
        }
        c.rows.removeAll(keepingCapacity: true)
        for var r in d.rows { c.rows.append(try Codec.decodeRows(&r, layers: m.layers, heads: m.heads)) }
        for var r in d.annotations { _ = try r.string("annotation") }
        c.encodedBytes = d.sizes.reduce(Format.chunkHeaderSize) { $0 + $1.bytes }
    }

    private func missingRecord(_ kind: String, _ step: Int) -> TraceError {
        TraceError(path: path, offset: chunkOffsets[step], .missingRecord(kind: kind))
    }
}
