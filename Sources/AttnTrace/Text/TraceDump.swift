import Foundation

/// The stable, line-oriented text form of a trace (`attnscope dump`): one line per record or
/// per head, `key=value` fields, strings quoted and escaped. Used for golden tests and for reading
/// a trace by eye. Changing this output is a format change for the golden files: regenerate them.
public enum TraceDump {
    /// Calls `emit` once per line (no trailing newline), so that large traces stream. A step that
    /// cannot be read (e.g. a checksum mismatch) becomes a `step N error="…"` line and the dump goes
    /// on; returns how many steps could not be read.
    @discardableResult
    public static func write(_ r: TraceReader, includeRows: Bool = true, emit: (String) -> Void) throws -> Int {
        emit("# attnscope trace dump, format version \(r.formatVersion)")
        switch r.status {
        case .finalized: emit("file status=finalized steps=\(r.stepCount) bytes=\(r.fileSize)")
        case .recovered(let valid, let reason):
            emit("file status=recovered steps=\(r.stepCount) bytes=\(r.fileSize) valid_bytes=\(valid) reason=\(quote(reason))")
        }
        let h = r.header
        emit("header producer=\(quote(h.producer)) created=\(h.createdUnixSeconds)")
        let m = h.model
        emit("model name=\(quote(m.name)) architecture=\(quote(m.architecture)) layers=\(m.layers) heads=\(m.heads) kv_heads=\(m.kvHeads) head_dim=\(m.headDim) context=\(m.contextLength) vocab=\(m.vocabSize)"
             + (m.layerWindows.isEmpty ? "" : " windows=" + m.layerWindows.map(String.init).joined(separator: ",")))
        emit("policy name=\(quote(h.policy.name)) mode=\(h.policy.mode.name)" + keyValues(h.policy.parameters))
        emit("capture level=\(h.capture.name) row_interval=\(h.rowInterval)")
        emit("prompt \(quote(h.prompt))")
        for (i, t) in h.promptTokens.enumerated() { emit("token \(i) id=\(t.id) text=\(quote(t.text))") }
        if !h.extra.isEmpty { emit("extra" + keyValues(h.extra)) }
        var unreadable = 0
        for s in 0..<r.stepCount {
            do {
                try writeStep(r, s, includeRows: includeRows, emit: emit)
            } catch let e as TraceError {
                emit("step \(s) error=\(quote(e.description))")
                unreadable += 1
            }
        }
        if unreadable == 0 {
            let sum = try r.summary()
            emit("summary steps=\(sum.steps) decode_steps=\(sum.decodeSteps) wall_ns=\(sum.totalWallNanos) last_position=\(sum.lastPosition)")
        }
        emit("unknown_records \(r.unknownRecordCount)")
        return unreadable
    }

    /// The whole dump as one string (each line ends with a newline).
    public static func text(_ r: TraceReader, includeRows: Bool = true) throws -> String {
        var out = ""
        try write(r, includeRows: includeRows) { out += $0; out += "\n" }
        return out
    }

    static func writeStep(_ r: TraceReader, _ s: Int, includeRows: Bool, emit: (String) -> Void) throws {
        let f = try r.frame(s)
        let st = f.step
        var line = "step \(s) index=\(st.index) phase=\(st.phase == .prefill ? "prefill" : "decode") position=\(st.position) queries=\(st.queryCount) wall_ns=\(st.wallNanos)"
        if let t = st.emittedToken { line += " emitted=\(t.id) text=\(quote(t.text))" }
        emit(line)
        for (l, t) in st.layerTimes.enumerated() {
            emit("  time L\(l) attention_ns=\(t.attentionNanos) rest_ns=\(t.restNanos)")
        }
        let hasOracle = Format.hasOracle(r.formatVersion)   // a version-1 dump reads as it always did
        for h in f.metrics {
            let oracle = hasOracle ? " oracle=\(num(h.oracleRecall))" : ""
            let top = h.topSinks.isEmpty ? "-" : h.topSinks.map { "\($0.position):\(num($0.score, 4))" }.joined(separator: ",")
            emit("  head L\(h.layer) H\(h.head) visible=\(h.visibleKV) selected=\(h.selected) sink1=\(num(h.sinkMass1)) sink4=\(num(h.sinkMass4)) entropy=\(num(h.entropy)) recall=\(num(h.recall))\(oracle) out_err=\(num(h.outputError)) overlap=\(num(h.overlapKept)) jaccard=\(num(h.jaccard)) top=\(top)")
        }
        for k in f.kv {
            let ev = k.evicted.isEmpty ? "-" : k.evicted.map(String.init).joined(separator: ",")
            emit("  kv L\(k.layer) G\(k.kvHead) entries=\(k.entries) bytes=\(k.bytes) evicted=\(ev)")
        }
        for sel in f.selections {
            let ranges = sel.ranges.isEmpty ? "-" : sel.ranges.map { "\($0.lowerBound)..<\($0.upperBound)" }.joined(separator: ",")
            emit("  sel L\(sel.layer) H\(sel.head) count=\(sel.count) ranges=\(ranges)")
        }
        for a in f.rows {
            var line = "  rows L\(a.layer) H\(a.head) kind=\(a.kind == .decodeRow ? "decode" : "prefill") shape=\(a.rows)x\(a.cols) tile=\(a.tile)"
            if includeRows { line += " values=" + a.values.map { num($0, 4) }.joined(separator: ",") }
            emit(line)
        }
        for n in f.annotations { emit("  note \(quote(n))") }
    }

    // MARK: - Formatting

    /// Fixed decimals, "nan" for NaN, so that the text is the same on every machine.
    static func num(_ v: Float, _ decimals: Int = 5) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return String(format: "%.\(decimals)f", Double(v))
    }

    static func keyValues(_ kvs: [KeyValue]) -> String {
        kvs.map { " \($0.key)=\(quote($0.value))" }.joined()
    }

    /// A double-quoted string with \\, \", \n, \t and other control characters escaped.
    public static func quote(_ s: String) -> String {
        backslashQuoted(s) { u in
            u.value < 0x20 || u.value == 0x7F ? "\\u{\(String(u.value, radix: 16))}" : nil
        }
    }
}

extension PolicyMode {
    public var name: String {
        switch self { case .dense: "dense"; case .selects: "selects"; case .evicts: "evicts" }
    }
}

extension CaptureLevel {
    public var name: String {
        switch self { case .metrics: "metrics"; case .selections: "selections"; case .rows: "rows"; case .full: "full" }
    }
}
