import CBLAS
import Foundation

// Split-key decode attention directly over a selection's runs in the cache, without gathering
// them first: the fast path of Attention+Selection.swift (the gather + `attendSplitKey` path is
// its reference and is tested against it). A selection is ascending stream indices per KV head;
// Quest's are whole pages, so it is a few runs of consecutive entries. Work item (KV head g,
// chunk c) covers selection entries c·chunk ..< (c+1)·chunk; each run inside it is scored by one
// sgemm for the group's r heads; the chunk's softmax statistics and Σ e^(s−m)·v then merge across
// chunks exactly as in SplitKeyAttention.swift (METHODS.md §15).
//
// Shapes: H heads, G KV heads, r = H/G, d head dim, n_g = selection[g].count, n = max n_g.

extension Attention {
    /// out [H·d]; q [H·d] after RoPE; selection[g] non-empty, ascending, within KV head g's stream
    /// of `layer`. If `probs` is given, probs[h·stride + j] = p of entry selection[g][j] (stride
    /// `probsHeadStride`, default n: [H, n]), and scratch.rowEntropy[h] = −Σ_j p_hj ln p_hj.
    /// deferScale (probs must be the scratch's scores): rows left unscaled, as in `attendSplitKey`.
    func attendSelectedRuns(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, selection: [[Int]], layer: Int,
                            cache: KVCache, scratch s: SplitKeyScratch, probs: UnsafeMutablePointer<Float>?,
                            probsHeadStride: Int? = nil, deferScale: Bool = false) {
        precondition(!deferScale || probs == s.scores, "deferred scaling leaves the rows in the scratch's scores")
        let h = shape.heads, g = shape.kvHeads, r = h / g, d = shape.headDim
        let scale = 1 / Float(d).squareRoot()
        let n = selection.map(\.count).max() ?? 0
        let chunks = (n + s.chunk - 1) / s.chunk
        pool.parallelFor(g * chunks) { items, _ in
            for item in items {
                let kv = item / chunks, c = item % chunks
                let sel = selection[kv]
                let lo = c * s.chunk, hi = min(sel.count, lo + s.chunk)
                if hi <= lo {   // this KV head has fewer chunks
                    s.markEmpty(chunk: c, group: kv, headsPerGroup: r)
                    continue
                }
                let keys = cache.keys(layer: layer, kvHead: kv), values = cache.values(layer: layer, kvHead: kv)
                // S [r, run] = scale · Q_group [r, d] · K[run]ᵀ, one sgemm per run of consecutive entries
                sel.withUnsafeBufferPointer { sb in
                    forEachRun(sb, lo, hi) { j, first, count in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(r), Int32(count), Int32(d),
                                    scale, q + kv * r * d, Int32(d), keys + first * d, Int32(d),
                                    0, s.scores + kv * r * s.capacity + j, Int32(s.capacity))
                    }
                    for hh in 0..<r {
                        let head = kv * r + hh
                        let row = s.scores + head * s.capacity
                        s.exponentiate(row + lo, count: hi - lo, head: head, chunk: c, shiftSum: probs != nil)
                        let o = s.chunkOut + (head * s.maxChunks + c) * d
                        o.update(repeating: 0, count: d)
                        forEachRun(sb, lo, hi) { j, first, count in
                            weightedSumAdding(o, weights: row + j, rows: values + first * d, count: count, dim: d)
                        }
                    }
                }
            }
        }
        // merge the chunks of each head (SplitKeyAttention.swift)
        mergeHeads(out: out, chunks: chunks, scratch: s, probs: probs, probsHeadStride: probsHeadStride ?? n,
                   counts: selection.map(\.count), rowLength: n, deferScale: deferScale)
    }
}

/// Calls body(j, first, count) for each maximal run sel[j ..< j + count] = first, first + 1, …
/// within sel[lo ..< hi].
@inline(__always)
func forEachRun(_ sel: UnsafeBufferPointer<Int>, _ lo: Int, _ hi: Int, _ body: (Int, Int, Int) -> Void) {
    var j = lo
    while j < hi {
        let first = sel[j]
        var e = j + 1
        while e < hi && sel[e] == first + (e - j) { e += 1 }
        body(j, first, e - j)
        j = e
    }
}
