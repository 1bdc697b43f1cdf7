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

/// Why the writer cannot store a frame (found while encoding, before anything is written).
struct FrameProblem: Error {
    var why: String
    init(_ why: String) { self.why = why }
}

extension Codec {
    /// Encodes heads [first, first + count) of `ms` as layer `layer`, checking each as it goes.
    static func encodeMetrics(_ ms: UnsafeBufferPointer<HeadMetrics>, layer: Int, first: Int, count: Int,
                              end: Int, into w: inout ByteWriter) throws {
        let cap = Format.maxPosition
        for h in 0..<count {
            let i = first + h
            let m = ms[i]   // one copy (one retain of topSinks), not one per field
            if m.layer != layer || m.head != h {
                throw FrameProblem("metrics[\(i)] is layer \(m.layer) head \(m.head), expected layer-major order")
            }
            let visible = m.visibleKV, selected = m.selected
            if visible < 0 || visible > cap || selected < 0 || selected > cap {
                throw FrameProblem("metrics layer \(layer) head \(h): visible \(visible) / selected \(selected) out of range")
            }
            let sink1 = m.sinkMass1, sink4 = m.sinkMass4, entropy = m.entropy, recall = m.recall
            let overlap = m.overlapKept, jaccard = m.jaccard, outErr = m.outputError
            var nan: UInt8 = 0
            if sink1.isNaN { nan |= 1 }
            if sink4.isNaN { nan |= 2 }
            if entropy.isNaN { nan |= 4 }
            if recall.isNaN { nan |= 8 }
            if overlap.isNaN { nan |= 16 }
            if jaccard.isNaN { nan |= 32 }
            if outErr.isNaN { nan |= 64 }
            try m.topSinks.withUnsafeBufferPointer { sinks in
                if sinks.count > Format.maxTopSinks {
                    throw FrameProblem("metrics layer \(layer) head \(h): \(sinks.count) top sinks, at most \(Format.maxTopSinks)")
                }
                w.reserve(1 + 10 + 10 + 7 * 2 + 10 + 11 * sinks.count)   // the most one head can take
                w.putU8(nan)
                w.putZigzag(end - visible)
                w.putZigzag(visible - selected)
                if nan & 1 == 0 { w.putU16(Quantize.unit16(sink1)) }
                if nan & 2 == 0 { w.putU16(Quantize.unit16(sink4)) }
                if nan & 4 == 0 { w.putU16(Quantize.unit16(entropy)) }
                if nan & 8 == 0 { w.putU16(Quantize.unit16(recall)) }
                if nan & 16 == 0 { w.putU16(Quantize.unit16(overlap)) }
                if nan & 32 == 0 { w.putU16(Quantize.unit16(jaccard)) }
                if nan & 64 == 0 { w.putU16(Quantize.half(outErr)) }
                w.putVarint(UInt64(sinks.count))
                var prev = 0
                for s in sinks {
                    if s.position < 0 || s.position > cap {
                        throw FrameProblem("metrics layer \(layer) head \(h): sink position \(s.position) out of range")
                    }
                    w.putZigzag(s.position - prev); prev = s.position
                    w.putU8(Quantize.log8(s.score))
                }
            }
        }
    }

    /// Writes the whole record body. `scratch` is reused between steps. `ms` has L × H entries.
    static func encodeMetricsRecord(_ ms: [HeadMetrics], layers: Int, heads: Int, end: Int,
                                    scratch: inout ByteWriter, into w: inout ByteWriter) throws {
        w.varint(layers); w.varint(heads); w.varint(end)
        scratch.removeAll()
        var sizes = ByteWriter(capacity: 3 * layers)
        try ms.withUnsafeBufferPointer { buf in
            for l in 0..<layers {
                let before = scratch.count
                try encodeMetrics(buf, layer: l, first: l * heads, count: heads, end: end, into: &scratch)
                sizes.varint(scratch.count - before)
            }
        }
        w.append(sizes)
        w.append(scratch)
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
