// The attention step: the one call every layer of every model makes, for prefill (T query rows)
// and decode (T = 1) alike, in the spirit of mlx-swift-lm's `attentionWithCacheUpdate`. It writes
// the new keys and values into the cache, then for each query head h (GQA: KV head
// g = h / (H/G)) computes scores over the cache entries the query may see, their softmax, and the
// probability-weighted sum of values, and hands the probabilities to a probe if one is attached.
//
// An attached `AttentionPolicy` sees each call and may evict entries afterwards
// (Attention+Policy.swift); KV heads may then hold different entry counts.
//
// Shapes: T = query rows in the call, H = query heads, G = KV heads, d = head dim,
// n = entries in the cache stream after the append.

import CBLAS
import Foundation

/// Head counts and size of one attention layer.
public struct AttentionShape: Sendable, Equatable {
    public let heads: Int      // H
    public let kvHeads: Int    // G; H is a multiple of G
    public let headDim: Int    // d

    public init(heads: Int, kvHeads: Int, headDim: Int) {
        precondition(heads > 0 && kvHeads > 0 && heads % kvHeads == 0 && headDim > 0)
        self.heads = heads; self.kvHeads = kvHeads; self.headDim = headDim
    }

    /// GQA: consecutive query heads share a KV head; heads g·(H/G) ..< (g+1)·(H/G) use KV head g.
    @inline(__always) public func kvHead(forQueryHead h: Int) -> Int { h / (heads / kvHeads) }
}

public final class Attention: @unchecked Sendable {
    public let shape: AttentionShape
    /// Largest number of cache entries a query may see.
    public let capacity: Int
    /// Receives each head's probabilities (nil: nothing is copied out).
    public var probe: AttentionProbe?
    /// Policy consulted by every call (nil: dense); see Attention+Policy.swift.
    public var policy: AttentionPolicy?
    let tee = PolicyProbeTee()
    /// Per layer: the model's native sliding window (nil or absent: the layer sees every earlier
    /// position). Attention+Window.swift.
    public var layerWindows: [Int?] = []
    /// false: windowed layers keep every entry and mask by position instead (the reference the
    /// dropping path is tested against; every call of a windowed layer then takes the matrix path).
    public var dropsBehindWindow = true
    /// Calls with at least this many query rows use the blocked sgemm path.
    public var matrixPathMinRows = 8
    /// Query rows per sgemm block in the matrix path.
    public let blockRows = 64

    let pool: WorkerPool
    private let blockScores: UnsafeMutablePointer<Float>   // [threads, blockRows, capacity]
    private var probeRows: UnsafeMutablePointer<Float>?     // [H, T, n] row path with a probe
    private var probeRowCapacity = 0
    private var rowBatch: [HeadProbabilityRows] = []              // [H] the row path's batch for the probe
    private var rowBatchVisible: [Int] = []                 // [H, T] visible counts per head and row
    private lazy var splitScratch = SplitKeyScratch(heads: shape.heads, headDim: shape.headDim, capacity: capacity)
    lazy var selectionScratch = SelectionScratch(shape: shape, capacity: capacity)   // Attention+Selection.swift
    lazy var headSelectionScratch = HeadSelectionScratch(shape: shape, capacity: capacity)   // Attention+HeadSelection.swift
    private var visible: [Int] = []                         // [T]
    private var queryPositions: [Int32] = []                // [T]

    public init(shape: AttentionShape, capacity: Int, pool: WorkerPool) {
        self.shape = shape; self.capacity = capacity; self.pool = pool
        blockScores = .allocate(capacity: pool.threads * blockRows * capacity)
    }

    deinit { blockScores.deallocate(); probeRows?.deallocate() }

    /// Attention for T new tokens of one layer.
    ///
    /// - out: [T, H·d] the attention output (before the output projection)
    /// - q: [T, H·d] queries after RoPE
    /// - k, v: [T, G·d] the new keys (after RoPE) and values, appended to the cache here
    /// - positions: [T] the new tokens' positions, increasing, after every position in the cache
    public func forward(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                        k: UnsafePointer<Float>, v: UnsafePointer<Float>, positions: UnsafePointer<Int32>,
                        tokens t: Int, layer: Int, cache: KVCache) {
        let d = shape.headDim, gCount = shape.kvHeads
        for g in 0..<gCount {
            cache.append(layer: layer, kvHead: g, keys: k + g * d, values: v + g * d, stride: gCount * d,
                         positions: positions, tokens: t)
        }
        queryPositions = Array(UnsafeBufferPointer(start: positions, count: t))
        let window = layer < layerWindows.count ? layerWindows[layer] : nil
        // after the policy's evictions (defers run last first): drop what the window left behind
        defer { if let window { dropBehindWindow(window, layer: layer, lastPosition: positions[t - 1], cache: cache) } }
        beginPolicyCall(q: q, k: k, v: v, positions: positions, tokens: t, layer: layer, cache: cache)
        defer { endPolicyCall(tokens: t, layer: layer, cache: cache) }
        // A windowed call of several rows needs each row's window start: the matrix path has it.
        // A windowed decode row sees its whole stream (dropBehindWindow left window − 1 entries).
        // A reweighting policy changes rows between softmax and A·V: only the matrix path has them whole.
        if t >= matrixPathMinRows || (window != nil && (t > 1 || !dropsBehindWindow)) || reweighter(layer: layer) != nil {
            forwardMatrix(out: out, q: q, tokens: t, layer: layer, cache: cache, window: window)
        } else if t == 1 && policySelectsPerHead(q: q, layer: layer, cache: cache) {
            forwardHeadSelected(out: out, q: q, position: positions[0], layer: layer, cache: cache)
        } else if t == 1 && policySelects(q: q, layer: layer, cache: cache) {
            forwardSelected(out: out, q: q, position: positions[0], layer: layer, cache: cache)
        } else {
            forwardRows(out: out, q: q, tokens: t, layer: layer, cache: cache)
        }
    }

    // MARK: - Row path (decode): one (query row, head) per work item, split across the pool

    private func forwardRows(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, tokens t: Int,
                             layer: Int, cache: KVCache) {
        let h = shape.heads, d = shape.headDim
        // KV heads may hold different counts after per-head eviction: n = the largest, and head
        // group g sees n_g − (T−1−i) entries in row i.
        let counts = (0..<shape.kvHeads).map { cache.count(layer: layer, kvHead: $0) }
        let n = counts.max() ?? 0
        visible = (0..<t).map { i in n - (t - 1 - i) }   // causal: row i sees entries 0 ..< n - (T-1-i)
        guard let probe = rowReceiver else {
            for i in 0..<t {
                let seen = counts.map { $0 - (t - 1 - i) }
                attendSplitKey(out: out + i * h * d, q: q + i * h * d, counts: seen, layer: layer, cache: cache,
                               scratch: splitScratch, probs: nil)
            }
            return
        }
        if t == 1 {
            // Decode: the kernel scales its scores into probabilities in place, and the probe
            // reads them there (row h at scores + h·capacity): no second [H, n] buffer to write.
            // A probe that scales rows itself gets them unscaled, with each chunk's factor.
            let s = splitScratch, unscaled = probe.acceptsUnscaledRows
            attendSplitKey(out: out, q: q, counts: counts, layer: layer, cache: cache, scratch: s,
                           probs: s.scores, probsHeadStride: s.capacity, deferScale: unscaled)
            deliverRowBatch(probe: probe, layer: layer, cache: cache, rows: s.scores, rowCount: 1, n: n,
                            headStride: s.capacity, entropies: s.rowEntropy,
                            chunkScales: unscaled ? (s.chunkScale, s.maxChunks, s.chunk) : nil)
            return
        }
        // The kernel writes row i of every head straight into rows [H, T, n] (head stride T·n).
        let rows = probeRowBuffer(count: h * t * n)
        for i in 0..<t {
            let seen = counts.map { $0 - (t - 1 - i) }
            attendSplitKey(out: out + i * h * d, q: q + i * h * d, counts: seen, layer: layer, cache: cache,
                           scratch: splitScratch, probs: rows + i * n, probsHeadStride: t * n)
            if visible[i] < n {   // the kernel wrote the first visible[i] entries; the causal mask is 0
                for head in 0..<h { (rows + (head * t + i) * n + visible[i]).update(repeating: 0, count: n - visible[i]) }
            }
        }
        deliverRowBatch(probe: probe, layer: layer, cache: cache, rows: rows, rowCount: t, n: n, headStride: t * n)
    }

    /// probeRows with room for at least `count` floats (grown geometrically, kept across calls).
    private func probeRowBuffer(count: Int) -> UnsafeMutablePointer<Float> {
        if probeRowCapacity < count {
            probeRows?.deallocate()
            probeRowCapacity = max(count, 2 * probeRowCapacity, shape.heads * capacity)
            probeRows = .allocate(capacity: probeRowCapacity)
        }
        return probeRows!
    }

    // MARK: - Matrix path (prefill): per head, blocks of query rows through sgemm

    private func forwardMatrix(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, tokens t: Int,
                               layer: Int, cache: KVCache, window: Int?) {
        let n = cache.count(layer: layer, kvHead: 0)
        visible = (0..<t).map { i in n - (t - 1 - i) }
        if rowReceiver != nil {
            // probes are called on the calling thread, so heads go one after another
            for head in 0..<shape.heads {
                attendHeadMatrix(out: out, q: q, tokens: t, head: head, layer: layer, cache: cache, worker: 0,
                                 window: window)
            }
        } else {
            pool.parallelFor(shape.heads) { heads, worker in
                for head in heads {
                    self.attendHeadMatrix(out: out, q: q, tokens: t, head: head, layer: layer, cache: cache,
                                          worker: worker, window: window)
                }
            }
        }
    }

    /// All T query rows of one head, in blocks of `blockRows`: scores by sgemm, causal softmax,
    /// P·V by sgemm. Uses the worker's part of `blockScores`. With a window, row i sees only the
    /// entries after position p_i − window; a block's products start at its first row's window
    /// start (kLo), and its rows keep columns from stream index 0 when a probe reads them.
    private func attendHeadMatrix(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, tokens t: Int,
                                  head: Int, layer: Int, cache: KVCache, worker: Int, window: Int?) {
        let h = shape.heads, d = shape.headDim
        let scale = 1 / Float(d).squareRoot()
        let scores = blockScores + worker * blockRows * capacity
        let g = shape.kvHead(forQueryHead: head)
        let keys = cache.keys(layer: layer, kvHead: g), values = cache.values(layer: layer, kvHead: g)
        // `visible` counts for KV head 0; this head's stream may be shorter after per-head eviction.
        let shift = visible[t - 1] - cache.count(layer: layer, kvHead: g)
        let receiver = rowReceiver
        let streamPositions = cache.positions(layer: layer, kvHead: g)
        let reweighting = reweighter(layer: layer)
        var i0 = 0
        while i0 < t {
            let b = min(blockRows, t - i0)
            let nMax = visible[i0 + b - 1] - shift
            // Row r sees stream entries lo_r ..< seen_r; columns of `scores` start at stream index
            // c0 (kLo, or 0 for a probe), so row r's entry j is at column j − c0.
            let kLo = window.map { windowStart(streamPositions, count: nMax, query: queryPositions[i0], window: $0) } ?? 0
            let c0 = receiver == nil ? kLo : 0, width = nMax - c0
            // S [b, nMax − kLo] = scale · Q_block [b, d] · K[kLo ..< nMax]ᵀ
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(b), Int32(nMax - kLo), Int32(d),
                        scale, q + (i0 * h + head) * d, Int32(h * d), keys + kLo * d, Int32(d),
                        0, scores + (kLo - c0), Int32(width))
            for r in 0..<b {
                let row = scores + r * width
                let seen = visible[i0 + r] - shift - c0
                let lo = (window.map { windowStart(streamPositions, count: nMax, query: queryPositions[i0 + r], window: $0) } ?? 0) - c0
                if lo > 0 { row.update(repeating: 0, count: lo) }
                softmaxInPlace(row + lo, count: seen - lo)
                reweighting?.reweight(row + lo, count: seen - lo, keyPositions: streamPositions + c0 + lo,
                                      queryPosition: queryPositions[i0 + r], layer: layer, head: head)
                if seen < width { (row + seen).update(repeating: 0, count: width - seen) }
            }
            // O_block [b, d] = P [b, nMax − kLo] · V [kLo ..< nMax, d]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(b), Int32(d), Int32(nMax - kLo),
                        1, scores + (kLo - c0), Int32(width), values + kLo * d, Int32(d),
                        0, out + (i0 * h + head) * d, Int32(h * d))
            if let probe = receiver {
                deliverRows(probe: probe, layer: layer, cache: cache, rowCount: b, n: nMax,
                            rowsOf: { _ in UnsafePointer(scores) }, rowStride: width,
                            firstRow: i0, onlyHead: head)
            }
            i0 += b
        }
    }

    // MARK: - Probe delivery

    private func deliverRows(probe: AttentionProbe, layer: Int, cache: KVCache, rowCount: Int, n: Int,
                             rowsOf: (Int) -> UnsafePointer<Float>, rowStride: Int, firstRow: Int,
                             onlyHead: Int? = nil) {
        let heads = onlyHead.map { $0...$0 } ?? 0...(shape.heads - 1)
        queryPositions.withUnsafeBufferPointer { qp in
            visible.withUnsafeBufferPointer { vis in
                for head in heads {
                    let g = shape.kvHead(forQueryHead: head)
                    let ng = min(n, cache.count(layer: layer, kvHead: g))
                    // `visible` was computed from the largest count (KV head 0 in the matrix path);
                    // this head's stream is shorter by `shift` after per-head eviction.
                    let shift = vis[vis.count - 1] - cache.count(layer: layer, kvHead: g)
                    let headVisible = shift == 0 ? nil : (firstRow ..< firstRow + rowCount).map { vis[$0] - shift }
                    let probs = rowsOf(head)
                    let deliver = { (v: UnsafeBufferPointer<Int>) in
                        probe.attentionComputed(HeadProbabilityRows(
                            layer: layer, head: head, kvHead: g,
                            queryPositions: UnsafeBufferPointer(rebasing: qp[firstRow ..< firstRow + rowCount]),
                            keyPositions: UnsafeBufferPointer(start: cache.positions(layer: layer, kvHead: g), count: ng),
                            probabilities: probs, rowStride: rowStride, visibleCounts: v))
                    }
                    if let headVisible {
                        headVisible.withUnsafeBufferPointer { deliver($0) }
                    } else {
                        deliver(UnsafeBufferPointer(rebasing: vis[firstRow ..< firstRow + rowCount]))
                    }
                }
            }
        }
    }
}

extension Attention {
    /// The row path's delivery: every head's rows [T, n] at once (head h's at rows + h·headStride),
    /// so that the probe can spread per-head work over the pool. entropies: [H] each head's row
    /// entropy from the kernel (T = 1), or nil. chunkScales: the rows are unscaled, head h's
    /// factors at factors + h·stride (`HeadProbabilityRows.pendingScale`).
    fileprivate func deliverRowBatch(probe: AttentionProbe, layer: Int, cache: KVCache,
                                     rows: UnsafeMutablePointer<Float>, rowCount t: Int, n: Int, headStride: Int,
                                     entropies: UnsafeMutablePointer<Float>? = nil,
                                     chunkScales: (factors: UnsafeMutablePointer<Float>, stride: Int, chunk: Int)? = nil) {
        let h = shape.heads
        if rowBatchVisible.count < h * t { rowBatchVisible = [Int](repeating: 0, count: h * t) }
        rowBatch.removeAll(keepingCapacity: true)
        queryPositions.withUnsafeBufferPointer { qp in
            rowBatchVisible.withUnsafeMutableBufferPointer { vis in
                for head in 0..<h {
                    let g = shape.kvHead(forQueryHead: head)
                    let ng = cache.count(layer: layer, kvHead: g)
                    // row i of this head sees its stream's first ng − (T−1−i) entries
                    for i in 0..<t { vis[head * t + i] = ng - (t - 1 - i) }
                    rowBatch.append(HeadProbabilityRows(
                        layer: layer, head: head, kvHead: g, queryPositions: qp,
                        keyPositions: UnsafeBufferPointer(start: cache.positions(layer: layer, kvHead: g), count: min(n, ng)),
                        probabilities: rows + head * headStride, rowStride: n,
                        visibleCounts: UnsafeBufferPointer(rebasing: vis[head * t ..< (head + 1) * t]),
                        entropies: entropies.map { UnsafePointer($0 + head) },
                        keyEdits: cache.edits(layer: layer, kvHead: g),   // (keys: the whole stream, ng ≤ n)
                        keysStable: policy.map { $0.mode != .evicts } ?? true,
                        pendingScale: chunkScales.map { .init(factors: $0.factors + head * $0.stride, chunk: $0.chunk) }))
                }
                rowBatch.withUnsafeBufferPointer { probe.attentionComputed(layer: layer, heads: $0, pool: pool) }
            }
        }
    }
}

// MARK: - One query row of one head

/// Dense attention of one query over keys/values [n, d] (the recorder's reference row):
/// probs [n] = softmax(q·kᵀ/√d), out [d] = Σ probs_j v_j.
public func denseAttentionRow(probs: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                              q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                              count n: Int, headDim d: Int) {
    let scale = 1 / Float(d).squareRoot()
    for j in 0..<n { probs[j] = dotF32(keys + j * d, q, count: d) * scale }
    _ = softmaxInPlace(probs, count: n)
    weightedSum(out, weights: probs, rows: values, count: n, dim: d)
}

/// out [d] = Σ_j w[j] · rows[j] for rows [count, d] (weightedSumAdding onto zeros).
@inline(__always)
func weightedSum(_ out: UnsafeMutablePointer<Float>, weights w: UnsafePointer<Float>, rows: UnsafePointer<Float>,
                 count n: Int, dim d: Int) {
    out.update(repeating: 0, count: d)
    weightedSumAdding(out, weights: w, rows: rows, count: n, dim: d)
}

/// out [d] += Σ_j w[j] · rows[j] for rows [count, d]. Head dims that are multiples of 64
/// (SmolLM2: 64, Gemma 3: 256) go 64 columns at a time with the sums in registers.
@inline(__always)
func weightedSumAdding(_ out: UnsafeMutablePointer<Float>, weights w: UnsafePointer<Float>, rows: UnsafePointer<Float>,
                       count n: Int, dim d: Int) {
    if d % 64 == 0 {
        for c0 in stride(from: 0, to: d, by: 64) {
            weightedSumAdding64(out + c0, weights: w, rows: rows + c0, count: n, rowStride: d)
        }
        return
    }
    for j in 0..<n {
        let p = w[j], r = rows + j * d
        for c in 0..<d { out[c] += p * r[c] }
    }
}

/// out [64] += Σ_j w[j] · rows[j·rowStride ..< j·rowStride + 64].
@inline(__always)
func weightedSumAdding64(_ out: UnsafeMutablePointer<Float>, weights w: UnsafePointer<Float>, rows: UnsafePointer<Float>,
                         count n: Int, rowStride: Int) {
    let o = UnsafeMutableRawPointer(out)
    var a0 = o.loadUnaligned(as: SIMD8<Float>.self), a1 = o.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
    var a2 = o.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), a3 = o.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
    var a4 = o.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self), a5 = o.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self)
    var a6 = o.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self), a7 = o.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self)
    for j in 0..<n {
        let p = SIMD8<Float>(repeating: w[j])
        let r = UnsafeRawPointer(rows + j * rowStride)
        a0 = a0.addingProduct(p, r.loadUnaligned(as: SIMD8<Float>.self))
        a1 = a1.addingProduct(p, r.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        a2 = a2.addingProduct(p, r.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self))
        a3 = a3.addingProduct(p, r.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self))
        a4 = a4.addingProduct(p, r.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self))
        a5 = a5.addingProduct(p, r.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self))
        a6 = a6.addingProduct(p, r.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self))
        a7 = a7.addingProduct(p, r.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self))
    }
    o.storeBytes(of: a0, as: SIMD8<Float>.self); o.storeBytes(of: a1, toByteOffset: 32, as: SIMD8<Float>.self)
    o.storeBytes(of: a2, toByteOffset: 64, as: SIMD8<Float>.self); o.storeBytes(of: a3, toByteOffset: 96, as: SIMD8<Float>.self)
    o.storeBytes(of: a4, toByteOffset: 128, as: SIMD8<Float>.self); o.storeBytes(of: a5, toByteOffset: 160, as: SIMD8<Float>.self)
    o.storeBytes(of: a6, toByteOffset: 192, as: SIMD8<Float>.self); o.storeBytes(of: a7, toByteOffset: 224, as: SIMD8<Float>.self)
}

/// The reference for one head and one query: scores, softmax and weighted sum in Double.
/// out [d]; probs [count]; keys, values [count, d].
public func attendRowNaive(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
                           keys: UnsafePointer<Float>, values: UnsafePointer<Float>, count n: Int, headDim d: Int) {
    var s = [Double](repeating: 0, count: n)
    for j in 0..<n {
        var dot = 0.0
        for c in 0..<d { dot += Double(q[c]) * Double(keys[j * d + c]) }
        s[j] = dot / Double(d).squareRoot()
    }
    let mx = s.max() ?? 0
    let e = s.map { exp($0 - mx) }
    let sum = e.reduce(0, +)
    for j in 0..<n { probs[j] = Float(e[j] / sum) }
    for c in 0..<d {
        var acc = 0.0
        for j in 0..<n { acc += e[j] / sum * Double(values[j * d + c]) }
        out[c] = Float(acc)
    }
}
