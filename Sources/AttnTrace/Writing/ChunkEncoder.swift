/// Encodes one step frame into a complete chunk (header + records) in a reused buffer: the
/// in-memory half of TraceWriter, public so that benchmarks and tools can measure or stream it.
public struct ChunkEncoder {
    public let header: RunHeader
    public let options: TraceWriter.Options
    /// A copy of the last encoded chunk.
    public var bytes: [UInt8] { w.bytes }
    /// Size of the last encoded chunk.
    public var byteCount: Int { w.count }
    /// The last encoded chunk, without a copy (valid until the next `encode`).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try w.withUnsafeBytes(body)
    }
    private var w = ByteWriter(capacity: 1 << 16)        // chunk header + payload of one step
    private var scratch = ByteWriter(capacity: 1 << 14)  // metrics layer blocks
    private let memo = TopSinksMemo()                    // each head's last top sinks, encoded

    public init(header: RunHeader, options: TraceWriter.Options = .init()) {
        self.header = header; self.options = options
    }

    /// Validates `frame` as step `step` and encodes it; the chunk is then in `bytes`.
    /// Errors carry an empty path and no offset (the writer fills them in).
    public mutating func encode(_ frame: StepFrame, step: Int) throws {
        if let why = FrameValidation.problem(frame, header: header, expectedIndex: step) {
            throw TraceError(path: "", offset: nil, .invalidFrame("step \(frame.step.index): \(why)"))
        }
        w.removeAll()
        w.append(Format.sync)
        w.u32(0); w.u32(UInt32(step)); w.u32(0)   // length and CRC patched below
        do {
            try encodePayload(frame)
        } catch let e as RecordTooLarge {
            throw TraceError(path: "", offset: nil,
                             .invalidFrame("step \(frame.step.index): \(e.kind.name) record of \(e.bytes) bytes"))
        } catch let e as FrameProblem {
            throw TraceError(path: "", offset: nil, .invalidFrame("step \(frame.step.index): \(e.why)"))
        }
        let payloadLength = w.count - Format.chunkHeaderSize
        if payloadLength > Format.maxChunkBytes {
            throw TraceError(path: "", offset: nil, .chunkTooLarge(payloadLength))
        }
        w.patchU32(UInt32(payloadLength), at: 8)
        w.patchU32(Checksum.chunkCRC(w), at: 16)
    }

    private mutating func encodePayload(_ f: StepFrame) throws {
        let m = header.model
        let end = f.step.position + f.step.queryCount
        try w.record(.step) { Codec.encode(f.step, into: &$0) }
        var s = ByteWriter()
        swap(&s, &scratch)   // a local, so that the closure does not touch self while w is mutated
        defer { swap(&s, &scratch) }
        try w.record(.metrics) { w in
            try Codec.encodeMetricsRecord(f.metrics, layers: m.layers, heads: m.heads, end: end, memo: memo, scratch: &s, into: &w)
        }
        try w.record(.kvResidency) { try Codec.encode(f.kv, layers: m.layers, kvHeads: m.kvHeads, into: &$0) }
        if !f.selections.isEmpty {
            try w.record(.selections) {
                try Codec.encodeSelections(f.selections, layers: m.layers, heads: m.heads, end: end, into: &$0)
            }
        }
        let rowEncoding = options.rowEncoding
        for r in f.rows {
            try w.record(.rows) { Codec.encode(r, encoding: rowEncoding, into: &$0) }
        }
        for a in f.annotations {
            try w.record(.annotation) { $0.string(a) }
        }
    }
}
