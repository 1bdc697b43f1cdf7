// Head metrics record (kind 3): every (layer, head) of one step, layer-major, with a table of
// layer block sizes so that one (layer, head) can be read without decoding the others.
//
//   L varint · H varint · end varint (position + query count of the step)
//   L × block size varint
//   L blocks, each H heads:
//     nan u8        bit i set = field i is NaN and omitted (order below); bit 7 must be 0
//     visible       zigzag(end − visibleKV)          0 for a cache that keeps everything
//     selected      zigzag(visibleKV − selected)     0 for dense attention
//     sinkMass1, sinkMass4, entropy, recall          unit16 each (bits 0…3)
//     overlapKept, jaccard                           unit16 each (bits 4, 5)
//     outputError                                    half (bit 6)
//     topSinks      count varint, then per sink zigzag(position − previous position), log8 score

extension Codec {
    static func encodeMetrics(_ ms: ArraySlice<HeadMetrics>, end: Int, into w: inout ByteWriter) {
        var nan: UInt8 = 0
        for m in ms {
            nan = 0
            if m.sinkMass1.isNaN { nan |= 1 }
            if m.sinkMass4.isNaN { nan |= 2 }
            if m.entropy.isNaN { nan |= 4 }
            if m.recall.isNaN { nan |= 8 }
            if m.overlapKept.isNaN { nan |= 16 }
            if m.jaccard.isNaN { nan |= 32 }
            if m.outputError.isNaN { nan |= 64 }
            w.u8(nan)
            w.zigzag(end - m.visibleKV)
            w.zigzag(m.visibleKV - m.selected)
            if nan & 1 == 0 { w.unit16(m.sinkMass1) }
            if nan & 2 == 0 { w.unit16(m.sinkMass4) }
            if nan & 4 == 0 { w.unit16(m.entropy) }
            if nan & 8 == 0 { w.unit16(m.recall) }
            if nan & 16 == 0 { w.unit16(m.overlapKept) }
            if nan & 32 == 0 { w.unit16(m.jaccard) }
            if nan & 64 == 0 { w.half(m.outputError) }
            w.varint(m.topSinks.count)
            var prev = 0
            for s in m.topSinks {
                w.zigzag(s.position - prev); prev = s.position
                w.u8(Quantize.log8(s.score))
            }
        }
    }

    /// Writes the whole record body. `scratch` is reused between steps.
    static func encodeMetricsRecord(_ ms: [HeadMetrics], layers: Int, heads: Int, end: Int,
                                    scratch: inout ByteWriter, into w: inout ByteWriter) {
        w.varint(layers); w.varint(heads); w.varint(end)
        scratch.removeAll()
        var sizes: [Int] = []
        sizes.reserveCapacity(layers)
        for l in 0..<layers {
            let before = scratch.count
            encodeMetrics(ms[(l * heads)..<((l + 1) * heads)], end: end, into: &scratch)
            sizes.append(scratch.count - before)
        }
        for s in sizes { w.varint(s) }
        w.append(scratch.bytes)
    }

    /// Where each layer's block starts inside a metrics record body.
    struct MetricsLayout {
        var end: Int
        var blockStarts: [Int]   // [L + 1], offsets into the body; last = body end
    }

    static func metricsLayout(_ r: inout ByteReader, layers: Int, heads: Int) throws -> MetricsLayout {
        try expectShape(&r, layers: layers, heads: heads, what: "heads")
        let end = try r.count("metrics end position", cap: Format.maxPosition)
        var starts: [Int] = []
        starts.reserveCapacity(layers + 1)
        var sizes: [Int] = []
        sizes.reserveCapacity(layers)
        for _ in 0..<layers { sizes.append(try r.count("layer block size", cap: Format.maxChunkBytes)) }
        var at = r.position
        for s in sizes {
            starts.append(at)
            at += s   // each size ≤ cap and L ≤ 4096: no overflow
        }
        starts.append(at)
        guard at == r.count else {
            throw r.error(.invalidValue(field: "layer block sizes",
                                        value: "sum to \(at - r.position), record has \(r.remaining)"))
        }
        return MetricsLayout(end: end, blockStarts: starts)
    }

    static func decodeHeadMetrics(_ r: inout ByteReader, layer: Int, head: Int, end: Int) throws -> HeadMetrics {
        let nan = try r.u8()
        if nan & 0x80 != 0 { throw r.error(.invalidValue(field: "metrics NaN flags", value: String(nan))) }
        let visible = end - (try r.delta("visible KV"))
        let selected = visible - (try r.delta("selected count"))
        guard visible >= 0, visible <= Format.maxPosition, selected >= 0, selected <= Format.maxPosition else {
            throw r.error(.invalidValue(field: "visible/selected", value: "\(visible)/\(selected)"))
        }
        let sink1 = nan & 1 == 0 ? try r.unit16() : .nan
        let sink4 = nan & 2 == 0 ? try r.unit16() : .nan
        let entropy = nan & 4 == 0 ? try r.unit16() : .nan
        let recall = nan & 8 == 0 ? try r.unit16() : .nan
        let overlap = nan & 16 == 0 ? try r.unit16() : .nan
        let jaccard = nan & 32 == 0 ? try r.unit16() : .nan
        let outErr = nan & 64 == 0 ? try r.half() : .nan
        let n = try r.elementCount("top sink count", cap: Format.maxTopSinks, minBytes: 2)
        var sinks: [SinkScore] = []
        sinks.reserveCapacity(n)
        var prev = 0
        for _ in 0..<n {
            let p = prev + (try r.delta("sink position"))
            guard p >= 0, p <= Format.maxPosition else {
                throw r.error(.invalidValue(field: "sink position", value: String(p)))
            }
            sinks.append(SinkScore(position: p, score: Quantize.fromLog8(try r.u8())))
            prev = p
        }
        return HeadMetrics(layer: layer, head: head, visibleKV: visible, selected: selected,
                           sinkMass1: sink1, sinkMass4: sink4, entropy: entropy, recall: recall,
                           outputError: outErr, overlapKept: overlap, jaccard: jaccard, topSinks: sinks)
    }
}
