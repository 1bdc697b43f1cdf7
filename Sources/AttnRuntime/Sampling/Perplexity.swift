// Negative log-likelihood of a token sequence under the model's logits, the quantity behind
// perplexity = exp(mean NLL). llama.cpp's perplexity tool scores, in each chunk of n tokens,
// only the predictions of tokens n/2+1 ..< n (the second half, which has at least n/2 tokens of
// context); `from` selects that.

import Foundation

/// Σ −log softmax(logits[i])[targets[i + 1]] for i in from ..< T−1, and the number of terms.
/// logits: [T, vocab] or [T−1, vocab] row-major (the last row predicts nothing that is scored);
/// targets: [T] the token ids that were fed in.
/// The log-softmax is computed in Double.
public func negativeLogLikelihood(logits: [Float], vocab: Int, targets: [Int32], from: Int) -> (sum: Double, count: Int) {
    let t = targets.count
    precondition(logits.count >= (t - 1) * vocab)
    var sum = 0.0, count = 0
    logits.withUnsafeBufferPointer { lp in
        for i in max(0, from) ..< (t - 1) {
            let row = lp.baseAddress! + i * vocab
            var mx = -Float.infinity
            for j in 0..<vocab { mx = max(mx, row[j]) }
            var z = 0.0
            for j in 0..<vocab { z += exp(Double(row[j] - mx)) }
            let target = Int(targets[i + 1])
            sum += -(Double(row[target] - mx) - log(z))
            count += 1
        }
    }
    return (sum, count)
}

/// Result of `chunkedPerplexity`.
public struct PerplexityResult: Sendable {
    public var perplexity: Double
    public var scoredTokens: Int
    public var chunks: Int
}

/// llama.cpp's perplexity method: `tokens` (no BOS) cut into `tokens.count / ctx` non-overlapping
/// chunks (at most `maxChunks` if > 0); each chunk runs from an empty cache and scores the
/// predictions of its tokens ctx/2+1 ..< ctx. `progress(chunk, runningPerplexity)` after each.
/// With `bos` (a file that adds BOS, e.g. Gemma 3), each chunk's first token is replaced by BOS,
/// as llama.cpp does.
public func chunkedPerplexity(model: Transformer, tokens: [Int32], ctx: Int, maxChunks: Int = 0, bos: Int32? = nil,
                              progress: (Int, Double) -> Void = { _, _ in }) -> PerplexityResult {
    precondition(ctx >= 4 && ctx <= model.contextLength)
    var chunks = tokens.count / ctx
    if maxChunks > 0 { chunks = min(chunks, maxChunks) }
    var nll = 0.0, count = 0
    for c in 0..<chunks {
        model.reset()
        var chunk = Array(tokens[c * ctx ..< (c + 1) * ctx])
        if let bos { chunk[0] = bos }
        // logits of positions ctx/2 ..< ctx-1 predict tokens ctx/2+1 ..< ctx
        let scored = model.negativeLogLikelihood(tokens: chunk, scoringFrom: ctx / 2)
        nll += scored.sum; count += scored.count
        progress(c, exp(nll / Double(count)))
    }
    return PerplexityResult(perplexity: count > 0 ? exp(nll / Double(count)) : .nan, scoredTokens: count, chunks: chunks)
}
