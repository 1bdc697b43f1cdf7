// Decode attention under a selecting policy (AttentionPolicy.select): the cache keeps every
// entry; the policy names, per KV head, the stream indices the call's one query attends to.
// Attention runs over exactly those entries, in place (`attendSelectedRuns`,
// Attention+SelectedRuns.swift: one sgemm per run of consecutive entries, then the split-key
// merge). The reference path (`SelectionScratch.gather`, used by tests) gathers them into a
// scratch cache (one layer, G streams) and runs the unchanged split-key kernel over it.
// The probe receives each head's row over the selected entries: keyPositions are the selected
// entries' original positions and `selectedFrom` is the stream's full count |V_t|, so recall,
// the selected count and sparsity come out of the same code as for other policies.
//
// Shapes: H heads, G KV heads, d head dim, n_g = entries selected for KV head g, n = max n_g.

/// Scratch of the selection path, kept by `Attention` across calls.
final class SelectionScratch {
    /// selection[g]: stream indices of KV head g chosen by the policy for this call.
    var selection: [[Int]]
    let gathered: KVCache                         // [1 layer, G, capacity, d]
    let split: SplitKeyScratch
    let probs: UnsafeMutablePointer<Float>        // [H, capacity] rows for the probe
    var visible: [Int]                            // [1]
    var queryPosition: [Int32] = [0]              // [1]
    var selectedPositions: [[Int32]]              // [G][n_g] positions of the selection (probe)
    /// Reference path: gather the selection, then `attendSplitKey` (tests compare the two).
    var gather = false

    init(shape: AttentionShape, capacity: Int) {
        selection = Array(repeating: [], count: shape.kvHeads)
        gathered = KVCache(layers: 1, kvHeads: shape.kvHeads, headDim: shape.headDim, capacity: capacity)
        split = SplitKeyScratch(heads: shape.heads, headDim: shape.headDim, capacity: capacity)
        probs = .allocate(capacity: shape.heads * capacity)
        visible = [0]
        selectedPositions = Array(repeating: [], count: shape.kvHeads)
    }

    deinit { probs.deallocate() }
}

extension Attention {
    /// Asks the policy for a selection for this one-row call; true if it made one (then
    /// `forwardSelected` must run).
    func policySelects(q: UnsafePointer<Float>, layer: Int, cache: KVCache) -> Bool {
        guard let policy, policy.mode == .selects else { return false }
        let s = selectionScratch
        for g in s.selection.indices { s.selection[g].removeAll(keepingCapacity: true) }
        guard policy.select(layer: layer, query: q, cache: cache, into: &s.selection) else { return false }
        precondition(s.selection.count == shape.kvHeads && s.selection.allSatisfy { !$0.isEmpty },
                     "policy \(policy.name) selected nothing for a KV head")
        return true
    }

    /// One decode query over the entries in `selectionScratch.selection`.
    /// out [H·d]; q [H·d] after RoPE; position: the query's position.
    func forwardSelected(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, position: Int32,
                         layer: Int, cache: KVCache) {
        let s = selectionScratch, gCount = shape.kvHeads
        let counts = s.selection.map(\.count)
        let receiver = rowReceiver
        if s.gather {
            for g in 0..<gCount { s.gathered.prepareGather(layer: 0, kvHead: g, count: counts[g]) }
            // split each KV head's list into parts copied in parallel
            let parts = 4
            pool.parallelFor(gCount * parts) { items, _ in
                for item in items {
                    let g = item / parts, p = item % parts, sel = s.selection[g]
                    s.gathered.gatherPart(layer: 0, kvHead: g, from: cache, layer: layer, kvHead: g, indices: sel,
                                          part: sel.count * p / parts ..< sel.count * (p + 1) / parts)
                }
            }
            s.gathered.checkInvariants()
            attendSplitKey(out: out, q: q, counts: counts, layer: 0, cache: s.gathered, scratch: s.split,
                           probs: receiver == nil ? nil : s.probs)
        } else {
            attendSelectedRuns(out: out, q: q, selection: s.selection, layer: layer, cache: cache, scratch: s.split,
                               probs: receiver == nil ? nil : s.probs)
        }
        guard let probe = receiver else { return }
        for g in 0..<gCount {
            let p = cache.positions(layer: layer, kvHead: g)
            s.selectedPositions[g].removeAll(keepingCapacity: true)
            for i in s.selection[g] { s.selectedPositions[g].append(p[i]) }
        }
        let n = counts.max() ?? 0
        s.queryPosition[0] = position
        for head in 0..<shape.heads {
            let g = shape.kvHead(forQueryHead: head)
            s.visible[0] = counts[g]
            s.queryPosition.withUnsafeBufferPointer { qp in
                s.visible.withUnsafeBufferPointer { vis in
                    s.selectedPositions[g].withUnsafeBufferPointer { keyPositions in
                        probe.attentionComputed(AttentionRows(
                            layer: layer, head: head, kvHead: g, queryPositions: qp, keyPositions: keyPositions,
                            probabilities: s.probs + head * n, rowStride: n, visibleCounts: vis,
                            selectedFrom: cache.count(layer: layer, kvHead: g)))
                    }
                }
            }
        }
    }
}
