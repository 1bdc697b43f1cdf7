// The metrics record (kind 3, layout in Codec+Metrics.swift) decoded into MetricColumns: the same
// reads, checks and errors as `TraceReader.metrics(step:into:topSinks: false)` followed by
// `Codec.decodeHeadMetrics`, but each value goes straight into its column (no HeadMetrics, no
// topSinks array, no copy of the previous head).
//
// Two decoders per head, kept side by side:
//   checkedHead  `Codec.readHeadFields`, the checked reader frames use too (bounds-checked,
//                throwing the reference's errors); top sinks skipped with `Codec.skipTopSinks`.
//   fastHead     raw loads where the record has room for the largest well-formed head (up to its
//                top sinks, which both skip with `Codec.skipTopSinks`, the one reader of their
//                encoding, Codec+TopSinks.swift); it gives
//                up (returns false, nothing consumed) on anything unusual: a varint of 9+ bytes, a
//                value out of range, bad flags, little room left. The head is then decoded again by
//                `checkedHead`, which throws the precise error. So both give the same columns and
//                the same errors (tested against frames and the reference diff).

/// Where decoded values go: field k of head i at `floats[k · n + i]`, counts at `visible[i]`, `selected[i]`.
struct MetricColumnPointers {
    let sink1, sink4, entropy, recall, outputError, overlap, jaccard, oracle: UnsafeMutablePointer<Float>
    let visible, selected: UnsafeMutablePointer<Int>

    init(floats: UnsafeMutablePointer<Float>, counts: UnsafeMutablePointer<Int>, n: Int) {
        sink1 = floats; sink4 = floats + n; entropy = floats + 2 * n; recall = floats + 3 * n
        outputError = floats + 4 * n; overlap = floats + 5 * n; jaccard = floats + 6 * n; oracle = floats + 7 * n
        visible = counts; selected = counts + n
    }
}

/// The previous head's selection fields, which flag bit 7 repeats (kept in registers, not re-read).
struct SelectionCarry {
    var visible = 0, selected = 0
    var overlap: Float = .nan, jaccard: Float = .nan
}

extension Codec {
    /// Decodes a whole metrics record body into `out` (n = L × H heads afterwards). `oracle`: the
    /// head entries have the oracle field (version 2); without it the oracle column is NaN.
    static func decodeMetricColumns(_ r: inout ByteReader, layers: Int, heads: Int, oracle: Bool = true,
                                    into out: inout MetricColumns, fast: Bool = true) throws {
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
                let cols = MetricColumnPointers(floats: f.baseAddress!, counts: c.baseAddress!, n: n)
                let base = r.base, limit = r.count
                var i = 0
                var carry = SelectionCarry()
                for l in 0..<layers {
                    var position = starts[l]   // kept in a register; r.position only for checked reads
                    for h in 0..<heads {
                        if fast, let base,
                           fastHead(base, &position, limit: limit, cols, i, first: h == 0, end: end, oracle: oracle, &carry) {
                            // The head's top sinks: always through skipTopSinks, the one reader of
                            // their encoding (Codec+TopSinks.swift), so a format change stays there.
                            r.position = position
                            try skipTopSinks(&r)
                            position = r.position
                            i += 1
                            continue
                        }
                        r.position = position
                        try checkedHead(&r, cols, i, first: h == 0, end: end, oracle: oracle, &carry)
                        position = r.position
                        i += 1
                    }
                    r.position = position
                    if r.position != starts[l + 1] {
                        throw r.error(.invalidValue(field: "metrics layer \(l) block",
                                                    value: "heads end at \(r.position), block at \(starts[l + 1])"))
                    }
                }
            }
        }
    }

    // MARK: - Checked

    /// Head i, every read bounds-checked (`readHeadFields`, the reference for `fastHead`).
    static func checkedHead(_ r: inout ByteReader, _ c: MetricColumnPointers, _ i: Int, first: Bool, end: Int,
                            oracle: Bool, _ carry: inout SelectionCarry) throws {
        let f = try readHeadFields(&r, first: first, end: end, oracle: oracle, carry: &carry)
        c.visible[i] = f.visible; c.selected[i] = f.selected
        c.sink1[i] = f.sink1; c.sink4[i] = f.sink4; c.entropy[i] = f.entropy; c.recall[i] = f.recall
        c.overlap[i] = f.overlap; c.jaccard[i] = f.jaccard; c.outputError[i] = f.outputError
        c.oracle[i] = f.oracle
        try skipTopSinks(&r)
    }

    // MARK: - Fast

    /// The most bytes `fastHead` reads (flags, two varints of ≤ 8 bytes, seven u16, the oracle
    /// varint of ≤ 8 bytes), with room to spare.
    static let fastHeadRoom = 1 + 9 + 9 + 7 * 2 + 9

    /// Head i from raw bytes at `position` (< `limit`, the record end), up to its top sinks (left at
    /// `position`); false when it leaves the head to `checkedHead` (then `position`, `carry` and the
    /// columns of heads before i are unchanged).
    @inline(__always)
    static func fastHead(_ p: UnsafeRawPointer, _ position: inout Int, limit: Int, _ c: MetricColumnPointers,
                         _ i: Int, first: Bool, end: Int, oracle: Bool, _ carry: inout SelectionCarry) -> Bool {
        var q = position
        guard limit - q > fastHeadRoom else { return false }
        let flags = p.load(fromByteOffset: q, as: UInt8.self)
        q += 1
        let visible: Int, selected: Int
        if flags & 128 != 0 {
            guard !first, flags & 48 == 0 else { return false }
            visible = carry.visible; selected = carry.selected
            c.overlap[i] = carry.overlap; c.jaccard[i] = carry.jaccard
        } else {
            guard let dv = fastDelta(p, &q), let ds = fastDelta(p, &q) else { return false }
            visible = end - dv
            selected = visible - ds
        }
        guard visible >= 0, visible <= Format.maxPosition, selected >= 0, selected <= Format.maxPosition else {
            return false
        }
        @inline(__always) func u16() -> UInt16 {
            let v = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: q, as: UInt16.self))
            q &+= 2
            return v
        }
        c.visible[i] = visible; c.selected[i] = selected
        var overlap = carry.overlap, jaccard = carry.jaccard
        c.sink1[i] = flags & 1 == 0 ? Quantize.fromUnit16Fast(u16()) : .nan
        c.sink4[i] = flags & 2 == 0 ? Quantize.fromUnit16Fast(u16()) : .nan
        c.entropy[i] = flags & 4 == 0 ? Quantize.fromUnit16Fast(u16()) : .nan
        let recallCode = flags & 8 == 0 ? u16() : Quantize.unitNaN
        c.recall[i] = Quantize.fromUnit16Fast(recallCode)
        if flags & 128 == 0 {
            overlap = flags & 16 == 0 ? Quantize.fromUnit16Fast(u16()) : .nan
            jaccard = flags & 32 == 0 ? Quantize.fromUnit16Fast(u16()) : .nan
            c.overlap[i] = overlap; c.jaccard[i] = jaccard
        }
        c.outputError[i] = flags & 64 == 0 ? Quantize.fromHalf(u16()) : .nan
        if oracle {
            guard let field = fastVarint(p, &q), let code = oracleCode(field: field, recall: recallCode) else { return false }
            c.oracle[i] = Quantize.fromUnit16Fast(code)
        } else {
            c.oracle[i] = .nan
        }
        position = q   // at the top sinks, which the caller skips with `skipTopSinks`
        carry = SelectionCarry(visible: visible, selected: selected, overlap: overlap, jaccard: jaccard)
        return true
    }

    /// A varint of at most 8 bytes (values < 2^56), or nil for a longer one (left to ByteReader).
    @inline(__always)
    static func fastVarint(_ p: UnsafeRawPointer, _ q: inout Int) -> UInt64? {
        var b = UInt64(p.load(fromByteOffset: q, as: UInt8.self))
        q &+= 1
        if b < 0x80 { return b }
        var result = b & 0x7F
        var shift: UInt64 = 7
        while shift < 56 {
            b = UInt64(p.load(fromByteOffset: q, as: UInt8.self))
            q &+= 1
            result |= (b & 0x7F) << shift
            if b < 0x80 { return result }
            shift &+= 7
        }
        return nil
    }

    /// `ByteReader.delta`: a zigzag varint of magnitude ≤ Format.maxPosition, or nil.
    @inline(__always)
    static func fastDelta(_ p: UnsafeRawPointer, _ q: inout Int) -> Int? {
        guard let u = fastVarint(p, &q) else { return nil }
        let v = Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
        guard v <= Int64(Format.maxPosition), v >= -Int64(Format.maxPosition) else { return nil }
        return Int(v)
    }
}

extension Quantize {
    /// `fromUnit16` without a float division (~10 cycles each, six per head): the quotient
    /// q / 65534 computed in Double and rounded once to Float. Equal to `fromUnit16` for all 65 536
    /// codes (tested): the Double product is within 2^-52 of q / 65534, which is never that close
    /// to a point halfway between two Floats (a non-dyadic fraction with denominator ≤ 32 767).
    @inline(__always) static func fromUnit16Fast(_ q: UInt16) -> Float {
        q == unitNaN ? .nan : Float(Double(q) * (1 / 65534.0))
    }

    /// `Float(Float16(bitPattern: bits))` by bit manipulation: AttnTrace is built without F16C, where
    /// that conversion is a libgcc call. Equal for every non-NaN pattern (tested on all 65 536);
    /// NaN stays NaN.
    @inline(__always) static func fromHalf(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exp = UInt32(bits >> 10) & 0x1F
        let mant = UInt32(bits & 0x3FF)
        if exp == 0 {   // zero or subnormal: mant · 2^-24, exact in Float
            let v = Float(mant) * 0x1p-24
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | mant << 13) }   // inf, NaN
        return Float(bitPattern: sign | (exp + 112) << 23 | mant << 13)
    }
}
