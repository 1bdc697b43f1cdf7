// Seeking: one step's chunk is located through the index, its CRC checked once, and its records
// listed (not decoded). Each accessor then decodes only the record, or the part of it, it needs.

/// Where the records of one step chunk are (views into the map, nothing decoded).
struct ChunkDirectory {
    var stepHeaderValue: UInt32
    var step: ByteReader?
    var metrics: ByteReader?
    var kv: ByteReader?
    var selections: ByteReader?
    var rows: [ByteReader] = []
    var annotations: [ByteReader] = []
    var unknown = 0
    var sizes: [(tag: UInt64, bytes: Int)] = []
}

extension TraceReader {
    // MARK: - Public accessors

    public func stepInfo(_ step: Int) throws -> StepInfo {
        let d = try directory(step)
        guard var r = d.step else { throw missing("step", step) }
        let info = try Codec.decodeStep(&r, layers: header.model.layers)
        if info.index != Int(d.stepHeaderValue) {
            throw r.error(.invalidValue(field: "step index", value: "\(info.index) in a chunk for step \(d.stepHeaderValue)"))
        }
        return info
    }

    public func frame(_ step: Int) throws -> StepFrame {
        var f = StepFrame.empty
        try frame(step, into: &f)
        return f
    }

    /// The frame into `f`, reusing the storage of its metrics (see `metrics(step:into:)`): for
    /// passes over a whole file that keep one frame buffer (diff).
    public func frame(_ step: Int, into f: inout StepFrame, topSinks: Bool = true) throws {
        let d = try directory(step)
        let m = header.model
        f.step = try stepInfo(step)
        try metrics(step: step, into: &f.metrics, topSinks: topSinks)
        guard var kvr = d.kv else { throw missing("kv", step) }
        f.kv = try Codec.decodeKV(&kvr, layers: m.layers, kvHeads: m.kvHeads)
        f.selections = []
        if var s = d.selections { f.selections = try Codec.decodeSelections(&s, layers: m.layers, heads: m.heads) }
        f.rows = []
        for var r in d.rows { f.rows.append(try Codec.decodeRows(&r, layers: m.layers, heads: m.heads)) }
        f.annotations = try annotations(step: step)
    }

    public func metrics(step: Int) throws -> [HeadMetrics] {
        var out: [HeadMetrics] = []
        try metrics(step: step, into: &out)
        return out
    }

    /// The step's metrics into `out` (L × H entries afterwards), reusing its storage and that of
    /// each entry's `topSinks`: a whole-file pass that keeps one buffer allocates nothing per head.
    /// `topSinks: false` leaves every entry's `topSinks` empty (faster; for comparisons that skip them).
    public func metrics(step: Int, into out: inout [HeadMetrics], topSinks: Bool = true) throws {
        let m = header.model
        let n = m.layers * m.heads
        var (r, layout) = try metricsLayout(step)
        if out.count > n { out.removeLast(out.count - n) }
        if out.count < n {
            out.reserveCapacity(min(n, r.remaining / 4))   // ≥ 4 bytes per head
        }
        var i = 0
        for l in 0..<m.layers {
            r.position = layout.blockStarts[l]
            for h in 0..<m.heads {
                if i == out.count { out.append(.unknown) }
                try out.withUnsafeMutableBufferPointer { b in
                    try Codec.decodeHeadMetrics(&r, layer: l, head: h, end: layout.end,
                                                previous: h > 0 ? b[i - 1] : nil, into: &b[i], topSinks: topSinks,
                                                oracle: Format.hasOracle(formatVersion))
                }
                i += 1
            }
            try checkBlockEnd(r, layout.blockStarts[l + 1], layer: l)
        }
    }

    /// One head's metrics: decodes only the heads before it in its layer.
    public func metrics(step: Int, layer: Int, head: Int) throws -> HeadMetrics {
        try checkHead(layer, head, heads: header.model.heads)
        var (r, layout) = try metricsLayout(step)
        r.position = layout.blockStarts[layer]
        var result: HeadMetrics?
        for h in 0...head {
            result = try Codec.decodeHeadMetrics(&r, layer: layer, head: h, end: layout.end, previous: result,
                                                 oracle: Format.hasOracle(formatVersion))
        }
        if r.position > layout.blockStarts[layer + 1] { try checkBlockEnd(r, layout.blockStarts[layer + 1], layer: layer) }
        return result!
    }

    public func kv(step: Int) throws -> [KVResidency] {
        guard var r = try directory(step).kv else { throw missing("kv", step) }
        return try Codec.decodeKV(&r, layers: header.model.layers, kvHeads: header.model.kvHeads)
    }

    /// Nil when the step has no selections record (capture level below .selections).
    public func selection(step: Int, layer: Int, head: Int) throws -> HeadSelection? {
        let m = header.model
        try checkHead(layer, head, heads: m.heads)
        guard var r = try directory(step).selections else { return nil }
        return try Codec.decodeSelections(&r, layers: m.layers, heads: m.heads, stopAfter: layer * m.heads + head).first
    }

    public func selections(step: Int) throws -> [HeadSelection] {
        guard var r = try directory(step).selections else { return [] }
        return try Codec.decodeSelections(&r, layers: header.model.layers, heads: header.model.heads)
    }

    /// The first rows record for (layer, head) at this step, or nil when none was captured.
    public func rows(step: Int, layer: Int, head: Int) throws -> AttentionRows? {
        let m = header.model
        try checkHead(layer, head, heads: m.heads)
        for var r in try directory(step).rows {
            let (l, h) = try Codec.peekRowsHead(r)
            if l == layer && h == head { return try Codec.decodeRows(&r, layers: m.layers, heads: m.heads) }
        }
        return nil
    }

    /// Which (layer, head) pairs have rows at this step, in file order.
    public func rowHeads(step: Int) throws -> [(layer: Int, head: Int)] {
        try directory(step).rows.map { try Codec.peekRowsHead($0) }
    }

    public func annotations(step: Int) throws -> [String] {
        try directory(step).annotations.map { r in
            var r = r
            return try r.string("annotation")
        }
    }

    /// The footer summary, or for a recovered file one computed from every step record.
    public func summary() throws -> TraceSummary {
        if let storedSummary { return storedSummary }
        var s = TraceSummary.empty
        for i in 0..<stepCount { s.add(try stepInfo(i)) }
        return s
    }

    // MARK: - Chunk directory

    func directory(_ step: Int) throws -> ChunkDirectory {
        guard step >= 0, step < stepCount else {
            throw TraceError(path: path, offset: nil, .stepOutOfRange(step: step, count: stepCount))
        }
        if let c = cached, c.step == step { return c.directory }
        let b = file.bytes
        let chunk = try ChunkHeader.read(b, at: chunkOffsets[step], path: path)
        if chunkFlags[step] & 1 == 0 {
            try chunk.verify(b, path: path)
            chunkFlags[step] |= 1
        }
        var p = chunk.payload(b, path: path)
        var d = ChunkDirectory(stepHeaderValue: chunk.step)
        while !p.isAtEnd {
            let start = p.position
            let rec = try p.record()
            d.sizes.append((rec.tag, p.position - start))
            switch RecordKind(rawValue: rec.tag) {
            case .step: d.step = d.step ?? rec.body
            case .metrics: d.metrics = d.metrics ?? rec.body
            case .kvResidency: d.kv = d.kv ?? rec.body
            case .selections: d.selections = d.selections ?? rec.body
            case .rows: d.rows.append(rec.body)
            case .annotation: d.annotations.append(rec.body)
            case nil: d.unknown += 1
            case .runHeader, .index, .summary: d.unknown += 1   // known kinds, but not allowed here
            }
        }
        if chunkFlags[step] & 2 == 0 {
            unknownRecordCount += d.unknown
            chunkFlags[step] |= 2
        }
        cached = (step, d)
        return d
    }

    private func metricsLayout(_ step: Int) throws -> (ByteReader, Codec.MetricsLayout) {
        guard var r = try directory(step).metrics else { throw missing("metrics", step) }
        let layout = try Codec.metricsLayout(&r, layers: header.model.layers, heads: header.model.heads)
        return (r, layout)
    }

    private func checkBlockEnd(_ r: ByteReader, _ end: Int, layer: Int) throws {
        if r.position != end {
            throw r.error(.invalidValue(field: "metrics layer \(layer) block", value: "heads end at \(r.position), block at \(end)"))
        }
    }

    private func checkHead(_ layer: Int, _ head: Int, heads: Int) throws {
        guard layer >= 0, layer < header.model.layers, head >= 0, head < heads else {
            throw TraceError(path: path, offset: nil, .headOutOfRange(layer: layer, head: head))
        }
    }

    private func missing(_ kind: String, _ step: Int) -> TraceError {
        TraceError(path: path, offset: chunkOffsets[step], .missingRecord(kind: kind))
    }
}
