// The KV residency record (kind 4, Codec+Step.swift) and the selections record (kind 5,
// Codec+Selections.swift) decoded into columns: the same reads, checks and errors as
// `Codec.decodeKV` and `Codec.decodeSelections`, into buffers reused from step to step (no array
// per KV head or per selected set).

extension Codec {
    static func decodeKVColumns(_ r: inout ByteReader, layers: Int, kvHeads: Int, into out: inout KVColumns) throws {
        try expectShape(&r, layers: layers, heads: kvHeads, what: "kv heads")
        out.count = 0
        out.entries.removeAll(keepingCapacity: true)
        out.bytes.removeAll(keepingCapacity: true)
        out.evictedStart.removeAll(keepingCapacity: true)
        out.evicted.removeAll(keepingCapacity: true)
        out.evictedStart.append(0)
        for _ in 0..<(layers * kvHeads) {
            let entries = try r.count("kv entries", cap: Format.maxPosition)
            let bytes = try r.count("kv bytes", cap: Int.max / 2)
            let n = try r.elementCount("evicted count", cap: Format.maxPosition, minBytes: 1)
            var prev = 0
            for i in 0..<n {
                let d = try r.count("evicted position", cap: Format.maxPosition)
                if i > 0 && d == 0 { throw r.error(.invalidValue(field: "evicted position gap", value: "0")) }
                prev += d
                if prev > Format.maxPosition { throw r.error(.lengthOverflow(field: "evicted position")) }
                out.evicted.append(prev)
            }
            out.entries.append(entries)
            out.bytes.append(bytes)
            out.evictedStart.append(out.evicted.count)
            out.count += 1
        }
    }

    static func decodeSelectionColumns(_ r: inout ByteReader, layers: Int, heads: Int,
                                       into out: inout SelectionColumns) throws {
        out.present = false
        out.count = 0
        out.ranges.removeAll(keepingCapacity: true)
        out.spans.removeAll(keepingCapacity: true)
        try expectShape(&r, layers: layers, heads: heads, what: "heads")
        let end = try r.count("selection end position", cap: Format.maxPosition)
        var previous: Range<Int>?   // span of the last explicit set
        for _ in 0..<(layers * heads) {
            let mode = try r.u8()
            switch mode {
            case 0:
                guard let p = previous else {
                    throw r.error(.invalidValue(field: "selection mode", value: "0 (repeat) for the first head"))
                }
                out.spans.append(p)
            case 1, 2:
                let n = try r.elementCount("range count", cap: Format.maxPosition, minBytes: 1)
                if mode == 2 && n == 0 {
                    throw r.error(.invalidValue(field: "range count", value: "0 in an anchored selection"))
                }
                let first = out.ranges.count
                var prevEnd = 0
                for k in 0..<n {
                    let start: Int, len: Int
                    if mode == 2 && k == n - 1 {
                        len = try r.count("range length", cap: Format.maxPosition)
                        start = end - len
                    } else {
                        start = prevEnd + (try r.count("range gap", cap: Format.maxPosition))
                        len = try r.count("range length", cap: Format.maxPosition)
                    }
                    guard len >= 1, start >= prevEnd, start + len <= 2 * Format.maxPosition else {
                        throw r.error(.invalidValue(field: "selection range", value: "start \(start) length \(len)"))
                    }
                    out.ranges.append(start..<(start + len))
                    prevEnd = start + len
                }
                previous = first..<out.ranges.count
                out.spans.append(first..<out.ranges.count)
            default:
                throw r.error(.invalidValue(field: "selection mode", value: String(mode)))
            }
            out.count += 1
        }
        if !r.isAtEnd {
            throw r.error(.invalidValue(field: "selections record", value: "\(r.remaining) trailing bytes"))
        }
        out.present = true
    }
}
