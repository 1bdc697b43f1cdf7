// Step record (kind 2), KV residency record (kind 4) and annotation record (kind 7).

extension Codec {
    // MARK: - Step

    static func encode(_ s: StepInfo, into w: inout ByteWriter) {
        w.varint(s.index)
        w.u8(s.phase.rawValue)
        w.varint(s.position)
        w.varint(s.queryCount)
        w.varint(s.wallNanos)
        if let t = s.emittedToken {
            w.u8(1); w.zigzag(Int(t.id)); w.string(t.text)
        } else {
            w.u8(0)
        }
        w.varint(s.layerTimes.count)
        for t in s.layerTimes { w.varint(t.attentionNanos); w.varint(t.restNanos) }
    }

    static func decodeStep(_ r: inout ByteReader, layers: Int) throws -> StepInfo {
        let index = try r.count("step index", cap: Format.maxSteps)
        let phaseByte = try r.u8()
        guard let phase = Phase(rawValue: phaseByte) else {
            throw r.error(.invalidValue(field: "phase", value: String(phaseByte)))
        }
        let position = try r.count("position", cap: Format.maxPosition)
        let queries = try r.count("query count", cap: Format.maxPosition)
        let wall = try r.varint("wall time")
        var emitted: TokenInfo?
        switch try r.u8() {
        case 0: emitted = nil
        case 1:
            let id = try r.zigzag("emitted token id")
            guard let id32 = Int32(exactly: id) else {
                throw r.error(.invalidValue(field: "emitted token id", value: String(id)))
            }
            emitted = TokenInfo(id: id32, text: try r.string("emitted token text"))
        case let b: throw r.error(.invalidValue(field: "emitted token flag", value: String(b)))
        }
        let n = try r.count("layer time count", cap: layers)
        guard n == 0 || n == layers else {
            throw r.error(.shapeMismatch("\(n) layer times for \(layers) layers"))
        }
        var times: [LayerTime] = []
        times.reserveCapacity(n)
        for _ in 0..<n {
            times.append(LayerTime(attentionNanos: try r.varint("attention time"),
                                   restNanos: try r.varint("rest time")))
        }
        return StepInfo(index: index, phase: phase, position: position, queryCount: queries,
                        emittedToken: emitted, wallNanos: wall, layerTimes: times)
    }

    // MARK: - KV residency: L, G, then per (layer, kv head): entries, bytes, evicted positions

    /// Reads each entry in place (no copy, so no retain of its `evicted` array) and reserves the
    /// record's room once, so that the varints below are unchecked stores.
    static func encode(_ kv: [KVResidency], layers: Int, kvHeads: Int, into w: inout ByteWriter) throws {
        w.varint(layers); w.varint(kvHeads)
        try kv.withUnsafeBufferPointer { all in
            guard let first = all.baseAddress else { return }
            var most = 0   // bytes: 3 varints per entry, one per evicted position
            for i in 0..<all.count { most &+= 10 &* (3 &+ first[i].evicted.count) }
            w.reserve(most)
            for i in 0..<all.count {
                let e = first + i
                if e.pointee.layer != i / kvHeads || e.pointee.kvHead != i % kvHeads {
                    throw FrameProblem("kv[\(i)] is layer \(e.pointee.layer) kv head \(e.pointee.kvHead), expected layer-major order")
                }
                let entries = e.pointee.entries, bytes = e.pointee.bytes
                if entries < 0 || entries > Format.maxPosition || bytes < 0 || bytes > Int.max / 2 {
                    throw FrameProblem("kv layer \(e.pointee.layer) head \(e.pointee.kvHead): entries \(entries) / bytes \(bytes) out of range")
                }
                w.putVarint(UInt64(entries)); w.putVarint(UInt64(bytes))
                let ascending = e.pointee.evicted.withUnsafeBufferPointer { evicted -> Bool in
                    w.putVarint(UInt64(evicted.count))
                    var prev = -1
                    for p in evicted {   // first absolute, then gaps ≥ 1
                        if p <= prev || p > Format.maxPosition { return false }
                        w.putVarint(UInt64(prev < 0 ? p : p - prev)); prev = p
                    }
                    return true
                }
                if !ascending {
                    throw FrameProblem("kv layer \(e.pointee.layer) head \(e.pointee.kvHead): evicted positions must ascend and be ≥ 0")
                }
            }
        }
    }

    static func decodeKV(_ r: inout ByteReader, layers: Int, kvHeads: Int) throws -> [KVResidency] {
        try expectShape(&r, layers: layers, heads: kvHeads, what: "kv heads")
        var out: [KVResidency] = []
        out.reserveCapacity(min(layers * kvHeads, r.remaining / 3))   // ≥ 3 bytes each: no allocation beyond the bytes
        for l in 0..<layers {
            for g in 0..<kvHeads {
                let entries = try r.count("kv entries", cap: Format.maxPosition)
                let bytes = try r.count("kv bytes", cap: Int.max / 2)
                let n = try r.elementCount("evicted count", cap: Format.maxPosition, minBytes: 1)
                var evicted: [Int] = []
                evicted.reserveCapacity(n)
                try readEvictedPositions(&r, count: n, into: &evicted)
                out.append(KVResidency(layer: l, kvHead: g, entries: entries, bytes: bytes, evicted: evicted))
            }
        }
        return out
    }

    /// Appends `count` evicted positions stored as gaps (the first from 0, then each > 0, so the
    /// list is strictly ascending) to `out`. The one reader of the field: the frame decoder and
    /// the diff's column decoder both call it.
    @inline(__always)
    static func readEvictedPositions(_ r: inout ByteReader, count: Int, into out: inout [Int]) throws {
        var prev = 0
        for i in 0..<count {
            let d = try r.count("evicted position", cap: Format.maxPosition)
            if i > 0 && d == 0 { throw r.error(.invalidValue(field: "evicted position gap", value: "0")) }
            prev += d
            if prev > Format.maxPosition { throw r.error(.lengthOverflow(field: "evicted position")) }
            out.append(prev)
        }
    }

    /// Reads the (layers, heads) pair that opens a per-head record and checks it against the header.
    static func expectShape(_ r: inout ByteReader, layers: Int, heads: Int, what: String) throws {
        let l = try r.count("layer count", cap: Format.maxLayers)
        let h = try r.count("head count", cap: Format.maxHeads)
        guard l == layers, h == heads else {
            throw r.error(.shapeMismatch("record has \(l) layers × \(h) \(what), header says \(layers) × \(heads)"))
        }
    }
}
