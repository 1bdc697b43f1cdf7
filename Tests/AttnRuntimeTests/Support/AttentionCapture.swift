import AttnRuntime

/// A probe that keeps every row it is handed, as [layer][head][query] → probabilities over the
/// keys it saw (it grows with T² for prefill), and the policy's evictions.
final class AttentionCapture: AttentionProbe {
    /// probs[layer][head] = rows in arrival order, each with its query position.
    private(set) var rows: [[[(query: Int, probs: [Float])]]]
    private(set) var keyPositions: [[[Int32]]]   // [layer][head] of the latest call
    /// The policy's evictions, in the order they were reported.
    private(set) var evictions: [(layer: Int, kvHead: Int, positions: [Int32])] = []

    init(layers: Int, heads: Int) {
        rows = Array(repeating: Array(repeating: [], count: heads), count: layers)
        keyPositions = Array(repeating: Array(repeating: [], count: heads), count: layers)
    }

    func attentionComputed(_ r: HeadProbabilityRows) {
        keyPositions[r.layer][r.head] = Array(r.keyPositions)
        for i in 0..<r.rowCount {
            rows[r.layer][r.head].append((Int(r.queryPositions[i]), Array(r.row(i))))
        }
    }

    func entriesEvicted(layer: Int, kvHead: Int, positions: [Int32]) {
        evictions.append((layer, kvHead, positions))
    }

    /// Drops every captured row and eviction.
    func clear() {
        for l in rows.indices { for h in rows[l].indices { rows[l][h].removeAll(keepingCapacity: true) } }
        evictions.removeAll()
    }
}
