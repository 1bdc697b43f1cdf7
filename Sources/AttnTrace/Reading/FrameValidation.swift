/// What a writer refuses to store: anything a reader would reject, caught before any byte is written.
enum FrameValidation {
    /// Why `header` cannot be written, or nil.
    static func headerProblem(_ h: RunHeader) -> String? {
        if let why = Codec.shapeProblem(h.model) { return why }
        if h.rowInterval < 0 || h.rowInterval > Format.maxPosition { return "row interval \(h.rowInterval) out of range" }
        var strings = [h.producer, h.model.name, h.model.architecture, h.policy.name, h.prompt]
        strings += h.policy.parameters.flatMap { [$0.key, $0.value] } + h.extra.flatMap { [$0.key, $0.value] }
        for s in strings where s.utf8.count > Format.maxStringBytes {
            return "a header string of \(s.utf8.count) bytes exceeds \(Format.maxStringBytes)"
        }
        for t in h.promptTokens where t.text.utf8.count > Format.maxStringBytes { return "token text too long" }
        return nil
    }

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
        // Each head is checked while it is encoded (Codec.encodeMetrics): one pass, not two.

        if f.kv.count != m.layers * m.kvHeads {
            return "\(f.kv.count) KV residency entries, expected layers × kv heads = \(m.layers * m.kvHeads)"
        }
        // KV entries are checked while encoded (Codec.encode(_:layers:kvHeads:into:)).

        if !f.selections.isEmpty {
            if f.selections.count != m.layers * m.heads {
                return "\(f.selections.count) selections, expected none or layers × heads = \(m.layers * m.heads)"
            }
            // Each selection is checked while encoded (Codec.encodeSelections).
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
