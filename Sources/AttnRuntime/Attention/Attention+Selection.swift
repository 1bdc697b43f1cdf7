// Decode attention under a selecting policy (AttentionPolicy.select): the cache keeps every
// entry; the policy names, per KV head, the stream indices the call's one query attends to.
// Attention runs over exactly those entries, in place (`attendSelectedRuns`,
// Attention+SelectedRuns.swift: one sgemm per run of consecutive entries, then the split-key
// merge). The reference path (`SelectionScratch.gather`, used by tests) gathers them into a
// scratch cache (one layer, G streams) and runs the unchanged split-key kernel over it.
// The probe receives every head's row over the selected entries in one batch (so that it can
// spread its per-head work over the pool): keyPositions are the selected entries' original
// positions and `selectedFrom` is the stream's full count |V_t|, so recall, the selected count
// and sparsity come out of the same code as for other policies.
//
// Shapes: H heads, G KV heads, d head dim, n_g = entries selected for KV head g, n = max n_g.

/// Scratch of the selection path, kept by `Attention` across calls.
final class SelectionScratch {
    /// selection[g]: stream indices of KV head g chosen by the policy for this call.
    var selection: [[Int]]
    let gathered: KVCache                         // [1 layer, G, capacity, d]
    let split: SplitKeyScratch
    let probs: UnsafeMutablePointer<Float>        // [H, capacity] rows for the probe
    let visible: UnsafeMutablePointer<Int>        // [H] each head's row length n_g
    let queryPosition: UnsafeMutablePointer<Int32>              // [1]
    let selectedPositions: UnsafeMutablePointer<Int32>          // [G, capacity] positions of the selection (probe)
    let capacity: Int
    var rows: [HeadProbabilityRows] = []                // [H] the batch handed to the probe
    /// Reference path: gather the selection, then `attendSplitKey` (tests compare the two).
    var gather = false

    init(shape: AttentionShape, capacity: Int) {
        selection = Array(repeating: [], count: shape.kvHeads)
        gathered = KVCache(layers: 1, kvHeads: shape.kvHeads, headDim: shape.headDim, capacity: capacity)
        split = SplitKeyScratch(heads: shape.heads, headDim: shape.headDim, capacity: capacity)
        probs = .allocate(capacity: shape.heads * capacity)
        visible = .allocate(capacity: shape.heads)
        queryPosition = .allocate(capacity: 1)
        selectedPositions = .allocate(capacity: shape.kvHeads * capacity)
        self.capacity = capacity
    }

    deinit { probs.deallocate(); visible.deallocate(); queryPosition.deallocate(); selectedPositions.deallocate() }
}

extension Attention {
    /// Asks the policy for a selection for this one-row call; true if it made one (then
    /// `forwardSelected` must run).
    func policySelects(q: UnsafePointer<Float>, layer: Int, cache: KVCache) -> Bool {
        guard let policy, policy.mode != .dense else { return false }
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
        // rows for the probe: scaled into `probs`, or left unscaled in the split scratch's scores
        // for a probe that scales them itself
        let unscaled = receiver?.acceptsUnscaledRows ?? false
        let probs = receiver == nil ? nil : unscaled ? s.split.scores : s.probs
        let stride = unscaled ? s.split.capacity : nil
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
                           probs: probs, probsHeadStride: stride, deferScale: unscaled)
        } else {
            attendSelectedRuns(out: out, q: q, selection: s.selection, layer: layer, cache: cache, scratch: s.split,
                               probs: probs, probsHeadStride: stride, deferScale: unscaled)
        }
        guard let receiver else { return }
        prepareSelectedRows(position: position, layer: layer, cache: cache, unscaled: unscaled)
        s.rows.withUnsafeBufferPointer { receiver.attentionComputed(layer: layer, heads: $0, pool: pool) }
    }

    /// The probe's batch for this call: each KV head's selected positions, and one
    /// HeadProbabilityRows per head over them (unscaled: rows in the split scratch's scores, with the
    /// chunk factors).
    private func prepareSelectedRows(position: Int32, layer: Int, cache: KVCache, unscaled: Bool) {
        let s = selectionScratch, gCount = shape.kvHeads
        let counts = s.selection.map(\.count)
        for g in 0..<gCount {
            let p = cache.positions(layer: layer, kvHead: g), out = s.selectedPositions + g * s.capacity
            let c = cache.count(layer: layer, kvHead: g)
            if c > 0 && p[0] == 0 && p[c - 1] == Int32(c - 1) {
                // c strictly increasing positions from 0 to c − 1 (KVCache's invariant) are
                // 0 ..< c: each entry's position is its index, so the stream's positions (cold:
                // 28 layers × 1,230 gathers cost ~1% of a Quest step at 4K) need not be read
                s.selection[g].withUnsafeBufferPointer { sel in
                    for j in sel.indices { out[j] = Int32(truncatingIfNeeded: sel[j]) }
                }
            } else {
                for (j, i) in s.selection[g].enumerated() { out[j] = p[i] }
            }
        }
        let n = counts.max() ?? 0
        s.queryPosition[0] = position
        s.rows.removeAll(keepingCapacity: true)
        for head in 0..<shape.heads {
            let g = shape.kvHead(forQueryHead: head)
            s.visible[head] = counts[g]
            s.rows.append(HeadProbabilityRows(
                layer: layer, head: head, kvHead: g, queryPositions: UnsafeBufferPointer(start: s.queryPosition, count: 1),
                keyPositions: UnsafeBufferPointer(start: s.selectedPositions + g * s.capacity, count: counts[g]),
                probabilities: unscaled ? s.split.scores + head * s.split.capacity : s.probs + head * n, rowStride: n,
                visibleCounts: UnsafeBufferPointer(start: s.visible + head, count: 1),
                selectedFrom: cache.count(layer: layer, kvHead: g),
                entropies: UnsafePointer(s.split.rowEntropy + head),
                keysStable: true,   // the selection's positions, in this scratch until the next call
                pendingScale: unscaled ? .init(factors: s.split.chunkScale + head * s.split.maxChunks, chunk: s.split.chunk) : nil))
        }
    }
}
