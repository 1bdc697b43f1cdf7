import AttnTrace

// MARK: - The per-(step, layer, head) table shared by the CSV and JSONL exports

/// One value of a table cell: exports write integers as is, floats in their shortest exact
/// form, and unknown values (NaN, a missing KV record, no emitted token) as empty/null.
public enum Cell: Equatable, Sendable {
    case int(Int)
    case float(Float)
    case text(String)
    case missing
}

/// The columns of `attnscope export --format csv|jsonl`, in order (documented in docs/headless.md).
public enum MetricTable {
    public static let columns = [
        "step", "phase", "position", "layer", "head", "kv_head", "visible_kv", "selected", "sparsity",
        "sink_mass_1", "sink_mass_4", "entropy", "recall", "output_error", "overlap_kept", "jaccard",
        "top_sink_position", "top_sink_score", "kv_entries", "kv_bytes", "emitted_token_id", "wall_ns",
    ]

    /// Calls `body` with one row per (layer, head) of the frame, cells in `columns` order.
    /// kv_head = ⌊head · G / H⌋ (METHODS.md §0); kv_entries/kv_bytes are that KV head's, so they
    /// repeat across the query heads of a group: sum them per (step, layer, kv_head), not per row.
    public static func rows(of frame: StepFrame, model: ModelInfo, _ body: ([Cell]) throws -> Void) rethrows {
        let H = max(1, model.heads), G = max(1, model.kvHeads)
        var kvByKey = [Int: KVResidency]()
        for r in frame.kv { kvByKey[r.layer * G + r.kvHead] = r }
        let s = frame.step
        let phase = s.phase == .prefill ? "prefill" : "decode"
        let emitted: Cell = s.emittedToken.map { .int(Int($0.id)) } ?? .missing
        for m in frame.metrics {
            let g = m.head * G / H
            let kv = kvByKey[m.layer * G + g]
            let top = m.topSinks.first
            try body([
                .int(s.index), .text(phase), .int(s.position), .int(m.layer), .int(m.head), .int(g),
                .int(m.visibleKV), .int(m.selected), .float(m.sparsity), .float(m.sinkMass1), .float(m.sinkMass4),
                .float(m.entropy), .float(m.recall), .float(m.outputError), .float(m.overlapKept), .float(m.jaccard),
                top.map { .int($0.position) } ?? .missing, top.map { .float($0.score) } ?? .missing,
                kv.map { .int($0.entries) } ?? .missing, kv.map { .int($0.bytes) } ?? .missing,
                emitted, .int(Int(s.wallNanos)),
            ])
        }
    }
}
