// Head metrics record (kind 3): every (layer, head) of one step, layer-major, with a table of
// layer block sizes so that one (layer, head) can be read without decoding the others.
//
//   L varint · H varint · end varint (position + query count of the step)
//   L × block size varint
//   L blocks, each H heads:
//     flags u8      bit i (0…6) set = field i is NaN and omitted (order below);
//                   bit 7 set = "same selection as the previous head of this block": visible,
//                   selected, overlapKept and jaccard are the previous head's and omitted
//                   (bits 4, 5 must then be 0; never set on a block's first head)
//     visible       zigzag(end − visibleKV)          0 for a cache that keeps everything  (bit 7 clear)
//     selected      zigzag(visibleKV − selected)     0 for dense attention                 (bit 7 clear)
//     sinkMass1, sinkMass4, entropy, recall          unit16 each (bits 0…3)
//     overlapKept, jaccard                           unit16 each (bits 4, 5; bit 7 clear)
//     outputError                                    half (bit 6)
//     topSinks      count varint, then per sink in ascending position order:
//                   varint(position − previous position; the first: position), log8 score.
//                   Decoded highest score first (ties: lower position first).

extension HeadMetrics {
    /// A placeholder that decoding overwrites.
    static let unknown = HeadMetrics(layer: 0, head: 0, visibleKV: 0, selected: 0, sinkMass1: .nan, sinkMass4: .nan,
                                     entropy: .nan, recall: .nan, outputError: .nan, overlapKept: .nan,
                                     jaccard: .nan, topSinks: [])
}

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
        var previous: (visible: Int, selected: Int, overlap: UInt16, jaccard: UInt16)?   // stored forms
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
            // Policies that select per layer or per KV head give every head of a layer the same
            // visible/selected counts and overlap: store them once (compared as stored).
            let overlapCode = Quantize.unit16(overlap), jaccardCode = Quantize.unit16(jaccard)
            if let p = previous, p.visible == visible, p.selected == selected,
               p.overlap == overlapCode, p.jaccard == jaccardCode {
                nan = nan & ~48 | 128
            }
            previous = (visible, selected, overlapCode, jaccardCode)
            try m.topSinks.withUnsafeBufferPointer { sinks in
                if sinks.count > Format.maxTopSinks {
                    throw FrameProblem("metrics layer \(layer) head \(h): \(sinks.count) top sinks, at most \(Format.maxTopSinks)")
                }
                w.reserve(1 + 10 + 10 + 7 * 2 + 10 + 11 * sinks.count)   // the most one head can take
                w.putU8(nan)
                if nan & 128 == 0 {
                    w.putZigzag(end - visible)
                    w.putZigzag(visible - selected)
                }
                if nan & 1 == 0 { w.putU16(Quantize.unit16(sink1)) }
                if nan & 2 == 0 { w.putU16(Quantize.unit16(sink4)) }
                if nan & 4 == 0 { w.putU16(Quantize.unit16(entropy)) }
                if nan & 8 == 0 { w.putU16(Quantize.unit16(recall)) }
                if nan & (16 | 128) == 0 { w.putU16(overlapCode) }
                if nan & (32 | 128) == 0 { w.putU16(jaccardCode) }
                if nan & 64 == 0 { w.putU16(Quantize.half(outErr)) }
                w.putVarint(UInt64(sinks.count))
                try withUnsafeTemporaryAllocation(of: SinkScore.self, capacity: sinks.count) { sorted in
                    // Ascending positions: the gaps are small (sinks cluster), one byte each mostly.
                    for (i, s) in sinks.enumerated() {
                        if s.position < 0 || s.position > cap {
                            throw FrameProblem("metrics layer \(layer) head \(h): sink position \(s.position) out of range")
                        }
                        var j = i
                        while j > 0 && sorted[j - 1].position > s.position { sorted[j] = sorted[j - 1]; j -= 1 }
                        sorted[j] = s
                    }
                    var prev = 0
                    for s in sorted.prefix(sinks.count) {
                        w.putVarint(UInt64(s.position - prev)); prev = s.position
                        w.putU8(Quantize.log8(s.score))
                    }
                }
            }
        }
    }

    /// The order a reader hands top sinks back in: highest score first, ties by lower position.
    @inline(__always) static func sinkOrder(_ a: SinkScore, _ b: SinkScore) -> Bool {
        a.score > b.score || (a.score == b.score && a.position < b.position)
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

    /// One head entry. `previous` is the head decoded just before it in the same layer block
    /// (nil for the block's first head); flag bit 7 copies its selection fields.
    static func decodeHeadMetrics(_ r: inout ByteReader, layer: Int, head: Int, end: Int,
                                  previous: HeadMetrics?) throws -> HeadMetrics {
        var m = HeadMetrics.unknown
        try decodeHeadMetrics(&r, layer: layer, head: head, end: end, previous: previous, into: &m)
        return m
    }

    /// The same, into `m`, reusing the storage of its `topSinks` (no allocation when `m` comes from
    /// an earlier frame and its array is not shared). `topSinks: false` checks the sink bytes but
    /// leaves `m.topSinks` empty (for the diff, which does not compare them).
    static func decodeHeadMetrics(_ r: inout ByteReader, layer: Int, head: Int, end: Int,
                                  previous: HeadMetrics?, into m: inout HeadMetrics, topSinks: Bool = true) throws {
        let flags = try r.u8()
        let visible: Int, selected: Int
        let overlap: Float, jaccard: Float
        if flags & 128 != 0 {
            guard let p = previous, flags & 48 == 0 else {
                throw r.error(.invalidValue(field: "metrics flags", value: String(flags)))
            }
            visible = p.visibleKV; selected = p.selected
            overlap = p.overlapKept; jaccard = p.jaccard
        } else {
            visible = end - (try r.delta("visible KV"))
            selected = visible - (try r.delta("selected count"))
            overlap = .nan; jaccard = .nan   // read below, in field order
        }
        guard visible >= 0, visible <= Format.maxPosition, selected >= 0, selected <= Format.maxPosition else {
            throw r.error(.invalidValue(field: "visible/selected", value: "\(visible)/\(selected)"))
        }
        let sink1 = flags & 1 == 0 ? try r.unit16() : .nan
        let sink4 = flags & 2 == 0 ? try r.unit16() : .nan
        let entropy = flags & 4 == 0 ? try r.unit16() : .nan
        let recall = flags & 8 == 0 ? try r.unit16() : .nan
        let overlapKept = flags & (16 | 128) == 0 ? try r.unit16() : overlap
        let jaccardValue = flags & (32 | 128) == 0 ? try r.unit16() : jaccard
        let outErr = flags & 64 == 0 ? try r.half() : .nan
        let n = try r.elementCount("top sink count", cap: Format.maxTopSinks, minBytes: 2)
        var sinks = m.topSinks   // take the old storage (unique after m.topSinks is cleared)
        m.topSinks = []
        sinks.removeAll(keepingCapacity: true)
        sinks.reserveCapacity(n)
        var prev = 0
        for _ in 0..<n {
            let gap = try r.varint("sink position gap")
            guard gap <= UInt64(Format.maxPosition - prev) else {
                throw r.error(.invalidValue(field: "sink position", value: "\(prev) + \(gap)"))
            }
            let p = prev + Int(gap)
            if !topSinks { _ = try r.u8(); prev = p; continue }
            let s = SinkScore(position: p, score: Quantize.fromLog8(try r.u8()))
            var j = sinks.count   // insertion into score order (n ≤ 64)
            sinks.append(s)
            while j > 0 && sinkOrder(s, sinks[j - 1]) { sinks[j] = sinks[j - 1]; j -= 1 }
            sinks[j] = s
            prev = p
        }
        m = HeadMetrics(layer: layer, head: head, visibleKV: visible, selected: selected,
                        sinkMass1: sink1, sinkMass4: sink4, entropy: entropy, recall: recall,
                        outputError: outErr, overlapKept: overlapKept, jaccard: jaccardValue, topSinks: sinks)
    }
}
