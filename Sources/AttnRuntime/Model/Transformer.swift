// A llama-family decoder (Llama, SmolLM2): RMSNorm → attention with RoPE and grouped-query heads
// → residual → RMSNorm → SwiGLU feed-forward → residual, repeated per layer; final RMSNorm and the
// LM head (tied to the token embedding when the file has no output.weight).
// Port of the forward pass of karpathy/llama2.c run.c (`forward`), batched over T tokens.
// Qwen2 adds biases to Q, K and V and Llama 3 divides RoPE angles by its frequency factors
// (ModelConfig+LlamaVariants.swift). Gemma 3 adds, per layer: RMSNorm over each query and key head before RoPE (QK-norm), RMSNorm
// on the attention and FFN outputs before their residuals, GeGLU with tanh GELU instead of
// SwiGLU, a RoPE base per layer and the sliding windows (Attention.layerWindows); and it scales
// the token embedding by sqrt(D).
//
// Two paths through the same code: T < `matrixPathMinTokens` (decode) multiplies each token by
// the weights in their quantized form (WorkerPool threads); larger T (prefill) dequantizes each
// weight matrix to f32 into one reused buffer and calls OpenBLAS sgemm.
//
// Shapes: T tokens, D = hidden, H query heads, G KV heads, d = head dim, F = FFN size, V = vocab.

import Foundation

public final class Transformer: @unchecked Sendable {
    public let config: ModelConfig
    public let weights: LlamaWeights
    public let cache: KVCache
    public let attention: Attention
    public let pool: WorkerPool
    /// RoPE pairing; GGUF llama weights need `.adjacentPairs` (set from the architecture).
    public internal(set) var ropeStyle: RoPEStyle
    /// Token counts from which linear layers go through sgemm.
    public var matrixPathMinTokens = 4
    /// Called after each layer of `forward` with the number of layers done (progress of a long
    /// prefill; every layer costs the same, so layers done / layers is the fraction of the work).
    public var layerDone: ((Int) -> Void)?
    /// Wall time spent in `attention.forward` since the last reset (seconds), per layer.
    public private(set) var attentionSeconds: [Double]
    /// Wall time spent in the LM head since the last reset (seconds).
    public private(set) var lmHeadSeconds = 0.0
    private let file: GGUFFile   // owns the mapping the weights point into

    // Scratch, grown to the largest T seen. [T, ·] row-major.
    private let x = Buffer(), xb = Buffer(), q = Buffer(), k = Buffer(), v = Buffer(), att = Buffer()
    private let hb = Buffer(), hb2 = Buffer()
    private let cosTables: [Buffer], sinTables: [Buffer]      // per distinct RoPE base: [T, r/2]
    private let ropeBases: [Float]                             // the distinct bases, first use first
    private let layerRopeTable: [Int]                          // [layers] index into ropeBases
    private let xSums = Buffer()                               // [max(D, F)/32]
    private let weightF32 = Buffer()                           // [largest matrix] dequantized weights
    private var positions: [Int32] = []

    /// The model in `gguf`, with a KV cache for `contextLength` positions (default: the model's)
    /// and `threads` threads for decode matvecs and sgemm.
    public init(gguf: GGUFFile, contextLength: Int? = nil, threads: Int = 2) throws {
        let config = try ModelConfig(gguf: gguf)
        self.config = config
        self.file = gguf
        weights = try LlamaWeights(gguf: gguf, config: config)
        // GGUF llama weights were permuted at conversion so that RoPE rotates adjacent pairs.
        ropeStyle = config.ropeStyle
        var bases: [Float] = []
        for b in config.layerRopeBases where !bases.contains(b) { bases.append(b) }
        ropeBases = bases
        layerRopeTable = config.layerRopeBases.map { bases.firstIndex(of: $0)! }
        cosTables = bases.map { _ in Buffer() }
        sinTables = bases.map { _ in Buffer() }
        let ctx = min(contextLength ?? config.contextLength, config.contextLength)
        cache = KVCache(layers: config.blockCount, kvHeads: config.headCountKV, headDim: config.headDim, capacity: ctx)
        pool = WorkerPool(threads: threads)
        setBLASThreads(1)   // parallelism comes from the worker pool (see matmulQuantized)
        attention = Attention(shape: AttentionShape(heads: config.headCount, kvHeads: config.headCountKV,
                                                    headDim: config.headDim),
                              capacity: ctx, pool: pool)
        attention.layerWindows = config.layerWindows
        attentionSeconds = [Double](repeating: 0, count: config.blockCount)
        prefault()
    }

    /// Touches every page of the memory-mapped weights once, so the first forward pass does not
    /// pay the page faults (llama.cpp maps with MAP_POPULATE for the same reason).
    private func prefault() {
        var matrices = [weights.tokenEmbedding, weights.output]
        for l in weights.layers { matrices += [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown] }
        var sink: UInt8 = 0
        for m in matrices {
            let bytes = m.rows * m.rowBytes
            var offset = 0
            while offset < bytes { sink &+= m.data.load(fromByteOffset: offset, as: UInt8.self); offset += 4096 }
        }
        touched = sink
    }
    private var touched: UInt8 = 0

    /// Model context length as configured for this instance (KV cache capacity).
    public var contextLength: Int { cache.capacity }
    public var threads: Int { pool.threads }

    /// Forgets the cache and the timings: the next forward starts at position 0.
    public func reset() {
        cache.reset()
        resetTimings()
    }

    public func resetTimings() {
        for i in attentionSeconds.indices { attentionSeconds[i] = 0 }
        lmHeadSeconds = 0
    }

    // MARK: - Forward

    /// Which logits `forward` returns.
    public enum LogitsWanted: Equatable {
        case last, all, none
        /// Rows first ..< T (perplexity scores only the second half of a chunk).
        case from(Int)
    }

    /// Runs `tokens` at the positions after the cache's newest entry, appending them to the cache.
    /// Returns logits [V] of the last token (`.last`), [T, V] of every token (`.all`),
    /// [T - first, V] of tokens first ..< T (`.from(first)`), or [] (`.none`).
    public func forward(tokens: [Int32], logits wanted: LogitsWanted = .last) -> [Float] {
        let t = tokens.count
        precondition(t > 0, "forward needs at least one token")
        let start = cache.nextPosition
        precondition(start + t <= cache.capacity, "context full: \(start) + \(t) > \(cache.capacity)")
        let c = config
        let dim = c.embeddingLength, qDim = c.queryDim, kvDim = c.kvDim, f = c.feedForwardLength
        let half = c.ropeDimensionCount / 2
        grow(t)
        positions = (0..<t).map { Int32(start + $0) }

        for i in 0..<t {
            let id = Int(tokens[i])
            precondition(id >= 0 && id < c.vocabSize, "token id \(id) out of range 0..<\(c.vocabSize)")
            weights.tokenEmbedding.dequantize(into: x.p + i * dim, rows: id ..< id + 1)
            if c.embeddingScale != 1 { for j in 0..<dim { x.p[i * dim + j] *= c.embeddingScale } }
            for (b, base) in ropeBases.enumerated() {
                ropeAngles(cos: cosTables[b].p + i * half, sin: sinTables[b].p + i * half, position: start + i,
                           rotatedDims: c.ropeDimensionCount, base: base, factors: weights.ropeFrequencyFactors)
            }
        }

        for (l, w) in weights.layers.enumerated() {
            // attention block
            w.attnNorm.withUnsafeBufferPointer { nw in
                for i in 0..<t { rmsNorm(xb.p + i * dim, x.p + i * dim, nw.baseAddress!, count: dim, eps: c.rmsNormEps) }
            }
            linear([(q.p, w.wq), (k.p, w.wk), (v.p, w.wv)], xb.p, tokens: t)
            if let bq = w.bq, let bk = w.bk, let bv = w.bv {
                addRowBias(q.p, bq, rows: t); addRowBias(k.p, bk, rows: t); addRowBias(v.p, bv, rows: t)
            }
            if let qNorm = w.qNorm, let kNorm = w.kNorm {
                headNorm(q.p, qNorm, heads: t * c.headCount)
                headNorm(k.p, kNorm, heads: t * c.headCountKV)
            }
            let cosTable = cosTables[layerRopeTable[l]], sinTable = sinTables[layerRopeTable[l]]
            for i in 0..<t {
                applyRoPE(q.p + i * qDim, heads: c.headCount, headDim: c.headDim, rotatedDims: c.ropeDimensionCount,
                          cos: cosTable.p + i * half, sin: sinTable.p + i * half, style: ropeStyle)
                applyRoPE(k.p + i * kvDim, heads: c.headCountKV, headDim: c.headDim, rotatedDims: c.ropeDimensionCount,
                          cos: cosTable.p + i * half, sin: sinTable.p + i * half, style: ropeStyle)
            }
            let t0 = DispatchTime.now().uptimeNanoseconds
            positions.withUnsafeBufferPointer { pos in
                attention.forward(out: att.p, q: q.p, k: k.p, v: v.p, positions: pos.baseAddress!,
                                  tokens: t, layer: l, cache: cache)
            }
            attentionSeconds[l] += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            linear([(xb.p, w.wo)], att.p, tokens: t)
            if let norm = w.postAttentionNorm { rowNorm(xb.p, norm, rows: t) }
            addInPlace(x.p, xb.p, count: t * dim)

            // feed-forward block
            w.ffnNorm.withUnsafeBufferPointer { nw in
                for i in 0..<t { rmsNorm(xb.p + i * dim, x.p + i * dim, nw.baseAddress!, count: dim, eps: c.rmsNormEps) }
            }
            linear([(hb.p, w.wGate), (hb2.p, w.wUp)], xb.p, tokens: t)
            if c.family == .gemma3 {
                gegluTanh(hb.p, gate: hb.p, up: hb2.p, count: t * f)
            } else {
                swiGLU(hb.p, gate: hb.p, up: hb2.p, count: t * f)
            }
            linear([(xb.p, w.wDown)], hb.p, tokens: t)
            if let norm = w.postFFNNorm { rowNorm(xb.p, norm, rows: t) }
            addInPlace(x.p, xb.p, count: t * dim)
            layerDone?(l + 1)
        }

        // final norm and LM head
        let first: Int
        switch wanted {
        case .none: return []
        case .last: first = t - 1
        case .all: first = 0
        case .from(let f): first = min(max(0, f), t - 1)
        }
        return logits(rows: first ..< t)
    }

    /// Logits [rows.count, V] of rows of the last forward call (final norm, then the LM head).
    private func logits(rows: Range<Int>) -> [Float] {
        let c = config, dim = c.embeddingLength, vocab = c.vocabSize
        weights.outputNorm.withUnsafeBufferPointer { nw in
            for i in rows { rmsNorm(xb.p + i * dim, x.p + i * dim, nw.baseAddress!, count: dim, eps: c.rmsNormEps) }
        }
        return [Float](unsafeUninitializedCapacity: rows.count * vocab) { out, initialized in
            let t0 = DispatchTime.now().uptimeNanoseconds
            lmHead(out.baseAddress!, xb.p + rows.lowerBound * dim, tokens: rows.count)
            lmHeadSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            initialized = rows.count * vocab
        }
    }

    /// Runs `tokens` like `forward` and returns Σ −log p(tokens[i+1] | tokens[...i]) over
    /// i in from ..< T−1 and the number of terms, computing the logits 256 rows at a time so
    /// that a long chunk never holds [T, V] floats at once (perplexity).
    public func negativeLogLikelihood(tokens: [Int32], scoringFrom from: Int) -> (sum: Double, count: Int) {
        _ = forward(tokens: tokens, logits: .none)
        let t = tokens.count
        var sum = 0.0, count = 0
        var r0 = max(0, from)
        while r0 < t - 1 {
            let r1 = min(t - 1, r0 + 256)
            let block = logits(rows: r0 ..< r1)
            // rows r0 ..< r1 predict tokens r0+1 ..< r1+1
            let scored = AttnRuntime.negativeLogLikelihood(logits: block, vocab: config.vocabSize,
                                                           targets: Array(tokens[r0 ... r1]), from: 0)
            sum += scored.sum; count += scored.count
            r0 = r1
        }
        return (sum, count)
    }

    /// RMSNorm in place over each of `heads` consecutive head vectors [d] (QK-norm).
    private func headNorm(_ x: UnsafeMutablePointer<Float>, _ weight: [Float], heads: Int) {
        let d = config.headDim, eps = config.rmsNormEps
        weight.withUnsafeBufferPointer { nw in
            for h in 0..<heads { rmsNorm(x + h * d, x + h * d, nw.baseAddress!, count: d, eps: eps) }
        }
    }

    /// RMSNorm in place over each of `rows` rows [D].
    private func rowNorm(_ x: UnsafeMutablePointer<Float>, _ weight: [Float], rows: Int) {
        let dim = config.embeddingLength, eps = config.rmsNormEps
        weight.withUnsafeBufferPointer { nw in
            for i in 0..<rows { rmsNorm(x + i * dim, x + i * dim, nw.baseAddress!, count: dim, eps: eps) }
        }
    }

    // MARK: - Linear layers

    /// outs[m] [T, rows_m] = x [T, cols] · W_mᵀ for matrices that share their input.
    private func linear(_ layers: [(out: UnsafeMutablePointer<Float>, w: WeightMatrix)], _ input: UnsafeMutablePointer<Float>,
                        tokens t: Int) {
        let cols = layers[0].w.cols
        if t < matrixPathMinTokens {
            for i in 0..<t {
                let xi = input + i * cols
                blockSums(xSums.p, xi, blocks: cols / 32)
                let total = layers.reduce(0) { $0 + $1.w.rows }
                let sums = xSums.p
                // Split the rows of all matrices together, in chunks of 16 rows, across the workers.
                pool.parallelFor(total, granule: 16) { range, _ in
                    var base = 0
                    for (out, w) in layers {
                        let lo = max(range.lowerBound, base), hi = min(range.upperBound, base + w.rows)
                        if lo < hi {
                            matvecRows(out + i * w.rows + (lo - base), w.data, format: w.format, xi, xSums: sums,
                                       cols: cols, rows: (lo - base) ..< (hi - base))
                        }
                        base += w.rows
                    }
                }
            }
            return
        }
        for (out, w) in layers {
            matmulQuantized(out, input, w, rows: 0 ..< w.rows, tokens: t, outStride: w.rows)
        }
    }

    /// out[:, rows] ([T, outStride] row-major) = x [T, cols] · W[rows]ᵀ: the rows are cut into
    /// pieces claimed by the worker pool; each piece is dequantized into its own part of the f32
    /// scratch and multiplied by a single-threaded sgemm (OpenBLAS's own threads are not used:
    /// under load its fork-join waits for descheduled threads, while claimed pieces do not).
    private func matmulQuantized(_ out: UnsafeMutablePointer<Float>, _ input: UnsafeMutablePointer<Float>,
                                 _ w: WeightMatrix, rows: Range<Int>, tokens t: Int, outStride: Int) {
        let buffer = weightF32.p, cols = w.cols
        pool.parallelFor(rows.count, granule: 32) { r, _ in
            let lo = rows.lowerBound + r.lowerBound, hi = rows.lowerBound + r.upperBound
            let wf = buffer + r.lowerBound * cols
            w.dequantize(into: wf, rows: lo ..< hi)
            matmul(out + lo, input, wf, tokens: t, rows: hi - lo, cols: cols, outStride: outStride)
        }
    }

    /// logits [T, V] = x [T, D] · outputᵀ (already normalised x).
    private func lmHead(_ logits: UnsafeMutablePointer<Float>, _ input: UnsafeMutablePointer<Float>, tokens t: Int) {
        let w = weights.output, vocab = w.rows
        if t < matrixPathMinTokens {
            linear([(logits, w)], input, tokens: t)
            return
        }
        // The f32 LM head would be V·D·4 bytes (113 MB for SmolLM2): do it in slices of rows.
        let slice = max(1, weightF32.count / w.cols)
        var r0 = 0
        while r0 < vocab {
            let r1 = min(vocab, r0 + slice)
            matmulQuantized(logits, input, w, rows: r0 ..< r1, tokens: t, outStride: vocab)
            r0 = r1
        }
    }

    // MARK: - Scratch

    private func grow(_ t: Int) {
        let c = config
        let qDim = c.queryDim
        x.ensure(t * c.embeddingLength); xb.ensure(t * c.embeddingLength)
        q.ensure(t * qDim); att.ensure(t * qDim)
        k.ensure(t * c.kvDim); v.ensure(t * c.kvDim)
        hb.ensure(t * c.feedForwardLength); hb2.ensure(t * c.feedForwardLength)
        for b in ropeBases.indices {
            cosTables[b].ensure(t * c.ropeDimensionCount / 2); sinTables[b].ensure(t * c.ropeDimensionCount / 2)
        }
        xSums.ensure(max(c.embeddingLength, c.feedForwardLength, qDim) / 32 + 1)
        if t >= matrixPathMinTokens {
            // Largest layer matrix, and at least 8192 rows' worth for the LM head slices.
            let largest = weights.layers.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo, $0.wGate, $0.wUp, $0.wDown] }
                .map { $0.rows * $0.cols }.max() ?? 0
            weightF32.ensure(max(largest, 8192 * c.embeddingLength))
        }
    }
}

/// x [rows, b.count] += b on every row (Qwen2's Q/K/V biases).
func addRowBias(_ x: UnsafeMutablePointer<Float>, _ b: [Float], rows: Int) {
    let n = b.count
    b.withUnsafeBufferPointer { bp in
        for r in 0..<rows { addInPlace(x + r * n, bp.baseAddress!, count: n) }
    }
}

/// x[i] += y[i] for i in 0 ..< n.
@inline(__always)
func addInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count n: Int) {
    for i in 0..<n { x[i] += y[i] }
}

/// A growable scratch buffer of floats with a stable address between growths.
final class Buffer {
    private(set) var p = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var count = 0

    deinit { p.deallocate() }

    func ensure(_ n: Int) {
        guard n > count else { return }
        p.deallocate()
        p = .allocate(capacity: n)
        p.update(repeating: 0, count: n)
        count = n
    }
}
