// Skipping a head's top sinks (the tail of a head entry in the metrics record, Codec+Metrics.swift)
// without decoding them: for readers that do not use them (the diff's column decoder).
//
//   count varint (≤ Format.maxTopSinks) · count × (position gap varint · log8 score u8)

extension Codec {
    /// Moves `r` past one head's top sinks, with the checks the full decoder makes (count cap,
    /// positions within `Format.maxPosition`, bytes present), throwing the same errors. Raw loads
    /// when the record has room for the longest sinks; the checked loop otherwise, and for anything
    /// unusual (which it then reports).
    @inline(__always)
    static func skipTopSinks(_ r: inout ByteReader) throws {
        if let p = r.base, r.position < r.count {
            var q = r.position
            let n = Int(p.load(fromByteOffset: q, as: UInt8.self))   // a valid count is one byte
            q &+= 1
            if n <= Format.maxTopSinks, r.count - q >= n * 10 {       // a gap reads ≤ 8 bytes, a score 1
                var prev = 0, ok = true
                for _ in 0..<n {
                    guard let gap = fastVarint(p, &q), gap <= UInt64(Format.maxPosition - prev) else { ok = false; break }
                    q &+= 1   // score
                    prev &+= Int(gap)
                }
                if ok { r.position = q; return }
            }
        }
        let n = try r.elementCount("top sink count", cap: Format.maxTopSinks, minBytes: 2)
        var prev = 0
        for _ in 0..<n {
            let gap = try r.varint("sink position gap")
            guard gap <= UInt64(Format.maxPosition - prev) else {
                throw r.error(.invalidValue(field: "sink position", value: "\(prev) + \(gap)"))
            }
            _ = try r.u8()
            prev += Int(gap)
        }
    }
}
