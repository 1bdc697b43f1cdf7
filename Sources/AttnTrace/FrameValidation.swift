/// What a writer refuses to store: anything a reader would reject, caught before any byte is written.
enum FrameValidation {
    /// Why `frame` cannot be written as step `expectedIndex` of a run with `header`, or nil.
    static func problem(_ f: StepFrame, header: RunHeader, expectedIndex: Int) -> String? {
        let m = header.model
        let s = f.step
        let cap = Format.maxPosition
        if s.index != expectedIndex { return "step index \(s.index), expected \(expectedIndex) (steps are 0, 1, 2 …)" }
        if expectedIndex >= Format.maxSteps { return "too many steps" }
        if s.position < 0 || s.queryCount < 0 || s.position > cap - s.queryCount {
            return "position \(s.position) / query count \(s.queryCount) out of range"
        }
        if !s.layerTimes.isEmpty && s.layerTimes.count != m.layers {
            return "\(s.layerTimes.count) layer times for \(m.layers) layers"
        }
        if let t = s.emittedToken, t.text.utf8.count > Format.maxStringBytes { return "emitted token text too long" }

        if f.metrics.count != m.layers * m.heads {
            return "\(f.metrics.count) head metrics, expected layers × heads = \(m.layers * m.heads)"
        }
        for (i, h) in f.metrics.enumerated() {
            if h.layer != i / m.heads || h.head != i % m.heads {
                return "metrics[\(i)] is layer \(h.layer) head \(h.head), expected layer-major order"
            }
            if h.visibleKV < 0 || h.visibleKV > cap || h.selected < 0 || h.selected > cap {
                return "metrics layer \(h.layer) head \(h.head): visible/selected out of range"
            }
            if h.topSinks.count > Format.maxTopSinks { return "more than \(Format.maxTopSinks) top sinks" }
            for t in h.topSinks where t.position < 0 || t.position > cap {
                return "metrics layer \(h.layer) head \(h.head): sink position \(t.position) out of range"
            }
        }

        if f.kv.count != m.layers * m.kvHeads {
            return "\(f.kv.count) KV residency entries, expected layers × kv heads = \(m.layers * m.kvHeads)"
        }
        for (i, k) in f.kv.enumerated() {
            if k.layer != i / m.kvHeads || k.kvHead != i % m.kvHeads {
                return "kv[\(i)] is layer \(k.layer) kv head \(k.kvHead), expected layer-major order"
            }
            if k.entries < 0 || k.entries > cap || k.bytes < 0 || k.bytes > Int.max / 2 {
                return "kv layer \(k.layer) head \(k.kvHead): entries/bytes out of range"
            }
            var prev = -1
            for p in k.evicted {
                if p <= prev || p > cap { return "kv layer \(k.layer) head \(k.kvHead): evicted positions must ascend" }
                prev = p
            }
        }

        if !f.selections.isEmpty {
            if f.selections.count != m.layers * m.heads {
                return "\(f.selections.count) selections, expected none or layers × heads = \(m.layers * m.heads)"
            }
            for (i, sel) in f.selections.enumerated() {
                if sel.layer != i / m.heads || sel.head != i % m.heads {
                    return "selections[\(i)] is layer \(sel.layer) head \(sel.head), expected layer-major order"
                }
                var prevEnd = 0
                for r in sel.ranges {
                    if r.isEmpty || r.lowerBound < prevEnd || r.upperBound > cap {
                        return "selection layer \(sel.layer) head \(sel.head): ranges must be non-empty, sorted, disjoint, ≥ 0"
                    }
                    prevEnd = r.upperBound
                }
            }
        }

        for r in f.rows {
            if r.layer < 0 || r.layer >= m.layers || r.head < 0 || r.head >= m.heads {
                return "rows for layer \(r.layer) head \(r.head) outside the model"
            }
            let (n, overflow) = r.rows.multipliedReportingOverflow(by: r.cols)
            if r.rows < 0 || r.cols < 0 || overflow || n > Format.maxRowValues || n != r.values.count {
                return "rows layer \(r.layer) head \(r.head): \(r.rows) × \(r.cols) does not match \(r.values.count) values (cap \(Format.maxRowValues))"
            }
            if r.tile < 1 || r.tile > cap { return "rows layer \(r.layer) head \(r.head): tile \(r.tile) must be ≥ 1" }
        }
        for a in f.annotations where a.utf8.count > Format.maxStringBytes { return "annotation too long" }
        return nil
    }
}
