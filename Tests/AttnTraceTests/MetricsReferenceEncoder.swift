@testable import AttnTrace

/// The metrics record written the obvious way (one head at a time, a copy of each, Float checks
/// before quantizing, the plain top-sink encoder): the oracle for `Codec.encodeMetricsRecord`,
/// which reads heads in place and must produce the same bytes.
enum MetricsReferenceEncoder {
    static func record(_ ms: [HeadMetrics], layers: Int, heads: Int, end: Int) -> [UInt8] {
        var w = ByteWriter()
        w.varint(layers); w.varint(heads); w.varint(end)
        var blocks: [[UInt8]] = []
        for l in 0..<layers {
            blocks.append(block(Array(ms[(l * heads)..<((l + 1) * heads)]), end: end))
        }
        for b in blocks { w.varint(b.count) }
        for b in blocks { w.append(b) }
        return w.bytes
    }

    static func block(_ heads: [HeadMetrics], end: Int) -> [UInt8] {
        var w = ByteWriter()
        var previous: HeadMetrics?
        for m in heads {
            var flags: UInt8 = 0
            for (bit, v) in [m.sinkMass1, m.sinkMass4, m.entropy, m.recall, m.overlapKept, m.jaccard, m.outputError].enumerated()
            where v.isNaN { flags |= 1 << UInt8(bit) }
            if let p = previous, p.visibleKV == m.visibleKV, p.selected == m.selected,
               Quantize.unit16(p.overlapKept) == Quantize.unit16(m.overlapKept),
               Quantize.unit16(p.jaccard) == Quantize.unit16(m.jaccard) {
                flags = flags & ~48 | 128
            }
            previous = m
            w.u8(flags)
            if flags & 128 == 0 { w.zigzag(end - m.visibleKV); w.zigzag(m.visibleKV - m.selected) }
            for (bit, v) in [m.sinkMass1, m.sinkMass4, m.entropy, m.recall].enumerated() where flags & (1 << UInt8(bit)) == 0 {
                w.unit16(v)
            }
            if flags & (16 | 128) == 0 { w.unit16(m.overlapKept) }
            if flags & (32 | 128) == 0 { w.unit16(m.jaccard) }
            if flags & 64 == 0 { w.half(m.outputError) }
            // version 2: oracle recall as a zigzag step in unit16 codes from recall (0 = NaN)
            if m.oracleRecall.isNaN {
                w.varint(0)
            } else {
                let base = m.recall.isNaN ? 0 : Int(Quantize.unit16(m.recall))
                w.varint(1 + UInt64(zigzag: Int(Quantize.unit16(m.oracleRecall)) - base))
            }
            w.append(TopSinksReference.encode(m.topSinks))
        }
        return w.bytes
    }
}

extension UInt64 {
    init(zigzag v: Int) { self = v >= 0 ? UInt64(2 * v) : UInt64(-2 * v - 1) }
}
