import CBLAS
import Foundation

// Decode attention split over keys (Flash-Decoding, METHODS.md §15): for one query row, the cache
// of each KV head is cut into chunks of keys; each (KV head, chunk) work item computes, for all
// query heads of its GQA group at once (so each key is read from memory once, not once per query
// head, and the chunk's values stay in cache for the group's heads), the scores, their chunk-local max m and Σ e^(s−m) = l, and the unnormalised
// Σ e^(s−m)·v. A merge then gives each head's exact softmax output:
//   M = max_c m_c,  L = Σ_c l_c·e^(m_c−M),  out = Σ_c o_c·e^(m_c−M) / L,  p_j = e^(s_j−M) / L.
// When the probabilities are wanted (a probe), each chunk also sums b_c = Σ e^(s−m)·(s−m) ≤ 0
// (one multiply-add per key), and the merge gives each row's entropy without a logarithm per key:
//   −Σ_j p_j ln p_j = ln L + Σ_c e^(m_c−M)·(l_c·(M − m_c) − b_c) / L   (every term ≥ 0).
// A probe may take the rows unscaled (`deferScale`): the merge then keeps each chunk's factor
// e^(m_c−M)/L (`chunkScale`) instead of writing p_j, and the probe scales the row when it reads
// it (`HeadProbabilityRows.scaleInPlace`, the same products), off the decode's critical path.
//
// Shapes: H heads, G KV heads, r = H/G heads per group, d head dim, n visible entries,
// C = ⌈n / chunk⌉ chunks per KV head.

/// Scratch for one query row's split-key attention.
final class SplitKeyScratch {
    let heads: Int, headDim: Int, capacity: Int, chunk: Int
    let scores: UnsafeMutablePointer<Float>     // [H, capacity]: raw scores, then e^(s − m_chunk)
    let chunkMax: UnsafeMutablePointer<Float>   // [H, maxChunks]
    let chunkSum: UnsafeMutablePointer<Float>   // [H, maxChunks]
    let chunkOut: UnsafeMutablePointer<Float>   // [H, maxChunks, d]
    let chunkShift: UnsafeMutablePointer<Float> // [H, maxChunks] b_c = Σ e^(s−m)·(s−m) (with probabilities)
    let rowEntropy: UnsafeMutablePointer<Float> // [H] −Σ_j p_j ln p_j of each head's row (with probabilities)
    let chunkScale: UnsafeMutablePointer<Float> // [H, maxChunks] e^(m_c − M) / L (probabilities deferred)
    let maxChunks: Int

    init(heads: Int, headDim: Int, capacity: Int, chunk: Int = 256) {
        self.heads = heads; self.headDim = headDim; self.capacity = capacity; self.chunk = chunk
        maxChunks = (capacity + chunk - 1) / chunk
        scores = .allocate(capacity: heads * capacity)
        chunkMax = .allocate(capacity: heads * maxChunks)
        chunkSum = .allocate(capacity: heads * maxChunks)
        chunkOut = .allocate(capacity: heads * maxChunks * headDim)
        chunkShift = .allocate(capacity: heads * maxChunks)
        rowEntropy = .allocate(capacity: heads)
        chunkScale = .allocate(capacity: heads * maxChunks)
    }

    deinit {
        scores.deallocate(); chunkMax.deallocate(); chunkSum.deallocate(); chunkOut.deallocate()
        chunkShift.deallocate(); rowEntropy.deallocate(); chunkScale.deallocate()
    }

    /// row[0 ..< n] = e^(s − m) in place for chunk c of `head`, keeping m and Σ e^(s − m), and
    /// with `shiftSum` (a probe wants the row's entropy) also Σ e^(s − m)·(s − m). n ≥ 1.
    @inline(__always) func exponentiate(_ row: UnsafeMutablePointer<Float>, count n: Int, head: Int, chunk c: Int,
                                        shiftSum: Bool) {
        let i = head * maxChunks + c
        if shiftSum {
            (chunkMax[i], chunkSum[i], chunkShift[i]) = expShiftedInPlaceWithShiftSum(row, count: n)
        } else {
            (chunkMax[i], chunkSum[i]) = expShiftedInPlace(row, count: n)
        }
    }

    /// Chunk c of KV group kv holds no entries for its r heads: it adds nothing to the merge.
    @inline(__always) func markEmpty(chunk c: Int, group kv: Int, headsPerGroup r: Int) {
        for hh in 0..<r {
            chunkMax[(kv * r + hh) * maxChunks + c] = -.infinity
            chunkSum[(kv * r + hh) * maxChunks + c] = 0
        }
    }
}

extension Attention {
    /// One query row against the first `n` entries of every KV head's stream of `layer`.
    /// out [H·d]; q [H·d] after RoPE. If `probs` is given, probs[h·n + j] = p_hj ([H, n]).
    func attendSplitKey(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, count n: Int, layer: Int,
                        cache: KVCache, scratch s: SplitKeyScratch, probs: UnsafeMutablePointer<Float>?) {
        attendSplitKey(out: out, q: q, counts: Array(repeating: n, count: shape.kvHeads), layer: layer, cache: cache,
                       scratch: s, probs: probs)
    }

    /// As above with a count per KV head (heads may differ after per-head eviction): KV head g's
    /// query heads attend to its first counts[g] entries. probs[h·probsHeadStride + j] = p_hj for
    /// j < counts[g], and 0 for counts[g] ≤ j < n = max(counts); probsHeadStride defaults to n
    /// ([H, n]). With long probs rows, the merge and the probabilities are written per head on the pool.
    /// probs may be the scratch's own scores with stride `capacity`: they are then scaled in place.
    /// With probs, scratch.rowEntropy[h] = −Σ_j p_hj ln p_hj (from the scores, not from probs).
    /// deferScale (probs must be the scratch's scores): the rows stay e^(s − m_c) and
    /// scratch.chunkScale [H, maxChunks] holds the factor of each chunk (`HeadProbabilityRows.scaleInPlace`).
    func attendSplitKey(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, counts: [Int], layer: Int,
                        cache: KVCache, scratch s: SplitKeyScratch, probs: UnsafeMutablePointer<Float>?,
                        probsHeadStride: Int? = nil, deferScale: Bool = false) {
        precondition(!deferScale || probs == s.scores, "deferred scaling leaves the rows in the scratch's scores")
        let h = shape.heads, g = shape.kvHeads, r = h / g, d = shape.headDim
        let scale = 1 / Float(d).squareRoot()
        let n = counts.max() ?? 0
        let chunks = (n + s.chunk - 1) / s.chunk
        pool.parallelFor(g * chunks) { items, _ in
            for item in items {
                let kv = item / chunks, c = item % chunks
                let lo = c * s.chunk, hi = min(counts[kv], lo + s.chunk)
                if hi <= lo {   // this KV head has fewer chunks
                    s.markEmpty(chunk: c, group: kv, headsPerGroup: r)
                    continue
                }
                let keys = cache.keys(layer: layer, kvHead: kv), values = cache.values(layer: layer, kvHead: kv)
                // scores of the r heads of group kv over keys lo ..< hi; each key row is loaded
                // from memory once and reused from L1 by the other heads
                // S [r, hi−lo] = scale · Q_group [r, d] · K[lo ..< hi]ᵀ (single-threaded sgemm: a
                // hand-written per-key dot made the compiler scalarise the horizontal sums)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(r), Int32(hi - lo), Int32(d),
                            scale, q + kv * r * d, Int32(d), keys + lo * d, Int32(d),
                            0, s.scores + kv * r * s.capacity + lo, Int32(s.capacity))
                for hh in 0..<r {
                    let head = kv * r + hh
                    let row = s.scores + head * s.capacity + lo
                    s.exponentiate(row, count: hi - lo, head: head, chunk: c, shiftSum: probs != nil)
                    weightedSum(s.chunkOut + (head * s.maxChunks + c) * d, weights: row, rows: values + lo * d,
                                count: hi - lo, dim: d)
                }
            }
        }
        mergeHeads(out: out, chunks: chunks, scratch: s, probs: probs, probsHeadStride: probsHeadStride ?? n,
                   counts: counts, rowLength: n, deferScale: deferScale)
    }

    /// Merges the chunks of every head (`mergeChunks`): out [H·d]; with probs, head h's row at
    /// probs + h·probsHeadStride. counts: [G] entries of each KV head's row. On the pool when the
    /// rows are long (H·n ≥ 8192: serially this was ~4% of a 4K step), unless deferScale (no
    /// probabilities written: only the chunk factors, as cheap as the merge without a probe).
    func mergeHeads(out: UnsafeMutablePointer<Float>, chunks: Int, scratch s: SplitKeyScratch,
                    probs: UnsafeMutablePointer<Float>?, probsHeadStride stride: Int, counts: [Int], rowLength n: Int,
                    deferScale: Bool = false) {
        let h = shape.heads, r = h / shape.kvHeads
        if probs != nil && !deferScale && h * n >= 8192 {
            pool.parallelFor(h) { heads, _ in
                for head in heads {
                    self.mergeChunks(out: out, head: head, chunks: chunks, scratch: s, probs: probs.map { $0 + head * stride },
                                     count: counts[head / r], rowLength: n)
                }
            }
        } else {
            for head in 0..<h {
                mergeChunks(out: out, head: head, chunks: chunks, scratch: s, probs: probs.map { $0 + head * stride },
                            count: counts[head / r], rowLength: n, deferScale: deferScale)
            }
        }
    }

    /// Merges one head's chunks into out [head·d ..< (head+1)·d]; with probs, writes its row
    /// probs [rowLength]: p_j over the first `count` entries, 0 beyond, or with deferScale only
    /// the factor of each chunk that holds entries (scratch.chunkScale).
    @inline(__always)
    func mergeChunks(out: UnsafeMutablePointer<Float>, head: Int, chunks: Int, scratch s: SplitKeyScratch,
                     probs: UnsafeMutablePointer<Float>?, count nHead: Int, rowLength n: Int, deferScale: Bool = false) {
        let d = shape.headDim
        var bigM = -Float.infinity
        for c in 0..<chunks { bigM = max(bigM, s.chunkMax[head * s.maxChunks + c]) }
        var total: Float = 0, spread: Float = 0
        let o = out + head * d
        o.update(repeating: 0, count: d)
        for c in 0..<chunks where s.chunkSum[head * s.maxChunks + c] > 0 {
            let w = expf(s.chunkMax[head * s.maxChunks + c] - bigM)
            total += w * s.chunkSum[head * s.maxChunks + c]
            let oc = s.chunkOut + (head * s.maxChunks + c) * d
            for k in 0..<d { o[k] += w * oc[k] }
            if probs != nil {
                spread += w * (s.chunkSum[head * s.maxChunks + c] * (bigM - s.chunkMax[head * s.maxChunks + c])
                               - s.chunkShift[head * s.maxChunks + c])
            }
        }
        let inv = 1 / total
        for k in 0..<d { o[k] *= inv }
        guard let probs else { return }
        s.rowEntropy[head] = logf(total) + spread * inv
        let row = s.scores + head * s.capacity
        for c in 0..<chunks {
            let lo = c * s.chunk, hi = min(nHead, lo + s.chunk)
            if hi <= lo { break }   // past this KV head's entries
            let w = expf(s.chunkMax[head * s.maxChunks + c] - bigM) * inv
            if deferScale { s.chunkScale[head * s.maxChunks + c] = w; continue }
            scaleCopy(probs + lo, row + lo, by: w, count: hi - lo)
        }
        if deferScale { return }
        if nHead < n { (probs + nHead).update(repeating: 0, count: n - nHead) }
    }
}

/// out[j] = x[j] · w for j < n, 8 lanes at a time (the same product as the scalar loop).
@inline(__always)
func scaleCopy(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, by w: Float, count n: Int) {
    let o = UnsafeMutableRawPointer(out), xr = UnsafeRawPointer(x)
    let w8 = SIMD8<Float>(repeating: w)
    var j = 0
    while j + 8 <= n {
        o.storeBytes(of: xr.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) * w8, toByteOffset: j * 4,
                     as: SIMD8<Float>.self)
        j += 8
    }
    while j < n { out[j] = x[j] * w; j += 1 }
}

/// expShiftedInPlace that also returns Σ e^(x[i] − m)·(x[i] − m) (≤ 0), for the row's entropy.
@inline(__always)
func expShiftedInPlaceWithShiftSum(_ x: UnsafeMutablePointer<Float>, count n: Int) -> (max: Float, sum: Float, shiftSum: Float) {
    let xr = UnsafeMutableRawPointer(x)
    let m = largestValue(x, count: n)
    let m8 = SIMD8<Float>(repeating: m)
    var acc = SIMD8<Float>(), shift = SIMD8<Float>()
    var i = 0
    while i + 8 <= n {
        let t = xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m8
        let e = simdExp(t)
        xr.storeBytes(of: e, toByteOffset: i * 4, as: SIMD8<Float>.self)
        acc += e; shift += e * t; i += 8
    }
    var sum = acc.sum(), shiftSum = shift.sum()
    while i < n { let t = x[i] - m; x[i] = expf(t); sum += x[i]; shiftSum += x[i] * t; i += 1 }
    return (m, sum, shiftSum)
}

/// x[i] = e^(x[i] − m) in place, m = max x; returns (m, Σ e^(x[i] − m)). n ≥ 1.
@inline(__always)
func expShiftedInPlace(_ x: UnsafeMutablePointer<Float>, count n: Int) -> (max: Float, sum: Float) {
    let xr = UnsafeMutableRawPointer(x)
    let m = largestValue(x, count: n)
    let m8 = SIMD8<Float>(repeating: m)
    var acc = SIMD8<Float>()
    var i = 0
    while i + 8 <= n {
        let e = simdExp(xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m8)
        xr.storeBytes(of: e, toByteOffset: i * 4, as: SIMD8<Float>.self)
        acc += e; i += 8
    }
    var sum = acc.sum()
    while i < n { x[i] = expf(x[i] - m); sum += x[i]; i += 1 }
    return (m, sum)
}
