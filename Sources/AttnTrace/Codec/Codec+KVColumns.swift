// The KV residency record (kind 4, Codec+Step.swift) and the selections record (kind 5,
// Codec+Selections.swift) decoded into columns: the same reads, checks and errors as
// `Codec.decodeKV` and `Codec.decodeSelections`, into buffers reused from step to step (no array
// per KV head or per selected set).

extension Codec {
    static func decodeKVColumns(_ r: inout ByteReader, layers: Int, kvHeads: Int, into out: inout KVColumns) throws {
        try expectShape(&r, layers: layers, heads: kvHeads, what: "kv heads")
        let n = layers * kvHeads
        out.count = 0
        out.evicted.removeAll(keepingCapacity: true)
        if out.entries.count != n {
            out.entries = [Int](repeating: 0, count: n)
            out.bytes = [Int](repeating: 0, count: n)
            out.evictedStart = [Int](repeating: 0, count: n + 1)
        }
        try out.entries.withUnsafeMutableBufferPointer { entries in
            try out.bytes.withUnsafeMutableBufferPointer { bytes in
                try out.evictedStart.withUnsafeMutableBufferPointer { start in
                    start[0] = 0
                    for k in 0..<n {
                        // Fast path: three short varints and no evicted positions (most steps).
                        if let p = r.base, r.remaining > 3 * 8 {   // fastVarint reads ≤ 8 bytes
                            var q = r.position
                            if let e = fastVarint(p, &q), e <= UInt64(Format.maxPosition),
                               let b = fastVarint(p, &q), b <= UInt64(Int.max / 2),
                               p.load(fromByteOffset: q, as: UInt8.self) == 0 {
                                entries[k] = Int(e); bytes[k] = Int(b)
                                start[k + 1] = out.evicted.count
                                r.position = q + 1
                                out.count = k + 1
                                continue
                            }
                        }
                        entries[k] = try r.count("kv entries", cap: Format.maxPosition)
                        bytes[k] = try r.count("kv bytes", cap: Int.max / 2)
                        let count = try elementCount(&r, "evicted count", cap: Format.maxPosition, minBytes: 1)
                        try readEvictedPositions(&r, count: count, into: &out.evicted)
                        start[k + 1] = out.evicted.count
                        out.count = k + 1
                    }
                }
            }
        }
    }

    /// `ByteReader.elementCount`, inlined (it is called for every KV head and selected set).
    @inline(__always)
    static func elementCount(_ r: inout ByteReader, _ field: String, cap: Int, minBytes: Int) throws -> Int {
        let n = try r.count(field, cap: cap)
        if n > r.remaining / minBytes {
            throw r.error(.truncatedRecord(kind: r.what, needed: n * minBytes, available: r.remaining))
        }
        return n
    }

    static func decodeSelectionColumns(_ r: inout ByteReader, layers: Int, heads: Int,
                                       into out: inout SelectionColumns) throws {
        out.present = false
        out.count = 0
        out.ranges.removeAll(keepingCapacity: true)
        try expectShape(&r, layers: layers, heads: heads, what: "heads")
        let end = try r.count("selection end position", cap: Format.maxPosition)
        let total = layers * heads
        if out.spans.count != total { out.spans = [Range<Int>](repeating: 0..<0, count: total) }
        try out.spans.withUnsafeMutableBufferPointer { spans in
            var previous: Range<Int>?   // span of the last explicit set
            for i in 0..<total {
                let mode = try r.u8()
                if mode == 0 {
                    guard let p = previous else {
                        throw r.error(.invalidValue(field: "selection mode", value: "0 (repeat) for the first head"))
                    }
                    spans[i] = p
                    continue
                }
                guard mode == 1 || mode == 2 else {
                    throw r.error(.invalidValue(field: "selection mode", value: String(mode)))
                }
                let n = try elementCount(&r, "range count", cap: Format.maxPosition, minBytes: 1)
                if mode == 2 && n == 0 {
                    throw r.error(.invalidValue(field: "range count", value: "0 in an anchored selection"))
                }
                let first = out.ranges.count
                try readSelectionRanges(&r, anchored: mode == 2, count: n, end: end) { out.ranges.append($0) }
                previous = first..<out.ranges.count
                spans[i] = first..<out.ranges.count
            }
        }
        if !r.isAtEnd {
            throw r.error(.invalidValue(field: "selections record", value: "\(r.remaining) trailing bytes"))
        }
        out.count = total
        out.present = true
    }
}
