import AttnTrace

// MARK: - The per-(step, layer, head) table shared by the CSV and JSONL exports

/// One value of a table cell: exports write integers as is, floats in their shortest exact
/// form, and unknown values (NaN, a missing KV record, no emitted token) as empty/null.
public enum TableValue: Equatable, Sendable {
    case int(Int)
    case float(Float)
    case text(String)
    case missing
}

/// The columns of `attnscope export --format csv|jsonl`, in order (documented in docs/headless.md):
/// the step and head, the catalogue's per-head metrics, the head's top sink, its KV group's
/// catalogue KV metrics, the emitted token and the step's wall time.
public enum MetricTable {
    public static let columns = ["step", "phase", "position", "layer", "head", "kv_head"]
        + Metric.headValues.map(\.name) + ["top_sink_position", "top_sink_score"]
        + Metric.kvValues.map(\.name) + ["emitted_token_id", Metric.wallNanos.name]

    /// Calls `body` with one row per (layer, head) of the frame, values in `columns` order.
    /// kv_head = ⌊head · G / H⌋ (METHODS.md §0); the KV metrics are that KV head's, so they
    /// repeat across the query heads of a group: sum them per (step, layer, kv_head), not per row.
    public static func rows(of frame: StepFrame, model: ModelInfo, _ body: ([TableValue]) throws -> Void) rethrows {
        let H = max(1, model.heads), G = max(1, model.kvHeads)
        var kvByKey = [Int: KVResidency]()
        for r in frame.kv { kvByKey[r.layer * G + r.kvHead] = r }
        let s = frame.step
        let phase = s.phase == .prefill ? "prefill" : "decode"
        let emitted: TableValue = s.emittedToken.map { .int(Int($0.id)) } ?? .missing
        let heads = Metric.headValues.map { ($0.info.head!, $0.info.unit == .count) }
        let kvValues = Metric.kvValues.map { $0.info.kv! }
        var row: [TableValue] = []
        row.reserveCapacity(columns.count)
        for m in frame.metrics {
            let g = m.head * G / H
            let kv = kvByKey[m.layer * G + g]
            let top = m.topSinks.first
            row.removeAll(keepingCapacity: true)
            row += [.int(s.index), .text(phase), .int(s.position), .int(m.layer), .int(m.head), .int(g)]
            for (value, isCount) in heads {
                let v = value.read(m, context: s.context)
                row.append(isCount ? .int(Int(v)) : .float(Float(v)))
            }
            row.append(top.map { .int($0.position) } ?? .missing)
            row.append(top.map { .float($0.score) } ?? .missing)
            for value in kvValues { row.append(kv.map { .int(value.read($0)) } ?? .missing) }
            row += [emitted, .int(Int(s.wallNanos))]
            try body(row)
        }
    }
}
