// Negative log-likelihood of a token sequence under the model's logits, the quantity behind
// perplexity = exp(mean NLL). llama.cpp's perplexity tool scores, in each chunk of n tokens,
// only the predictions of tokens n/2+1 ..< n (the second half, which has at least n/2 tokens of
// context); `from` selects that.

import Foundation

/// Σ −log softmax(logits[i])[targets[i + 1]] for i in from ..< T−1, and the number of terms.
/// logits: [T, vocab] row-major; targets: [T] the token ids that were fed in.
/// The log-softmax is computed in Double.
public func negativeLogLikelihood(logits: [Float], vocab: Int, targets: [Int32], from: Int) -> (sum: Double, count: Int) {
    let t = targets.count
    precondition(logits.count == t * vocab)
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
