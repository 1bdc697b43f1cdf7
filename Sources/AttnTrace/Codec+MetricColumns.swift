// The metrics record (kind 3, layout in Codec+Metrics.swift) decoded into MetricColumns: the same
// reads, checks and errors as `TraceReader.metrics(step:into:topSinks: false)` followed by
// `Codec.decodeHeadMetrics`, but each value goes straight into its column (no HeadMetrics, no
// topSinks array, no copy of the previous head). Top sinks are skipped with `Codec.skipTopSinks`.

extension Codec {
    /// Decodes a whole metrics record body into `out` (n = L × H heads afterwards).
    static func decodeMetricColumns(_ r: inout ByteReader, layers: Int, heads: Int,
                                    into out: inout MetricColumns) throws {
        // Header and layer block table, as `metricsLayout` reads them.
        try expectShape(&r, layers: layers, heads: heads, what: "heads")
        let end = try r.count("metrics end position", cap: Format.maxPosition)
        var starts = out.blockStarts   // [L + 1], reused
        out.blockStarts = []
        starts.removeAll(keepingCapacity: true)
        for _ in 0..<layers { starts.append(try r.count("layer block size", cap: Format.maxChunkBytes)) }
        var at = r.position
        for l in 0..<layers {
            let size = starts[l]
            starts[l] = at
            at += size   // each size ≤ cap and L ≤ 4096: no overflow
        }
        starts.append(at)
        defer { out.blockStarts = starts }
        guard at == r.count else {
            throw r.error(.invalidValue(field: "layer block sizes",
                                        value: "sum to \(at - r.position), record has \(r.remaining)"))
        }

        let n = layers * heads
        out.resize(n)
        try out.floats.withUnsafeMutableBufferPointer { f in
            try out.counts.withUnsafeMutableBufferPointer { c in
                // Column bases: field k of head i at f[k * n + i].
                let sink1 = f.baseAddress!, sink4 = sink1 + n, entropy = sink1 + 2 * n, recall = sink1 + 3 * n
                let outErr = sink1 + 4 * n, overlap = sink1 + 5 * n, jaccard = sink1 + 6 * n
                let visibleKV = c.baseAddress!, selectedKV = visibleKV + n
                var i = 0
                for l in 0..<layers {
                    r.position = starts[l]
                    for h in 0..<heads {
                        let flags = try r.u8()
                        let visible: Int, selected: Int
                        if flags & 128 != 0 {
                            // Same selection as the previous head of this block (never the first).
                            guard h > 0, flags & 48 == 0 else {
                                throw r.error(.invalidValue(field: "metrics flags", value: String(flags)))
                            }
                            visible = visibleKV[i - 1]; selected = selectedKV[i - 1]
                            overlap[i] = overlap[i - 1]; jaccard[i] = jaccard[i - 1]
                        } else {
                            visible = end - (try r.delta("visible KV"))
                            selected = visible - (try r.delta("selected count"))
                        }
                        guard visible >= 0, visible <= Format.maxPosition, selected >= 0,
                              selected <= Format.maxPosition else {
                            throw r.error(.invalidValue(field: "visible/selected", value: "\(visible)/\(selected)"))
                        }
                        visibleKV[i] = visible; selectedKV[i] = selected
                        sink1[i] = flags & 1 == 0 ? try r.unit16() : .nan
                        sink4[i] = flags & 2 == 0 ? try r.unit16() : .nan
                        entropy[i] = flags & 4 == 0 ? try r.unit16() : .nan
                        recall[i] = flags & 8 == 0 ? try r.unit16() : .nan
                        if flags & 128 == 0 {
                            overlap[i] = flags & 16 == 0 ? try r.unit16() : .nan
                            jaccard[i] = flags & 32 == 0 ? try r.unit16() : .nan
                        }
                        outErr[i] = flags & 64 == 0 ? try r.half() : .nan
                        try skipTopSinks(&r)
                        i += 1
                    }
                    if r.position != starts[l + 1] {
                        throw r.error(.invalidValue(field: "metrics layer \(l) block",
                                                    value: "heads end at \(r.position), block at \(starts[l + 1])"))
                    }
                }
            }
        }
    }
}
