import CBLAS
import Foundation

// Decode attention under a per-query-head selection (QueryHeadSelecting, AttentionHooks.swift):
// query head h attends to the entries selection[h] of its KV head's stream; the cache is not
// touched. Per head: scores over each run of consecutive selected entries by one sgemv, softmax,
// Σ p·v over the runs. Heads go in parallel on the pool. Tests compare it with `attendRowNaive`
// over the gathered entries.
//
// Shapes: H heads, G KV heads, d head dim, n_h = selection[h].count.

/// Scratch of the per-head selection path, kept by `Attention` across calls.
final class HeadSelectionScratch {
    /// selection[h]: stream indices of KV head h/(H/G) chosen for query head h.
    var selection: [[Int]]
    let probs: UnsafeMutablePointer<Float>           // [H, capacity] each head's row
    let positions: UnsafeMutablePointer<Int32>       // [H, capacity] original positions of the row's entries
    let visible: UnsafeMutablePointer<Int>           // [H]
    let queryPosition: UnsafeMutablePointer<Int32>   // [1]
    let capacity: Int
    var rows: [HeadProbabilityRows] = []                   // [H] the batch handed to the probe

    init(shape: AttentionShape, capacity: Int) {
        selection = Array(repeating: [], count: shape.heads)
        probs = .allocate(capacity: shape.heads * capacity)
        positions = .allocate(capacity: shape.heads * capacity)
        visible = .allocate(capacity: shape.heads)
        queryPosition = .allocate(capacity: 1)
        self.capacity = capacity
    }

    deinit { probs.deallocate(); positions.deallocate(); visible.deallocate(); queryPosition.deallocate() }
}

extension Attention {
    /// Asks the policy for a per-query-head selection of this one-row call; true if it made one.
    func policySelectsPerHead(q: UnsafePointer<Float>, layer: Int, cache: KVCache) -> Bool {
        guard let policy, policy.mode == .selects, let selector = policy as? QueryHeadSelecting else { return false }
        let s = headSelectionScratch
        for h in s.selection.indices { s.selection[h].removeAll(keepingCapacity: true) }
        guard selector.selectPerQueryHead(layer: layer, query: q, cache: cache, into: &s.selection) else { return false }
        precondition(s.selection.count == shape.heads && s.selection.allSatisfy { !$0.isEmpty },
                     "policy \(policy.name) selected nothing for a query head")
        return true
    }

    /// One decode query, head h over the entries in `headSelectionScratch.selection[h]`.
    /// out [H·d]; q [H·d] after RoPE; position: the query's position.
    func forwardHeadSelected(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, position: Int32,
                             layer: Int, cache: KVCache) {
        let s = headSelectionScratch, d = shape.headDim
        let scale = 1 / Float(d).squareRoot()
        pool.parallelFor(shape.heads) { heads, _ in
            for h in heads {
                let g = self.shape.kvHead(forQueryHead: h)
                let keys = cache.keys(layer: layer, kvHead: g), values = cache.values(layer: layer, kvHead: g)
                let row = s.probs + h * s.capacity, o = out + h * d
                s.selection[h].withUnsafeBufferPointer { sel in
                    // S [run] = scale · K[run] [count, d] · q_h [d]
                    forEachRun(sel, 0, sel.count) { j, first, count in
                        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(count), Int32(d), scale, keys + first * d, Int32(d),
                                    q + h * d, 1, 0, row + j, 1)
                    }
                    _ = softmaxInPlace(row, count: sel.count)
                    o.update(repeating: 0, count: d)
                    forEachRun(sel, 0, sel.count) { j, first, count in
                        weightedSumAdding(o, weights: row + j, rows: values + first * d, count: count, dim: d)
                    }
                }
            }
        }
        guard let receiver = rowReceiver else { return }
        s.queryPosition[0] = position
        s.rows.removeAll(keepingCapacity: true)
        for h in 0..<shape.heads {
            let g = shape.kvHead(forQueryHead: h), p = cache.positions(layer: layer, kvHead: g)
            let sel = s.selection[h], dst = s.positions + h * s.capacity
            for (j, i) in sel.enumerated() { dst[j] = p[i] }
            s.visible[h] = sel.count
            s.rows.append(HeadProbabilityRows(
                layer: layer, head: h, kvHead: g, queryPositions: UnsafeBufferPointer(start: s.queryPosition, count: 1),
                keyPositions: UnsafeBufferPointer(start: dst, count: sel.count),
                probabilities: s.probs + h * s.capacity, rowStride: sel.count,
                visibleCounts: UnsafeBufferPointer(start: s.visible + h, count: 1),
                selectedFrom: cache.count(layer: layer, kvHead: g), keysStable: true))
        }
        s.rows.withUnsafeBufferPointer { receiver.attentionComputed(layer: layer, heads: $0, pool: pool) }
    }
}
