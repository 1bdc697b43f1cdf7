// Selections record (kind 5): the key positions each query head attended to at one step.
//
//   L varint · H varint · end varint (position + query count of the step)
//   L × H heads, layer-major, each one of:
//     0                       same ranges as the previous head of this record
//     1 · n · n × (gap, len)  explicit ranges; gap = start − end of the previous range (first: start)
//     2 · n · (n−1) × (gap, len) · len   as 1, but the last range ends at `end` (a window at the
//                             query), so a sliding sink + window costs the same bytes at every step
//
// A selection that does not change relative to the query (sink + window) costs 6 bytes for the
// first head and 1 byte for each head that repeats it.

extension Codec {
    static func encodeSelections(_ sel: [HeadSelection], layers: Int, heads: Int, end: Int,
                                 into w: inout ByteWriter) throws {
        w.varint(layers); w.varint(heads); w.varint(end)
        var previous: [Range<Int>]? = nil
        for (i, s) in sel.enumerated() {
            if s.layer != i / heads || s.head != i % heads {
                throw FrameProblem("selections[\(i)] is layer \(s.layer) head \(s.head), expected layer-major order")
            }
            if let p = previous, p == s.ranges { w.u8(0); continue }
            var prevEnd = 0
            for r in s.ranges {
                if r.isEmpty || r.lowerBound < prevEnd || r.upperBound > Format.maxPosition {
                    throw FrameProblem("selection layer \(s.layer) head \(s.head): ranges must be non-empty, sorted, disjoint, ≥ 0")
                }
                prevEnd = r.upperBound
            }
            previous = s.ranges
            let anchored = s.ranges.last?.upperBound == end
            w.u8(anchored ? 2 : 1)
            w.varint(s.ranges.count)
            prevEnd = 0
            for (k, r) in s.ranges.enumerated() {
                if anchored && k == s.ranges.count - 1 { w.varint(r.count); break }
                w.varint(r.lowerBound - prevEnd); w.varint(r.count)
                prevEnd = r.upperBound
            }
        }
    }

    /// Decodes heads in order until `stopAfter` (layer-major head number) when given, else all.
    static func decodeSelections(_ r: inout ByteReader, layers: Int, heads: Int,
                                 stopAfter: Int? = nil) throws -> [HeadSelection] {
        try expectShape(&r, layers: layers, heads: heads, what: "heads")
        let end = try r.count("selection end position", cap: Format.maxPosition)
        let total = stopAfter.map { $0 + 1 } ?? layers * heads
        var out: [HeadSelection] = []
        out.reserveCapacity(stopAfter == nil ? min(total, r.remaining) : 1)   // ≥ 1 byte each
        var previous: [Range<Int>]? = nil
        for i in 0..<total {
            let mode = try r.u8()
            var ranges: [Range<Int>]
            switch mode {
            case 0:
                guard let p = previous else {
                    throw r.error(.invalidValue(field: "selection mode", value: "0 (repeat) for the first head"))
                }
                ranges = p
            case 1, 2:
                let n = try r.elementCount("range count", cap: Format.maxPosition, minBytes: 1)
                if mode == 2 && n == 0 {
                    throw r.error(.invalidValue(field: "range count", value: "0 in an anchored selection"))
                }
                var read: [Range<Int>] = []
                read.reserveCapacity(n)
                try readSelectionRanges(&r, anchored: mode == 2, count: n, end: end) { read.append($0) }
                ranges = read
                previous = ranges
            default:
                throw r.error(.invalidValue(field: "selection mode", value: String(mode)))
            }
            if stopAfter == nil || i == total - 1 {
                out.append(HeadSelection(layer: i / heads, head: i % heads, ranges: ranges))
            }
        }
        if stopAfter == nil && !r.isAtEnd {
            throw r.error(.invalidValue(field: "selections record", value: "\(r.remaining) trailing bytes"))
        }
        return out
    }
}

extension Codec {
    /// The n ranges of an explicit (mode 1) or anchored (mode 2) selection set, in order, each a
    /// (gap after the previous range, length) pair; an anchored set's last range is a length that
    /// ends at `end`. The one reader of them (the frame and the column decoders both call it).
    @inline(__always)
    static func readSelectionRanges(_ r: inout ByteReader, anchored: Bool, count n: Int, end: Int,
                                    _ add: (Range<Int>) -> Void) throws {
        var prevEnd = 0
        for k in 0..<n {
            let start: Int, len: Int
            if anchored && k == n - 1 {
                len = try r.count("range length", cap: Format.maxPosition)
                start = end - len
            } else {
                start = prevEnd + (try r.count("range gap", cap: Format.maxPosition))
                len = try r.count("range length", cap: Format.maxPosition)
            }
            guard len >= 1, start >= prevEnd, start + len <= 2 * Format.maxPosition else {
                throw r.error(.invalidValue(field: "selection range", value: "start \(start) length \(len)"))
            }
            add(start..<(start + len))
            prevEnd = start + len
        }
    }
}
