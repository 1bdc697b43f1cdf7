// Perplexity through an attention policy the way StreamingLLM evaluates it: the text is fed one
// token at a time from an empty cache, so the KV cache evolves as in generation (an evicting
// policy cuts it at every step, a selecting one selects for every query), and each token is
// scored by the logits of the step before it. Run beside dense on the same tokens, the
// difference is what the policy costs in quality.

import Foundation

/// Token-by-token perplexity of one run.
public struct TokenByTokenPerplexity: Sendable {
    public var perplexity: Double
    public var scoredTokens: Int
    /// Wall time of the run, and the attention time summed over layers (Transformer.attentionSeconds).
    public var seconds: Double
    public var attentionSeconds: Double
    /// KV entries resident per layer after the last token, summed over KV heads.
    public var residentEntries: [Int]
}

/// Feeds tokens[0 ..< T] one at a time through `model` with `policy` (nil: dense) from an empty
/// cache and scores tokens 1 ..< T. The policy must have passed `check`; it is reset here and
/// detached afterwards. `progress(done, total)` after each token.
public func tokenByTokenPerplexity(model: Transformer, tokens: [Int32], policy: AttentionPolicy?,
                                   progress: (Int, Int) -> Void = { _, _ in }) -> TokenByTokenPerplexity {
    precondition(tokens.count >= 2 && tokens.count <= model.contextLength)
    model.reset()
    model.resetTimings()
    policy?.reset(layers: model.config.blockCount, shape: model.attention.shape)
    model.attention.policy = policy
    defer { model.attention.policy = nil }
    let vocab = model.config.vocabSize
    let start = Date()
    var nll = 0.0
    for i in 0..<(tokens.count - 1) {
        let logits = model.forward(tokens: [tokens[i]])
        nll += negativeLogLikelihood(logits: logits, vocab: vocab, targets: [tokens[i], tokens[i + 1]], from: 0).sum
        progress(i + 1, tokens.count - 1)
    }
    let seconds = Date().timeIntervalSince(start)
    let cache = model.cache
    let resident = (0..<cache.layers).map { l in (0..<cache.kvHeads).reduce(0) { $0 + cache.count(layer: l, kvHead: $1) } }
    return TokenByTokenPerplexity(perplexity: exp(nll / Double(tokens.count - 1)), scoredTokens: tokens.count - 1,
                                  seconds: seconds, attentionSeconds: model.attentionSeconds.reduce(0, +),
                                  residentEntries: resident)
}
