// Skipping a head's top sinks (the tail of a head entry in the metrics record, Codec+Metrics.swift)
// without decoding them: for readers that do not use them (the diff's column decoder).
//
//   count varint (≤ Format.maxTopSinks) · count × (position gap varint · log8 score u8)

extension Codec {
    /// Moves `r` past one head's top sinks, with the checks the full decoder makes (count cap,
    /// positions within `Format.maxPosition`, bytes present), throwing the same errors.
    @inline(__always)
    static func skipTopSinks(_ r: inout ByteReader) throws {
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
