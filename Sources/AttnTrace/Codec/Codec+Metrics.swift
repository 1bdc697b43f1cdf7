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
//     oracleRecall  varint (version 2): 0 = NaN, else 1 + zigzag(unit16(oracleRecall) − base), base =
//                   the recall field's unit16 code (0 when recall is NaN): usually a byte or two, as
//                   the oracle is close to or equal to recall
//     topSinks      a bitstream: count, positions, scores (Codec+TopSinks.swift).
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
    /// The most bytes one head entry takes before its top sinks: flags, two varints, 7 numbers,
    /// the oracle varint (< 2^18: 3 bytes).
    static let maxHeadFieldBytes = 1 + 10 + 10 + 7 * 2 + 3

    /// The stored oracle field: 0 for NaN, else 1 + zigzag(oracle code − recall code (0 when NaN)).
    @inline(__always) static func oracleField(oracle: UInt16, recall: UInt16) -> UInt64 {
        if oracle == Quantize.unitNaN { return 0 }
        let d = Int64(oracle) - Int64(recall == Quantize.unitNaN ? 0 : recall)
        return 1 + UInt64(bitPattern: (d << 1) ^ (d >> 63))
    }

    /// The oracle code stored as `field` beside a recall code; nil when it is not a unit16 value.
    @inline(__always) static func oracleCode(field: UInt64, recall: UInt16) -> UInt16? {
        if field == 0 { return Quantize.unitNaN }
        guard field <= 1 << 18 else { return nil }
        let z = field - 1
        let d = Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
        let code = d + Int64(recall == Quantize.unitNaN ? 0 : recall)
        guard code >= 0, code < Int64(Quantize.unitNaN) else { return nil }
        return UInt16(code)
    }

    /// Encodes heads [first, first + count) of `ms` as layer `layer`, checking each as it goes.
    /// Reads each head's fields in place (no copy of the HeadMetrics, no retain of its topSinks);
    /// `MetricsReferenceEncoder` in the tests is the plain version it is checked against.
    /// With a `memo`, a head whose top sinks equal the ones it had when this memo last saw it
    /// (slot = first + head) gets those bytes copied (TopSinksMemo.swift; same output).
    static func encodeMetrics(_ ms: UnsafeBufferPointer<HeadMetrics>, layer: Int, first: Int, count: Int,
                              end: Int, memo: TopSinksMemo? = nil, into w: inout ByteWriter) throws {
        let cap = Format.maxPosition
        var previous: (visible: Int, selected: Int, overlap: UInt16, jaccard: UInt16)?   // stored forms
        let heads = ms.baseAddress! + first
        w.reserve(count * (maxHeadFieldBytes + maxTopSinksBytes(Format.maxTopSinks)) + 8)   // the most the block can take
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: topSinksScratchWords) { scratchBuffer in
        let scratch = scratchBuffer.baseAddress!
        for h in 0..<count {
            let m = heads + h
            if m.pointee.layer != layer || m.pointee.head != h {
                throw FrameProblem("metrics[\(first + h)] is layer \(m.pointee.layer) head \(m.pointee.head), expected layer-major order")
            }
            let visible = m.pointee.visibleKV, selected = m.pointee.selected
            if visible < 0 || visible > cap || selected < 0 || selected > cap {
                throw FrameProblem("metrics layer \(layer) head \(h): visible \(visible) / selected \(selected) out of range")
            }
            let sink1 = m.pointee.sinkMass1, sink4 = m.pointee.sinkMass4
            let entropy = m.pointee.entropy, recall = m.pointee.recall, outErr = m.pointee.outputError
            // NaN is stored as 0xFFFF by unit16: the flags come from the codes.
            let sink1Code = Quantize.unit16(sink1), sink4Code = Quantize.unit16(sink4)
            let entropyCode = Quantize.unit16(entropy), recallCode = Quantize.unit16(recall)
            let overlapCode = Quantize.unit16(m.pointee.overlapKept), jaccardCode = Quantize.unit16(m.pointee.jaccard)
            var flags: UInt8 = (sink1Code == Quantize.unitNaN ? 1 : 0) | (sink4Code == Quantize.unitNaN ? 2 : 0)
            flags |= (entropyCode == Quantize.unitNaN ? 4 : 0) | (recallCode == Quantize.unitNaN ? 8 : 0)
            flags |= (overlapCode == Quantize.unitNaN ? 16 : 0) | (jaccardCode == Quantize.unitNaN ? 32 : 0)
            flags |= outErr.isNaN ? 64 : 0
            // Policies that select per layer or per KV head give every head of a layer the same
            // visible/selected counts and overlap: store them once (compared as stored).
            if let p = previous, p.visible == visible, p.selected == selected,
               p.overlap == overlapCode, p.jaccard == jaccardCode {
                flags = flags & ~48 | 128
            }
            previous = (visible, selected, overlapCode, jaccardCode)
            w.putU8(flags)
            if flags & 128 == 0 {
                w.putZigzag(end - visible)
                w.putZigzag(visible - selected)
            }
            if flags & 1 == 0 { w.putU16(sink1Code) }
            if flags & 2 == 0 { w.putU16(sink4Code) }
            if flags & 4 == 0 { w.putU16(entropyCode) }
            if flags & 8 == 0 { w.putU16(recallCode) }
            if flags & (16 | 128) == 0 { w.putU16(overlapCode) }
            if flags & (32 | 128) == 0 { w.putU16(jaccardCode) }
            if flags & 64 == 0 { w.putU16(Quantize.half(outErr)) }
            w.putVarint(oracleField(oracle: Quantize.unit16(m.pointee.oracleRecall), recall: recallCode))
            // Top sinks: the closure reads the array in place and calls nothing (memo copy, or the
            // sort keys into scratch), so the array is not retained; the bitstream is written after.
            let slot = first + h
            let loaded = m.pointee.topSinks.withUnsafeBufferPointer { sinks -> LoadedTopSinks? in
                if sinks.count > Format.maxTopSinks { return LoadedTopSinks(count: sinks.count) }
                if let memo {
                    if memo.copy(slot: slot, ifSame: sinks, into: &w) { return nil }
                    memo.remember(slot: slot, sinks)
                }
                return loadTopSinkKeys(sinks, into: scratch)
            }
            guard let loaded else { continue }   // copied from the memo
            if loaded.count > Format.maxTopSinks {
                throw FrameProblem("metrics layer \(layer) head \(h): \(loaded.count) top sinks, at most \(Format.maxTopSinks)")
            }
            if let p = loaded.badPosition { throw FrameProblem("metrics layer \(layer) head \(h): sink position \(p) out of range") }
            let start = w.count
            putTopSinkKeys(scratch, loaded, into: &w)
            if let memo {
                w.withUnsafeBytes { memo.remember(slot: slot, count: loaded.count, encoded: $0.baseAddress! + start, length: $0.count - start) }
            }
        }
        }
    }

    /// Writes the whole record body. `scratch` is reused between steps. `ms` has L × H entries.
    static func encodeMetricsRecord(_ ms: [HeadMetrics], layers: Int, heads: Int, end: Int, memo: TopSinksMemo? = nil,
                                    scratch: inout ByteWriter, into w: inout ByteWriter) throws {
        memo?.reserve(slots: layers * heads)
        w.varint(layers); w.varint(heads); w.varint(end)
        scratch.removeAll()
        var sizes = ByteWriter(capacity: 3 * layers)
        try ms.withUnsafeBufferPointer { buf in
            for l in 0..<layers {
                let before = scratch.count
                try encodeMetrics(buf, layer: l, first: l * heads, count: heads, end: end, memo: memo, into: &scratch)
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
                                  previous: HeadMetrics?, oracle: Bool = true) throws -> HeadMetrics {
        var m = HeadMetrics.unknown
        try decodeHeadMetrics(&r, layer: layer, head: head, end: end, previous: previous, into: &m, oracle: oracle)
        return m
    }

    /// The same, into `m`, reusing the storage of its `topSinks` (no allocation when `m` comes from
    /// an earlier frame and its array is not shared). `topSinks: false` checks the sink bytes but
    /// leaves `m.topSinks` empty (for the diff, which does not compare them). `oracle`: the entry
    /// has the oracle field (version 2; `Format.hasOracle`).
    static func decodeHeadMetrics(_ r: inout ByteReader, layer: Int, head: Int, end: Int,
                                  previous: HeadMetrics?, into m: inout HeadMetrics, topSinks: Bool = true,
                                  oracle: Bool = true) throws {
        var carry = previous.map {
            SelectionCarry(visible: $0.visibleKV, selected: $0.selected, overlap: $0.overlapKept, jaccard: $0.jaccard)
        } ?? SelectionCarry()
        let f = try readHeadFields(&r, first: previous == nil, end: end, oracle: oracle, carry: &carry)
        var sinks = m.topSinks   // take the old storage (unique after m.topSinks is cleared)
        m.topSinks = []
        if topSinks {
            try decodeTopSinks(&r, into: &sinks)
        } else {
            sinks.removeAll(keepingCapacity: true)
            try skipTopSinks(&r)
        }
        m = HeadMetrics(layer: layer, head: head, visibleKV: f.visible, selected: f.selected,
                        sinkMass1: f.sink1, sinkMass4: f.sink4, entropy: f.entropy, recall: f.recall,
                        oracleRecall: f.oracle, outputError: f.outputError, overlapKept: f.overlap, jaccard: f.jaccard, topSinks: sinks)
    }

    /// One head entry up to its top sinks, every read bounds-checked: the one checked reader of the
    /// layout above (frames and `checkedHead` use it; `fastHead` is its fast twin). `carry` holds
    /// the previous head's selection fields, which flag bit 7 repeats (never on a block's `first` head),
    /// and is updated to this head's. `oracle`: the entry has the oracle field (version 2).
    static func readHeadFields(_ r: inout ByteReader, first: Bool, end: Int, oracle: Bool,
                               carry: inout SelectionCarry) throws -> StoredHeadFields {
        let flags = try r.u8()
        var f = StoredHeadFields()
        if flags & 128 != 0 {
            guard !first, flags & 48 == 0 else {
                throw r.error(.invalidValue(field: "metrics flags", value: String(flags)))
            }
            f.visible = carry.visible; f.selected = carry.selected
            f.overlap = carry.overlap; f.jaccard = carry.jaccard
        } else {
            f.visible = end - (try r.delta("visible KV"))
            f.selected = f.visible - (try r.delta("selected count"))
        }
        guard f.visible >= 0, f.visible <= Format.maxPosition, f.selected >= 0, f.selected <= Format.maxPosition else {
            throw r.error(.invalidValue(field: "visible/selected", value: "\(f.visible)/\(f.selected)"))
        }
        f.sink1 = flags & 1 == 0 ? try r.unit16() : .nan
        f.sink4 = flags & 2 == 0 ? try r.unit16() : .nan
        f.entropy = flags & 4 == 0 ? try r.unit16() : .nan
        let recallCode = flags & 8 == 0 ? try r.u16() : Quantize.unitNaN
        f.recall = Quantize.fromUnit16(recallCode)
        if flags & 128 == 0 {
            f.overlap = flags & 16 == 0 ? try r.unit16() : .nan
            f.jaccard = flags & 32 == 0 ? try r.unit16() : .nan
        }
        f.outputError = flags & 64 == 0 ? try r.half() : .nan
        if oracle {
            let at = r.position
            let field = try r.varint("oracle recall")
            guard let code = oracleCode(field: field, recall: recallCode) else {
                r.position = at
                throw r.error(.invalidValue(field: "oracle recall", value: String(field)))
            }
            f.oracle = Quantize.fromUnit16(code)
        }
        carry = SelectionCarry(visible: f.visible, selected: f.selected, overlap: f.overlap, jaccard: f.jaccard)
        return f
    }
}

/// A head entry's fields as stored (before its top sinks).
struct StoredHeadFields {
    var visible = 0, selected = 0
    var sink1: Float = .nan, sink4: Float = .nan, entropy: Float = .nan, recall: Float = .nan
    var outputError: Float = .nan, overlap: Float = .nan, jaccard: Float = .nan, oracle: Float = .nan
}
