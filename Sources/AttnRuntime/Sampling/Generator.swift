// The generation loop: prefill the prompt in one forward pass, then decode one token at a time,
// sampling each next token from the last logits, until `maxTokens` or a stop token.

import Foundation

/// Wall-clock figures of one generation.
public struct GenerationStats: Sendable {
    public var promptTokens = 0
    public var generatedTokens = 0
    /// Single-token forward passes (generated tokens fed back in; the last one is not).
    public var decodeSteps = 0
    public var prefillSeconds = 0.0
    public var decodeSeconds = 0.0
    public var stoppedAtToken = false
    /// The stop token sampled, when the generation ended at one.
    public var stopToken: Int32?

    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptTokens) / prefillSeconds : 0 }
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(decodeSteps) / decodeSeconds : 0 }
}

public struct Generator {
    public let model: Transformer
    public var sampler: Sampler
    /// Tokens that end the generation when sampled (not passed to `onToken`).
    public var stopTokens: Set<Int32>

    public init(model: Transformer, sampler: SamplerSettings, stopTokens: Set<Int32> = []) {
        self.model = model
        self.sampler = Sampler(sampler)
        self.stopTokens = stopTokens
    }

    /// Continues `prompt` (appended to the model's cache, which should be empty or hold the
    /// conversation so far) by up to `maxTokens` tokens, calling `onToken` for each.
    /// The caller checks that prompt + maxTokens fit in the context.
    public mutating func generate(prompt: [Int32], maxTokens: Int, onToken: (Int32) -> Void) -> GenerationStats {
        precondition(!prompt.isEmpty && maxTokens > 0)
        var stats = GenerationStats()
        stats.promptTokens = prompt.count
        var t0 = DispatchTime.now().uptimeNanoseconds
        var logits = model.forward(tokens: prompt)
        stats.prefillSeconds = seconds(since: t0)
        t0 = DispatchTime.now().uptimeNanoseconds
        while true {
            let next = Int32(sampler.sample(logits))
            if stopTokens.contains(next) { stats.stoppedAtToken = true; stats.stopToken = next; break }
            onToken(next)
            stats.generatedTokens += 1
            if stats.generatedTokens == maxTokens { break }
            logits = model.forward(tokens: [next])
            stats.decodeSteps += 1
        }
        stats.decodeSeconds = seconds(since: t0)
        return stats
    }

    private func seconds(since t0: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }
}
