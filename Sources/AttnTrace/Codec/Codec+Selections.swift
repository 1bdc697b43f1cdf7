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
    /// Reads each head in place (no copy, so no retain of its ranges) and reserves the record's
    /// room once, so that the bytes below are unchecked stores.
    static func encodeSelections(_ sel: [HeadSelection], layers: Int, heads: Int, end: Int,
                                 into w: inout ByteWriter) throws {
        w.varint(layers); w.varint(heads); w.varint(end)
        try sel.withUnsafeBufferPointer { all in
            guard let first = all.baseAddress else { return }
            var most = 0   // bytes: mode, count, two varints per range
            for i in 0..<all.count { most &+= 11 &+ 20 &* first[i].ranges.count }
            w.reserve(most)
            var previous: UnsafePointer<HeadSelection>? = nil   // the last head written out in full
            for i in 0..<all.count {
                let s = first + i
                if s.pointee.layer != i / heads || s.pointee.head != i % heads {
                    throw FrameProblem("selections[\(i)] is layer \(s.pointee.layer) head \(s.pointee.head), expected layer-major order")
                }
                if let p = previous, sameRanges(p, s) { w.putU8(0); continue }
                let valid = s.pointee.ranges.withUnsafeBufferPointer { ranges -> Bool in
                    var prevEnd = 0
                    for r in ranges {
                        if r.isEmpty || r.lowerBound < prevEnd || r.upperBound > Format.maxPosition { return false }
                        prevEnd = r.upperBound
                    }
                    let anchored = ranges.last?.upperBound == end
                    w.putU8(anchored ? 2 : 1)
                    w.putVarint(UInt64(ranges.count))
                    prevEnd = 0
                    for (k, r) in ranges.enumerated() {
                        if anchored && k == ranges.count - 1 { w.putVarint(UInt64(r.count)); break }
                        w.putVarint(UInt64(r.lowerBound - prevEnd)); w.putVarint(UInt64(r.count))
                        prevEnd = r.upperBound
                    }
                    return true
                }
                if !valid {
                    throw FrameProblem("selection layer \(s.pointee.layer) head \(s.pointee.head): ranges must be non-empty, sorted, disjoint, ≥ 0")
                }
                previous = s
            }
        }
    }

    /// Whether two heads selected the same ranges (the same array storage, or equal elements).
    @inline(__always)
    private static func sameRanges(_ a: UnsafePointer<HeadSelection>, _ b: UnsafePointer<HeadSelection>) -> Bool {
        a.pointee.ranges.withUnsafeBufferPointer { x in
            b.pointee.ranges.withUnsafeBufferPointer { y in
                if x.count != y.count { return false }
                if x.baseAddress == y.baseAddress { return true }
                for i in 0..<x.count where x[i] != y[i] { return false }
                return true
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
